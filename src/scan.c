/* scan.c - drive inputs through the pipeline; see scan.h. The walk is
 * walk.c, --follow follow.c, the --state end of an input state_end.c.
 *
 * With several jobs, inputs become work items: whole files, and ranges of
 * large plain files cut where a log record starts (an event never spans
 * such a place, see prefix_safe_boundary). A large file is one part a
 * job, each part a few ranges: a thread scans the first ranges of a part
 * one after another into one aggregate (a chain), the last few are items
 * of their own, which any thread takes. An input's items are merged in input
 * order once they have all ended, each chain's lines shifted by the lines of
 * the ranges before it, so the report equals a serial scan's.
 */
#include "scan.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "heap.h"
#include "input.h"
#include "lines.h"
#include "pipeline.h"
#include "prefix.h"
#include "state.h"
#include "state_end.h"
#include "th_limits.h"
#include "trigger.h"
#include "walk.h"

/* Where one pipeline's events go: into the aggregate, and out through the
 * sink when the sink prints events as they come. */
struct lane {
	const struct th_rules *rules;
	struct th_agg *agg;
	struct th_sink *sink; /* NULL: events are only aggregated */
	struct th_run *run;
	const struct th_scan_options *opt;
	struct th_pipeline *p;
	/* the lines of its inputs, one after another: one read buffer for
	 * all, where a new one for each range took its page faults again */
	struct th_lines *lines; /* NULL: none read yet */
};

/* A file, or a range of one, to scan; and what scanning it gave. */
struct item {
	char *path;
	size_t input; /* index in the scanner's run */
	bool ranged;
	uint64_t start, end;
	struct th_agg *agg;
	struct th_run run;
	uint64_t lines, bytes;
	char *error;
	/* a range that another follows, whose first line is CUT_WRITER's
	 * (0: unframed); UNSAFE when it ended with an event open in another
	 * writer than the cut line's, so a serial scan would read on: the
	 * whole file is then scanned again in one piece */
	bool cut_after, unsafe;
	uint32_t cut_writer;
	/* PART_START: the first of a job's part of a file, or a whole file:
	 * a thread starts at one when it can (take_item). CHAINED: a range
	 * scanned into the aggregate of the one before it, by the same
	 * thread (scan_chain), until the chain breaks (lock) */
	bool part_start, chained;
	bool taken; /* by a thread (lock) */
	bool done;  /* scanned (merge_lock) */
	/* --state: a file read from START (decompressed, when COMPRESSED);
	 * a TRACKED one commits COMMIT_OFFSET, COMMIT_LINES for its path. */
	bool stated, compressed, tracked;
	uint64_t line_base, commit_offset, commit_lines;
	uint64_t held_line; /* --state: an event left for the next run */
	struct th_file_id id;
};

struct th_scanner {
	const struct th_rules *rules;
	struct th_agg *agg;
	struct th_sink *sink;
	struct th_run *run;
	size_t jobs;
	struct th_trigger *trigger, *framed;
	struct th_prefixer *boundaries; /* judges places to cut a file */
	struct lane *serial;		/* jobs == 1 */
	struct item *items;		/* jobs > 1: until scanner_finish */
	size_t n_items, cap_items;
	pthread_mutex_t lock;
	size_t untaken; /* items before it are all taken or chained */
	/* Items are merged in order as soon as they and all before them
	 * have ended, by the worker that ends the last of them (see
	 * merge_ended): MERGED items are in AGG, INPUT_LINES the lines of
	 * their last input so far (where the next range's lines start).
	 * Once a cut was unsafe, STOPPED: the rest is scanned again and
	 * merged after all the scans end. */
	pthread_mutex_t merge_lock;
	size_t merged;
	uint64_t input_lines;
	bool stopped;
	struct th_state *state; /* --state; NULL: none */
	struct th_scan_options opt;
	/* the threads scanner_finish started, joined by scanner_free: they
	 * may still free their lanes while the report is written */
	pthread_t *threads;
	size_t n_threads;
	/* threads that may still take an item or merge one (done_lock for
	 * waiting on it; read without it while watching, see
	 * wait_for_workers) */
	atomic_size_t working;
	pthread_mutex_t done_lock;
	pthread_cond_t one_done;
};

