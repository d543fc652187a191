/* follow.c - --follow; see follow.h. */
#include "follow.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "input.h"
#include "lines.h"
#include "th_limits.h"

/* One followed input, with a pipeline of its own so that the events open
 * in several files stay apart. */
struct follower {
	const char *path; /* as given; "-" for stdin */
	size_t input;	  /* index in the run; kept across reopening */
	struct th_pipeline *p;
	struct th_input *in; /* NULL: not open now */
	struct th_lines *l;
	bool file; /* a regular file: watched for rotation */
	uint64_t dev, ino;
	bool waiting;	    /* the file did not exist yet: opened when it
			       appears (tail -F) */
	bool elsewhere;	    /* something else is at the path (a link to
			       /dev/null, a FIFO): said once, and waited
			       through */
	bool searched;	    /* the search was chosen from a first line */
	bool done;	    /* followed no more */
	bool flushed;	    /* no line since the last quiet flush */
	uint64_t last_line; /* ms (monotonic): when a line last came */
};

/* Sleeps MS milliseconds, or less when a signal comes. */
static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Names input F failed with WHY (once) and stops following it. */
static void follow_fail(const struct th_follow *fo, struct follower *f,
			const char *why)
{
	struct th_run *run = fo->setup.run;
	if (run_fail_input(run, f->input, why))
		run_notify(&fo->notify, TH_NOTICE_ERROR,
			   run->inputs[f->input].name, "%s", why);
	f->done = true;
}

/* Says once that something else than a regular file is at F's path
 * (a link to /dev/null, a directory, a FIFO put there for a while):
 * it is neither read nor waited on, and the path is watched on. */
static void follow_elsewhere(const struct th_follow *fo, struct follower *f,
			     const char *why)
{
	if (f->elsewhere)
		return;
	f->elsewhere = true;
	run_notify(&fo->notify, TH_NOTICE_WARNING,
		   fo->setup.run->inputs[f->input].name,
		   "%s: watching the path until a regular file is back", why);
}

/* Says that a regular file is at F's path again, when something else
 * was said to be there. */
static void follow_back(const struct th_follow *fo, struct follower *f)
{
	if (!f->elsewhere)
		return;
	f->elsewhere = false;
	run_notify(&fo->notify, TH_NOTICE_NOTE,
		   fo->setup.run->inputs[f->input].name,
		   "a regular file again: following it");
}

/* Opens F's path from its start. False when it cannot be now: stdin
 * with nothing to read yet (opening would wait for a byte), something
 * else than a file at the path (told once), or a file that cannot be
 * opened (ERR, when not NULL, says why; left unset for stdin and the
 * others). */
static bool follow_open(const struct th_follow *fo, struct follower *f,
			struct th_error *err)
{
	if (strcmp(f->path, "-") == 0) {
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		if (poll(&pfd, 1, 0) <= 0)
			return false;
	}
	bool not_file;
	struct th_error why = {0};
	f->in = input_open_file(f->path, &not_file, &why);
	if (f->in == NULL && not_file)
		follow_elsewhere(fo, f, why.message);
	else if (f->in == NULL && err != NULL)
		*err = why;
	if (f->in == NULL)
		return false;
	follow_back(fo, f);
	/* a compressed input is read once, to its end: nobody appends to
	 * one, and its decoder would take a pause for a cut */
	bool plain = input_compression(f->in) == TH_COMPRESSION_NONE;
	if (plain)
		input_follow(f->in);
	else
		input_no_ahead(f->in); /* its lines as they come */
	f->l = lines_new(f->in, TH_READ_BUFFER);
	lines_set_growing(f->l, plain);
	struct th_input_file id;
	f->file =
	    plain && strcmp(f->path, "-") != 0 && input_file_id(f->in, &id);
	f->dev = f->file ? id.dev : 0;
	f->ino = f->file ? id.ino : 0;
	f->searched = false;
	/* the run's name: standard input's may be a --label */
	pipeline_begin_input(f->p, fo->setup.run->inputs[f->input].name,
			     f->input, 0);
	return true;
}

/* Closes every event still open in F's pipeline: a quiet flush, or the
 * end of an input. One cut off is marked incomplete. */
static void follow_flush(struct follower *f)
{
	pipeline_end_input(f->p);
}

/* Reads F's lines up to what is there now. Returns whether any came;
 * an input error ends F's input and is recorded. */
static bool follow_read(const struct th_follow *fo, struct follower *f)
{
	uint64_t before = lines_offset(f->l);
	if (!f->searched)
		f->searched = pipeline_choose_search(f->p, f->l);
	enum th_status st = f->searched ? pipeline_feed(f->p, f->l) : TH_EOF;
	if (st != TH_EOF) {
		char *why = xstrdup(input_error(f->in));
		follow_fail(fo, f, why);
		free(why);
	}
	return lines_offset(f->l) != before;
}

/* Ends F's current input: its unterminated last line is read as it is,
 * open events are closed, and its lines and bytes go into the run. */
