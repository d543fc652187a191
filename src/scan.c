/* scan.c - drive one input through the pipeline; see scan.h.
 *
 * While no event is open the scanner never looks at single lines: it asks
 * the trigger for the next literal in the whole buffered window, skips
 * the lines before it in bulk and only then reads the candidate line.
 */
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "classify.h"
#include "diag.h"
#include "input.h"
#include "th_limits.h"
#include "lines.h"
#include "prefix.h"
#include "trigger.h"

struct th_scanner {
	const struct th_rules *rules;
	struct th_agg *agg;
	struct th_sink *sink;
	struct th_run *run;
	struct th_matcher *matcher;
	struct th_trigger *trigger;
	struct th_prefixer *prefixer;
	struct th_assembler *assembler;
	struct th_classifier *classifier;
};

/* A classified event: into its group and out through the sink. */
static void deliver(void *ctx, const struct th_event *ev)
{
	struct th_scanner *s = ctx;
	int sev = (int)rules_severity(s->rules, ev->rule);
	if (sev > s->run->worst)
		s->run->worst = sev;
	if (!agg_add(s->agg, ev))
		s->run->groups_dropped++;
	s->sink->event(s->sink, ev);
}

static void on_event(void *ctx, struct th_event *ev)
{
	struct th_scanner *s = ctx;
	classify_event(s->classifier, ev);
}

struct th_scanner *scanner_new(const struct th_rules *rules, struct th_agg *agg,
			       struct th_sink *sink, struct th_run *run,
			       size_t jobs)
{
	(void)jobs; /* TODO(#4): parallel scans */
	struct th_scanner *s = xcalloc(1, sizeof *s);
	s->rules = rules;
	s->agg = agg;
	s->sink = sink;
	s->run = run;
	s->matcher = matcher_new(rules);
	s->trigger = trigger_new(rules);
	s->prefixer = prefix_new(rules, s->matcher);
	s->assembler =
	    assembler_new(rules, s->matcher, s->trigger, on_event, s);
	s->classifier = classify_new(rules, s->matcher, run, deliver, s);
	return s;
}

void scanner_free(struct th_scanner *s)
{
	if (s == NULL)
		return;
	classify_free(s->classifier);
	assembler_free(s->assembler);
	prefix_free(s->prefixer);
	trigger_free(s->trigger);
	matcher_free(s->matcher);
	free(s);
}

static void feed_records(struct th_scanner *s, const struct th_record *recs,
			 size_t n)
{
	for (size_t i = 0; i < n; i++)
		assembler_feed(s->assembler, &recs[i]);
}

static void feed_line(struct th_scanner *s, struct th_lines *l,
		      const struct th_line *line)
{
	const struct th_record *recs;
	size_t n = prefix_parse(s->prefixer, line, lines_offset(l), &recs);
	feed_records(s, recs, n);
}

/* One step of the fast path: skips the buffered lines before the next
 * candidate. Sets *READY when the next line is one to read (a candidate,
 * or a line too long for the window); otherwise a whole window was
 * skipped. Returns the status of the reads. */
static enum th_status skip_to_candidate(struct th_scanner *s,
					struct th_lines *l, bool *ready)
{
	struct th_span w;
	enum th_status st = lines_window(l, &w);
	*ready = st == TH_OK;
	if (st != TH_OK || w.n == 0)
		return st;
	size_t hit = trigger_find(s->trigger, w);
	if (hit == w.n) {
		lines_skip(l, w.n);
		*ready = false;
		return TH_OK;
	}
	const char *nl = memrchr(w.p, '\n', hit);
	lines_skip(l, nl ? (size_t)(nl - w.p) + 1 : 0);
	return TH_OK;
}

static enum th_status scan_lines(struct th_scanner *s, struct th_lines *l)
{
	for (;;) {
		if (assembler_idle(s->assembler) &&
		    !prefix_pending(s->prefixer)) {
			bool ready;
			enum th_status st = skip_to_candidate(s, l, &ready);
			if (st != TH_OK)
				return st;
			if (!ready)
				continue;
		}
		struct th_line line;
		enum th_status st = lines_next(l, &line);
		if (st != TH_OK)
			return st;
		feed_line(s, l, &line);
	}
}

/* Records and names a failed input. */
static void input_failed(struct th_scanner *s, size_t index, const char *name,
			 const char *why)
{
	struct th_run_input *in = &s->run->inputs[index];
	free(in->error);
	in->error = xstrdup(why);
	s->run->inputs_failed++;
	diag_error("%s: %s", name, why);
}

static bool scan_file(struct th_scanner *s, const char *path)
{
	const char *name = strcmp(path, "-") == 0 ? "-" : path;
	size_t index = run_add_input(s->run, name);
	char err[256];
	struct th_input *in = input_open(path, err, sizeof err);
	if (in == NULL) {
		input_failed(s, index, name, err);
		return false;
	}
	struct th_lines *l = lines_new(in, TH_READ_BUFFER);
	const char *kept_name = s->run->inputs[index].name;
	assembler_begin_input(s->assembler, kept_name, index);
	prefix_begin_input(s->prefixer);
	enum th_status st = scan_lines(s, l);
	const struct th_record *recs;
	feed_records(s, recs, prefix_finish(s->prefixer, &recs));
	assembler_end_input(s->assembler);
	struct th_run_input *ri = &s->run->inputs[index];
	ri->lines = lines_number(l) - 1;
	ri->bytes = lines_offset(l);
	s->run->lines_truncated += lines_truncated(l);
	s->run->match_errors = rules_match_errors(s->matcher);
	bool ok = st == TH_EOF;
	if (!ok)
		input_failed(s, index, name, input_error(in));
	lines_free(l);
	input_close(in);
	return ok;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static bool scan_dir(struct th_scanner *s, const char *dir);

/* One name found in a directory: a subdirectory is walked, a regular file
 * (or a link to one) scanned; links to directories, devices, pipes and
 * sockets are passed over. */
static bool scan_entry(struct th_scanner *s, const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return scan_file(s, path); /* reports why it cannot be read */
	if (S_ISDIR(st.st_mode))
		return scan_dir(s, path);
	if (S_ISLNK(st.st_mode) && stat(path, &st) != 0)
		return scan_file(s, path); /* a dangling link: report it */
	return S_ISREG(st.st_mode) ? scan_file(s, path) : true;
}

/* Scans a directory's files and subdirectories in name order, skipping
 * hidden ones and not following symbolic links to directories (as
 * ripgrep does), so a link cycle cannot trap the walk. */
static bool scan_dir(struct th_scanner *s, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, not_hidden, by_name);
	if (n < 0) {
		size_t index = run_add_input(s->run, dir);
		input_failed(s, index, dir, strerror(errno));
		return false;
	}
	bool ok = true;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]->d_name) + 2;
		char *path = xmalloc(len);
		bool slash = dir[strlen(dir) - 1] == '/';
		snprintf(path, len, "%s%s%s", dir, slash ? "" : "/",
			 names[i]->d_name);
		ok = scan_entry(s, path) && ok;
		free(path);
		free(names[i]);
	}
	free(names);
	return ok;
}

bool scanner_scan_path(struct th_scanner *s, const char *path)
{
	struct stat st;
	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		return scan_dir(s, path);
	return scan_file(s, path);
}