/* A classified event: into its group, and out through the sink when the
 * sink prints events as they come. */
static void deliver(void *ctx, const struct th_event *ev)
{
	struct lane *ln = ctx;
	int sev = (int)rules_severity(ln->rules, ev->rule);
	if (sev > ln->run->counts.worst)
		ln->run->counts.worst = sev;
	agg_add(ln->agg, ev);
	if (ln->sink != NULL)
		ln->sink->event(ln->sink, ev);
}

static struct lane *lane_new(const struct th_scanner *s, struct th_agg *agg,
			     struct th_sink *sink, struct th_run *run)
{
	struct lane *ln = xcalloc(1, sizeof *ln);
	*ln = (struct lane){.rules = s->rules,
			    .agg = agg,
			    .sink = sink,
			    .run = run,
			    .opt = &s->opt};
	struct th_pipeline_setup ps = {.rules = s->rules,
				       .trigger = s->trigger,
				       .framed = s->framed,
				       .run = run,
				       .deliver = deliver,
				       .ctx = ln};
	ln->p = pipeline_new(&ps);
	pipeline_set_filter(ln->p, s->opt.filter, s->opt.filter_ctx);
	return ln;
}

static void lane_free(struct lane *ln)
{
	if (ln == NULL)
		return;
	pipeline_free(ln->p);
	lines_free(ln->lines);
	free(ln);
}

/* Opens what item IT reads; NULL with the reason in ERR. */
static struct th_input *open_item(const struct item *it, struct th_error *err)
{
	if (it->ranged)
		return input_open_range(it->path, it->start, it->end, err);
	bool not_file;
	/* --state reads files only: one swapped for a FIFO since its plan
	 * must not hang the run while it holds the lock */
	struct th_input *in = it->stated
				  ? input_open_file(it->path, &not_file, err)
				  : input_open(it->path, err);
	if (in != NULL && it->compressed && it->start > 0 &&
	    input_skip(in, it->start) == TH_ERR_IO) {
		th_error_set(err, it->path, 0, 0, "%s", input_error(in));
		input_close(in);
		return NULL;
	}
	return in;
}

/* --state: ends IT's input as state_end_read decides. */
static void end_stated(struct th_pipeline *p, long settle_seconds,
		       struct item *it, const struct th_lines *l)
{
	struct th_state_read r = {.path = it->path,
				  .compressed = it->compressed,
				  .start = it->start,
				  .end = it->end,
				  .line_base = it->line_base,
				  .tracked = it->tracked};
	struct th_state_end end;
	state_end_read(pipeline_assembler(p), &r, lines_offset(l),
		       lines_number(l) - 1, settle_seconds, &end);
	it->commit_offset = end.offset;
	it->commit_lines = end.lines;
	it->held_line = end.held_line;
}

/* Scans item IT with pipeline P, whose aggregate and run take the
 * results; fills IT's lines, bytes and error. NAME is the input's name as
 * reports show it (it must outlive the scan). */
static void scan_item(struct lane *ln, struct item *it, const char *name)
{
	struct th_pipeline *p = ln->p;
	struct th_error err = {0};
	struct th_input *in = open_item(it, &err);
	if (in == NULL) {
		it->error = xstrdup(err.message);
		return;
	}
	if (!ln->opt->map_files)
		input_no_map(in);
	if (ln->lines == NULL)
		ln->lines = lines_new(in, TH_READ_BUFFER);
	else
		lines_reset(ln->lines, in);
	struct th_lines *l = ln->lines;
	pipeline_begin_input(p, name, it->input, it->line_base);
	enum th_status st = pipeline_read(p, l);
	pipeline_finish_lines(p);
	if (it->cut_after && !pipeline_cut_safe(p, it->cut_writer))
		it->unsafe = true;
	if (it->stated)
		end_stated(p, ln->opt->settle_seconds, it, l);
	else
		pipeline_close_events(p);
	it->lines = lines_number(l) - 1;
	it->bytes = lines_offset(l);
	pipeline_count(p, l);
	if (st != TH_EOF)
		it->error = xstrdup(input_error(in));
	input_close(in);
}