static void follow_close(const struct th_follow *fo, struct follower *f)
{
	if (f->in == NULL)
		return;
	lines_set_growing(f->l, false);
	if (!f->done)
		(void)follow_read(fo, f);
	follow_flush(f);
	struct th_run_input *ri = &fo->setup.run->inputs[f->input];
	ri->lines += lines_number(f->l) - 1;
	ri->bytes += lines_offset(f->l);
	pipeline_count(f->p, f->l);
	lines_free(f->l);
	input_close(f->in);
	f->l = NULL;
	f->in = NULL;
}

/* Whether F's path now names another file than the one open (rotated:
 * renamed away and created anew), or the open file was truncated
 * (copytruncate). A path missing for now (between the rename and the
 * create) is neither, and nor is something else than a regular file put
 * there for a while (told once): the open file is read on. */
static bool follow_replaced(const struct th_follow *fo, struct follower *f)
{
	struct th_input_file id;
	struct stat st;
	if (!f->file || !input_file_id(f->in, &id))
		return false;
	if (id.size < id.pos)
		return true;
	if (stat(f->path, &st) != 0)
		return false;
	if (!S_ISREG(st.st_mode)) {
		enum th_input_kind kind;
		const char *what;
		char why[64];
		int fd =
		    f->elsewhere ? -1 : input_open_named(f->path, &kind, &what);
		if (fd >= 0)
			close(fd); /* a regular file after all: next round */
		else if (!f->elsewhere && kind == TH_INPUT_OTHER) {
			snprintf(why, sizeof why, "not a regular file (%s)",
				 what);
			follow_elsewhere(fo, f, why);
		}
		return false;
	}
	if ((uint64_t)st.st_dev != f->dev || (uint64_t)st.st_ino != f->ino)
		return true;
	follow_back(fo, f);
	return false;
}

/* One round for F: open it if it is not, read what is new, follow a
 * rotation or truncation, flush after a quiet time. Returns whether any
 * line came. */
static bool follow_step(const struct th_follow *fo, struct follower *f,
			uint64_t now)
{
	if (f->in == NULL && !follow_open(fo, f, NULL))
		return false; /* stdin not ready, or a path not (back) there */
	if (f->waiting) {
		f->waiting = false;
		run_notify(&fo->notify, TH_NOTICE_NOTE,
			   fo->setup.run->inputs[f->input].name,
			   "has appeared: following it");
	}
	bool got = follow_read(fo, f);
	if (f->done)
		return got;
	if (input_compression(f->in) != TH_COMPRESSION_NONE ||
	    input_ended(f->in)) {
		follow_close(fo, f); /* read whole: nothing more will come */
		f->done = true;
		return got;
	}
	if (follow_replaced(fo, f)) {
		follow_close(fo, f);
		return true; /* the new file is opened next round */
	}
	if (got) {
		f->last_line = now;
		f->flushed = false;
	} else if (!f->flushed && now - f->last_line >= TH_FOLLOW_QUIET_MS) {
		follow_flush(f);
		f->flushed = true;
	}
	return got;
}

/* Sets up follower F for PATH; an input that cannot be followed is
 * recorded as failed. A file that does not exist yet is waited for, as
 * tail -F does: a service about to start writes it. (main.c refuses a
 * directory before the run starts.) */
static void follow_start(const struct th_follow *fo, struct follower *f,
			 const char *path, uint64_t now)
{
	struct th_error err = {0};
	struct stat st;
	const char *name = run_input_name(path, fo->stdin_name);
	*f = (struct follower){.path = path,
			       .input = run_add_input(fo->setup.run, name),
			       .last_line = now};
	f->p = pipeline_new(&fo->setup);
	pipeline_set_filter(f->p, fo->filter, fo->filter_ctx);
	bool named = strcmp(path, "-") != 0;
	int found = named ? stat(path, &st) : 0;
	if (named && found == 0 && S_ISDIR(st.st_mode)) {
		follow_fail(fo, f, "Is a directory (--follow follows files)");
	} else if (named && found != 0 && errno == ENOENT) {
		f->waiting = true;
		run_notify(&fo->notify, TH_NOTICE_NOTE, path,
			   "does not exist yet: waiting for it to appear");
	} else if (!follow_open(fo, f, &err) && err.set) {
		follow_fail(fo, f, err.message);
	}
}

void follow_paths(const struct th_follow *fo, const char *const *paths,
		  size_t n_paths, const volatile sig_atomic_t *stop)
{
	static const char *const stdin_only[] = {"-"};
	if (n_paths == 0) {
		paths = stdin_only;
		n_paths = 1;
	}
	struct follower *fs = xcalloc(n_paths, sizeof *fs);
	for (size_t i = 0; i < n_paths; i++)
		follow_start(fo, &fs[i], paths[i], th_now_ms());
	while (!*stop && !report_failed(fo->sink)) {
		bool live = false, got = false;
		for (size_t i = 0; i < n_paths && !*stop; i++) {
			if (fs[i].done)
				continue;
			live = true;
			got |= follow_step(fo, &fs[i], th_now_ms());
		}
		if (!live)
			break;
		if (!got)
			sleep_ms(TH_FOLLOW_POLL_MS);
	}
	for (size_t i = 0; i < n_paths; i++) {
		follow_close(fo, &fs[i]);
		pipeline_free(fs[i].p);
	}
	free(fs);
}