/* Puts an item's lines, bytes and error into the scanner's run (and, for
 * --state, its commit into the state), telling of a failed input. */
static void record_input(struct th_scanner *s, const struct item *it)
{
	struct th_run_input *ri = &s->run->inputs[it->input];
	ri->lines += it->lines;
	ri->bytes += it->bytes;
	if (it->error == NULL && it->tracked) {
		state_commit_file(s->opt.state, it->path, &it->id,
				  it->commit_offset, it->commit_lines);
		if (it->held_line > 0)
			run_notify(&s->opt.notify, TH_NOTICE_NOTE, ri->name,
				   "the event at line %llu is still being "
				   "written: it is left for the next run",
				   (unsigned long long)it->held_line);
	}
	if (it->error != NULL && run_fail_input(s->run, it->input, it->error))
		run_notify(&s->opt.notify, TH_NOTICE_ERROR, ri->name, "%s",
			   it->error);
}

void scan_options_init(struct th_scan_options *o)
{
	*o =
	    (struct th_scan_options){.jobs = 1,
				     .split_min = TH_SPLIT_MIN,
				     .settle_seconds = TH_STATE_SETTLE_SECONDS};
}

struct th_scanner *scanner_new(const struct th_rules *rules, struct th_agg *agg,
			       struct th_sink *sink, struct th_run *run,
			       const struct th_scan_options *o)
{
	struct th_scanner *s = xcalloc(1, sizeof *s);
	s->rules = rules;
	s->agg = agg;
	s->sink = sink;
	s->run = run;
	if (o != NULL)
		s->opt = *o;
	else
		scan_options_init(&s->opt);
	/* A sink that prints each event needs them in order. */
	if (s->opt.jobs < 1 || sink->per_event)
		s->opt.jobs = 1;
	s->trigger = pipeline_trigger_new(rules, false);
	s->framed = pipeline_trigger_new(rules, true);
	trigger_set_search(s->trigger, s->opt.search);
	trigger_set_search(s->framed, s->opt.search);
	if (s->opt.jobs == 1)
		s->serial = lane_new(s, agg, sink, run);
	else
		s->boundaries = prefix_new(rules, NULL);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->merge_lock, NULL);
	pthread_mutex_init(&s->done_lock, NULL);
	pthread_cond_init(&s->one_done, NULL);
	return s;
}

static void item_fini(struct item *it)
{
	free(it->path);
	free(it->error);
	agg_free(it->agg);
	run_fini(&it->run);
}

void scanner_free(struct th_scanner *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_threads; i++)
		pthread_join(s->threads[i], NULL);
	free(s->threads);
	for (size_t i = 0; i < s->n_items; i++)
		item_fini(&s->items[i]);
	free(s->items);
	lane_free(s->serial);
	prefix_free(s->boundaries);
	trigger_free(s->trigger);
	trigger_free(s->framed);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->merge_lock);
	pthread_mutex_destroy(&s->done_lock);
	pthread_cond_destroy(&s->one_done);
	free(s);
}

static struct item *item_add(struct th_scanner *s, const char *path,
			     size_t input)
{
	XGROW(s->items, s->cap_items, s->n_items + 1, 16);
	struct item *it = &s->items[s->n_items++];
	*it = (struct item){
	    .path = xstrdup(path), .input = input, .part_start = true};
	return it;
}

/* A place to cut a file: the offset of a line, and its writer. */
struct boundary {
	uint64_t at; /* 0: none */
	uint32_t writer;
};

/* Whether a range may start with LINE, coming after a whole line PREV
 * without framing when PREV_PLAIN: a line that prefix_safe_boundary
 * accepts after such a line (the file's one unframed writer), or a
 * container runtime's line that opens a log record
 * (prefix_framed_boundary). Sets *WRITER to the line's writer. */
static bool may_start_range(const struct th_scanner *s, struct th_span line,
			    bool prev_plain, uint32_t *writer)
{
	*writer = 0;
	if (prev_plain && prefix_safe_boundary(s->boundaries, line))
		return true;
	return prefix_framed_boundary(s->boundaries, line, writer);
}

/* The first place in FD's LEN bytes from AT where the file may be cut
 * (may_start_range). None (at 0) when there is none; *MAY_FIND then
 * tells whether looking further may find one: some whole line was
 * without framing or framed by a container runtime, or there were too
 * few whole lines to tell (lines longer than LEN). */
static struct boundary find_boundary_within(const struct th_scanner *s, int fd,
					    uint64_t at, size_t len,
					    bool *may_find)
{
	char *buf = xmalloc(len);
	ssize_t got = pread(fd, buf, len, (off_t)at);
	struct boundary found = {0, 0};
	const char *p = got > 0 ? memchr(buf, '\n', (size_t)got) : NULL;
	const char *end = buf + (got > 0 ? got : 0);
	bool prev_plain = false; /* the line before was whole and unframed */
	size_t whole = 0;
	while (p != NULL && found.at == 0) {
		const char *line = p + 1;
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			break;
		struct th_span span = {line, (size_t)(nl - line)};
		if (may_start_range(s, span, prev_plain, &found.writer))
			found.at = at + (uint64_t)(line - buf);
		prev_plain = !prefix_is_framed(span);
		*may_find =
		    *may_find || prev_plain || prefix_runtime_framed(span);
		whole++;
		p = nl;
	}
	*may_find = *may_find || whole < 2;
	free(buf);
	return found;
}

/* The same within TH_READ_BUFFER bytes, looking at the first 64 KiB
 * first: a place to cut is nearly always a few lines on, and reading a
 * whole buffer for each cut took 2 ms of a 256 MiB file's 40. When every
 * line there has another framing (syslog, kubectl's prefixes), no cut is
 * looked for further: it would find none. */
static struct boundary find_boundary(const struct th_scanner *s, int fd,
				     uint64_t at)
{
	bool may_find = false;
	struct boundary found =
	    find_boundary_within(s, fd, at, 64 * 1024, &may_find);
	if (found.at != 0 || !may_find)
		return found;
	return find_boundary_within(s, fd, at, TH_READ_BUFFER, &may_find);
}

/* Whether PATH is a plain (uncompressed) regular file of SIZE bytes large
 * enough to be worth cutting into ranges; its descriptor in *FD. */
static bool worth_splitting(const char *path, uint64_t split_min, int *fd,
			    uint64_t *size)
{
	struct stat st;
	enum th_input_kind kind;
	const char *what;
	/* Only a regular file is opened here. Opening a FIFO, even without
	 * waiting, lets in a writer blocked in its own open, whose bytes
	 * then go to this descriptor and are lost when it closes; the
	 * scan's open would wait for a writer that never comes. */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < split_min)
		return false;
	*fd = input_open_named(path, &kind, &what);
	if (*fd < 0 || kind != TH_INPUT_FILE || fstat(*fd, &st) != 0 ||
	    (uint64_t)st.st_size < split_min) {
		return false;
	}
	unsigned char magic[TH_CODEC_MAGIC_MAX] = {0};
	if (pread(*fd, magic, sizeof magic, 0) != (ssize_t)sizeof magic ||
	    input_sniff(magic, sizeof magic) != TH_COMPRESSION_NONE)
		return false;
	*size = (uint64_t)st.st_size;
	return true;
}

/* Queues bytes START..END of PATH, which begin at cut FROM (the range
 * before them at cut PREV_FROM; see range_role); CUT_AFTER: another
 * range follows, whose first line is WRITER's. */
static void add_range(struct th_scanner *s, const char *path, size_t input,
		      uint64_t start, uint64_t end, size_t from,
		      size_t prev_from, bool cut_after, uint32_t writer)
{
	struct item *it = item_add(s, path, input);
	it->ranged = true;
	it->part_start = from == 0 || from / TH_RANGES_PER_JOB !=
					  prev_from / TH_RANGES_PER_JOB;
	/* a part's ranges are one thread's chain, all of them: every
	 * aggregate more costs a crash loop about 2 ms of CPU; a thread free
	 * of its own takes over another's from the end (take_item) */
	it->chained = !it->part_start;
	it->cut_after = cut_after;
	it->cut_writer = writer;
	it->start = start;
	it->end = end;
}

/* Tells the caller how PATH was cut, when it asked (tests check that a
 * cut report equals a whole one, and that the file really was cut). */
static void note_cut(const struct th_scanner *s, const char *path,
		     const char *how)
{
	if (s->opt.on_cut != NULL)
		s->opt.on_cut(s->opt.cut_ctx, path, how);
}

/* Where the first K of the JOBS * TH_RANGES_PER_JOB ranges of a SIZE byte
 * file end (before moving to a log record's start). The file is one part
 * a job, whose ranges shrink towards its end: a half of the part, then a
 * quarter, an eighth, a sixteenth and two thirty-seconds. One thread
 * scans a part's ranges one after another (a chain); a thread that ends
 * its own early takes over another's ranges from the end, the smallest
 * first (take_item), so threads end within about a sixty-fourth of the
 * file of each other (two jobs) even when one runs much slower. */
static uint64_t part_cut(uint64_t size, size_t jobs, size_t k)
{
	/* where a range starts in its job's part, in 32nds */
	static const unsigned starts[] = {0, 16, 24, 28, 30, 31};
	_Static_assert(sizeof starts / sizeof *starts == TH_RANGES_PER_JOB,
		       "one start for each range of a job");
	uint64_t all = 32 * (uint64_t)jobs;
	uint64_t units = 32 * (uint64_t)(k / TH_RANGES_PER_JOB) +
			 starts[k % TH_RANGES_PER_JOB];
	return size / all * units + size % all * units / all;
}

/* Queues PATH as one item, or as up to TH_RANGES_PER_JOB ranges a job. */
static void queue_file(struct th_scanner *s, const char *path, size_t input)
{
	int fd = -1;
	uint64_t size, start = 0;
	size_t ranges = 0;
	/* the cut the range being added starts at, and the one before */
	size_t from = 0, prev_from = 0;
	if (s->opt.jobs > 1 && strcmp(path, "-") != 0 &&
	    worth_splitting(path, s->opt.split_min, &fd, &size)) {
		size_t pieces = s->opt.jobs * TH_RANGES_PER_JOB;
		for (size_t k = 1; k < pieces; k++) {
			struct boundary cut = find_boundary(
			    s, fd, part_cut(size, s->opt.jobs, k));
			if (cut.at <= start || cut.at >= size)
				continue;
			add_range(s, path, input, start, cut.at, from,
				  prev_from, true, cut.writer);
			ranges++;
			start = cut.at;
			prev_from = from;
			from = k;
		}
	}
	if (fd >= 0)
		close(fd);
	if (start == 0) {
		item_add(s, path, input);
		return;
	}
	add_range(s, path, input, start, size, from, prev_from, false, 0);
	char how[64];
	snprintf(how, sizeof how, "cut into %zu ranges", ranges + 1);
	note_cut(s, path, how);
}

/* Scans item IT now (serial) or queues it (jobs). */
static void scan_or_queue(struct th_scanner *s, struct item *it)
{
	if (s->serial == NULL) {
		struct item *q = item_add(s, it->path, it->input);
		char *path = q->path;
		*q = *it;
		q->path = path;
		return;
	}
	scan_item(s->serial, it, s->run->inputs[it->input].name);
	record_input(s, it);
}

/* --state: one read a plan asks for, an input of its own (a rotated
 * file's tail is named as the rotated file). */
static void visit_read(void *ctx, const struct th_state_read *r,
		       const struct th_file_id *id)
{
	struct th_scanner *s = ctx;
	struct item it = {
	    .path = r->path,
	    .input = run_add_input(s->run, r->path),
	    .ranged = !r->compressed,
	    .start = r->start,
	    .end = r->end,
	    .stated = true,
	    .compressed = r->compressed,
	    .tracked = r->tracked,
	    .line_base = r->line_base,
	    .id = *id,
	};
	scan_or_queue(s, &it);
	free(it.error);
}

/* A file named on the command line or found in a directory. */
static void visit_file(struct th_scanner *s, const char *path)
{
	if (s->opt.state != NULL && strcmp(path, "-") != 0 &&
	    state_visit(s->opt.state, path, visit_read, s, &s->opt.notify))
		return;
	size_t input =
	    run_add_input(s->run, run_input_name(path, s->opt.stdin_name));
	if (s->serial == NULL) {
		queue_file(s, path, input);
		return;
	}
	struct item it = {.path = (char *)path, .input = input};
	scan_item(s->serial, &it, s->run->inputs[input].name);
	it.path = NULL;
	record_input(s, &it);
	free(it.error);
}

static void merge_ended(struct th_scanner *s);

/* Whether item I may start a chain: not taken, and not chained to the
 * one before it. */
static bool free_item(const struct th_scanner *s, size_t i)
{
	return !s->items[i].taken && !s->items[i].chained;
}

/* The range a thread with no chain of its own left takes over from
 * another's: the last one not yet taken, which leaves the chain's
 * thread the most of its part to go on with, and shrinks as the part's
 * ranges do; n_items when none is left. The report does not depend on
 * where chains end (README.md, "Memory and temporary files"), so this
 * may follow the threads' timing. */
static size_t range_to_take_over(const struct th_scanner *s)
{
	for (size_t j = s->n_items; j-- > 0;)
		if (!s->items[j].taken && s->items[j].chained)
			return j;
	return s->n_items;
}

/* The item a thread starts a chain with: the first free one that starts
 * a part, so that each thread begins a part of its own; else the first
 * free one; else one taken over from another thread's chain
 * (range_to_take_over), which then ends before it. False when none is
 * left. */
static bool take_item(struct th_scanner *s, size_t *i)
{
	pthread_mutex_lock(&s->lock);
	while (s->untaken < s->n_items && !free_item(s, s->untaken))
		s->untaken++;
	size_t k = s->untaken;
	for (size_t j = k; j < s->n_items; j++)
		if (free_item(s, j) && s->items[j].part_start) {
			k = j;
			break;
		}
	if (k == s->n_items)
		k = range_to_take_over(s);
	bool found = k < s->n_items;
	if (found) {
		s->items[k].taken = true;
		s->items[k].chained = false; /* the head of a chain now */
		*i = k;
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

/* Takes the item after LAST, chained to it, when GO_ON; else breaks the
 * chain there: the ranges chained after LAST become items of their own,
 * for any thread to take. */
static bool take_chained(struct th_scanner *s, size_t last, bool go_on)
{
	pthread_mutex_lock(&s->lock);
	bool found = last + 1 < s->n_items && s->items[last + 1].chained;
	if (found && go_on) {
		s->items[last + 1].taken = true;
	} else if (found) {
		for (size_t i = last + 1; i < s->n_items && s->items[i].chained;
		     i++)
			s->items[i].chained = false;
		if (s->untaken > last + 1)
			s->untaken = last + 1;
		found = false;
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

/* Whether the chain that item IT ended, into aggregate AGG, may go on
 * with the range after it: IT ended at a safe cut, so a fresh pipeline
 * there reads on as the one that scanned IT would have; and AGG is small,
 * since the last chain to end is merged after every scan has ended, where
 * a range's groups were merged while other threads still scanned (a
 * chain of many groups ends, as ranges did; TH_CHAIN_GROUPS). */
static bool chain_goes_on(const struct item *it, const struct th_agg *agg)
{
	return it->ranged && it->cut_after && !it->unsafe &&
	       it->error == NULL && !it->stated && agg_spilled(agg) == 0 &&
	       agg_held(agg) <= TH_CHAIN_GROUPS;
}

/* Scans item FIRST, then the ranges chained after it while the chain
 * goes on (chain_goes_on) and no other thread took the next one over
 * (take_item), into one aggregate, FIRST's: the chain's lines count on
 * from FIRST's, as in one range. Then marks them ended and merges what it
 * can. Where a chain ends may follow the threads' timing; the report does
 * not (README.md, "Memory and temporary files"). One aggregate a chain, where
 * one a range cost -j 2 a tenth more instructions than -j 1 on a crash
 * loop (docs/performance.md). RUN takes each item's counts, which then
 * move to the item. */
static void scan_chain(struct th_scanner *s, struct lane *ln,
		       struct th_run *run, size_t first)
{
	struct item *head = &s->items[first];
	/* the report's budget is a share of -S (main.c) */
	head->agg = agg_new_like(s->agg);
	ln->agg = head->agg;
	size_t last = first;
	uint64_t lines = 0;
	for (;;) {
		struct item *it = &s->items[last];
		if (last > first)
			it->line_base = lines;
		scan_item(ln, it, s->run->inputs[it->input].name);
		it->run = *run;
		run_init(run, rules_ignore_count(s->rules));
		lines += it->lines;
		if (!take_chained(s, last, chain_goes_on(it, head->agg)))
			break;
		last++;
	}
	/* merging stops at the head, so the chain is scanned again whole */
	head->unsafe = head->unsafe || s->items[last].unsafe;
	pthread_mutex_lock(&s->merge_lock);
	for (size_t i = first; i <= last; i++)
		s->items[i].done = true;
	merge_ended(s);
	if (head->agg != NULL) /* waits for the items before it */
		agg_spill_now(head->agg);
	pthread_mutex_unlock(&s->merge_lock);
}

/* A worker: takes items until none is left (take_item). One pipeline
 * serves all its items, as the serial scan's serves all inputs (making
 * one for each item cost 0.3 ms). */
static void *work(void *arg)
{
	struct th_scanner *s = arg;
	/* first: its lane, read window and groups on huge pages (heap.h) */
	struct heap_pads pads = heap_warm(NULL);
	struct th_run run;
	run_init(&run, rules_ignore_count(s->rules));
	struct lane *ln = lane_new(s, NULL, NULL, &run);
	size_t i;
	while (take_item(s, &i))
		scan_chain(s, ln, &run, i);
	/* its merges are done: the main thread may write the report while
	 * this one frees its lane (scanner_finish) */
	pthread_mutex_lock(&s->done_lock);
	atomic_fetch_sub(&s->working, 1);
	pthread_cond_signal(&s->one_done);
	pthread_mutex_unlock(&s->done_lock);
	lane_free(ln);
	run_fini(&run);
	heap_pads_free(&pads);
	return NULL;
}

/* Scans item FIRST, a range whose cut after it was unsafe, again to the
 * end of its input as one range, whose results replace those of FIRST and
 * of the input's later ranges (emptied). FIRST starts at the input's start
 * or at a safe cut (the ranges before it were merged), so what a fresh
 * pipeline finds from there is what a serial scan finds. Rare: it takes
 * events open in one writer at another writer's cut (docs/performance.md). */
static void rescan_rest(struct th_scanner *s, size_t first)
{
	struct item *it = &s->items[first];
	size_t input = it->input;
	for (size_t i = first; i < s->n_items && s->items[i].input == input;
	     i++) {
		struct item *r = &s->items[i];
		it->end = r->end;
		agg_free(r->agg);
		r->agg = agg_new_like(s->agg);
		run_fini(&r->run);
		run_init(&r->run, rules_ignore_count(s->rules));
		free(r->error);
		r->error = NULL;
		r->lines = r->bytes = 0;
		r->unsafe = false;
	}
	it->cut_after = false;
	if (it->start == 0)
		it->ranged = false; /* the whole file, as a serial scan reads */
	note_cut(s, it->path,
		 it->ranged ? "scanned again from a cut"
			    : "scanned again whole");
	struct lane *ln = lane_new(s, it->agg, NULL, &it->run);
	scan_item(ln, it, s->run->inputs[input].name);
	lane_free(ln);
}

/* Merges item MERGED, ended and cut safely, into the scanner's aggregate
 * and run, its lines after those of the ranges before it, and frees its
 * aggregate. Straight into AGG, as a serial scan adds. */
static void merge_next(struct th_scanner *s)
{
	struct item *it = &s->items[s->merged++];
	if (it->agg != NULL) /* NULL: on the chain of an item before it */
		agg_merge(s->agg, it->agg, it->input, s->input_lines);
	agg_free(it->agg);
	it->agg = NULL;
	run_add(s->run, &it->run);
	record_input(s, it);
	bool input_ends =
	    s->merged == s->n_items || s->items[s->merged].input != it->input;
	s->input_lines = input_ends ? 0 : s->input_lines + it->lines;
}

/* Merges the items that have ended, in order, as far as they go: while
 * the other threads still scan, so that only the last range is left to
 * merge when the last scan ends (docs/performance.md). A range whose cut
 * turned out unsafe stops the merging. Called with merge_lock held. */
static void merge_ended(struct th_scanner *s)
{
	while (!s->stopped && s->merged < s->n_items &&
	       s->items[s->merged].done) {
		if (s->items[s->merged].unsafe) {
			s->stopped = true;
			break;
		}
		merge_next(s);
	}
}

/* Merges the items merge_ended left once every scan has ended, scanning
 * the rest of an input again where a cut was unsafe. */
static void merge_items(struct th_scanner *s)
{
	for (;;) {
		merge_ended(s);
		if (s->merged == s->n_items)
			return;
		rescan_rest(s, s->merged);
		s->stopped = false;
	}
}

/* How long, in ms, the main thread watches the last threads end once
 * one has (wait_for_workers) before it sleeps again: longer than the
 * threads of a quiet machine end apart (0.5 to 4 ms on the crash loop),
 * short enough that a CPU quota it eats into stays a small matter. */
#define WATCH_MS 20

/* The CPUs this process may run on (its affinity; 1 when unknown). */
static size_t usable_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return 1;
	int n = CPU_COUNT(&set);
	return n > 0 ? (size_t)n : 1;
}

/* Returns once every thread has taken its last item and merged what it
 * could. It sleeps until one has; when a CPU is then free of them, it
 * watches the others end there, yielding it to anything that wants it,
 * rather than sleeping: a thread woken when the last one ends started
 * about a millisecond later on the virtual machines we measure on, the
 * last thing before the report (docs/performance.md, "The end of a
 * scan"). It sleeps again after WATCH_MS. */
static void wait_for_workers(struct th_scanner *s)
{
	pthread_mutex_lock(&s->done_lock);
	while (s->n_threads > 0 && atomic_load(&s->working) == s->n_threads)
		pthread_cond_wait(&s->one_done, &s->done_lock);
	pthread_mutex_unlock(&s->done_lock);
	size_t cpus = usable_cpus();
	uint64_t until = th_now_ms() + WATCH_MS;
	while (th_now_ms() < until) {
		size_t left = atomic_load(&s->working);
		if (left == 0 || left >= cpus) /* done, or no CPU to spare */
			break;
		sched_yield();
	}
	pthread_mutex_lock(&s->done_lock);
	while (atomic_load(&s->working) > 0)
		pthread_cond_wait(&s->one_done, &s->done_lock);
	pthread_mutex_unlock(&s->done_lock);
}

void scanner_finish(struct th_scanner *s)
{
	if (s->serial != NULL || s->n_items == 0)
		return;
	size_t n = s->opt.jobs < s->n_items ? s->opt.jobs : s->n_items;
	s->threads = xcalloc(n, sizeof *s->threads);
	atomic_store(&s->working, n);
	for (; s->n_threads < n; s->n_threads++)
		if (pthread_create(&s->threads[s->n_threads], NULL, work, s) !=
		    0)
			break;
	/* the threads that did not start never take an item (the others
	 * may have ended already) */
	atomic_fetch_sub(&s->working, n - s->n_threads);
	if (s->n_threads == 0) { /* none could start: this one does it all */
		atomic_store(&s->working, 1);
		work(s);
	}
	wait_for_workers(s);
	merge_items(s);
}

/* A file the walk found, or a directory it could not list. */
static void on_walk(void *ctx, const char *path, const char *why)
{
	struct th_scanner *s = ctx;
	if (why == NULL) {
		visit_file(s, path);
		return;
	}
	struct item it = {.input = run_add_input(s->run, path),
			  .error = (char *)why};
	record_input(s, &it);
}

void scanner_scan_path(struct th_scanner *s, const char *path)
{
	walk_path(path, on_walk, s);
}

struct th_pipeline_setup scanner_pipeline_setup(struct th_scanner *s)
{
	return (struct th_pipeline_setup){.rules = s->rules,
					  .trigger = s->trigger,
					  .framed = s->framed,
					  .run = s->run,
					  .deliver = deliver,
					  .ctx = s->serial};
}
