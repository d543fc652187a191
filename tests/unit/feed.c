/* feed.c - see feed.h. */
#include "feed.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "input.h"
#include "lines.h"
#include "pipeline.h"
#include "prefix.h"
#include "rules.h"
#include "run.h"
#include "trigger.h"

struct collect {
	const struct th_rules *rules;
	struct got *out;
	size_t n;
};

static void copy_field(const struct th_event *ev, enum th_field f, char *dst,
		       size_t cap)
{
	struct th_span v = event_get(ev, f);
	if (v.p == NULL)
		snprintf(dst, cap, "-");
	else
		snprintf(dst, cap, "%.*s", (int)v.n, v.p);
}

static void deliver(void *ctx, const struct th_event *ev)
{
	struct collect *c = ctx;
	if (c->n < GOT_MAX) {
		struct got *g = &c->out[c->n];
		snprintf(g->rule, sizeof g->rule, "%s",
			 rules_id(c->rules, ev->rule));
		copy_field(ev, TH_F_COROUTINE, g->coroutine,
			   sizeof g->coroutine);
		copy_field(ev, TH_F_EXCEPTION, g->exception,
			   sizeof g->exception);
		copy_field(ev, TH_F_TASK, g->task, sizeof g->task);
		copy_field(ev, TH_F_DEFINED_AT, g->defined_at,
			   sizeof g->defined_at);
		copy_field(ev, TH_F_CREATED_AT, g->created_at,
			   sizeof g->created_at);
		copy_field(ev, TH_F_MESSAGE, g->message, sizeof g->message);
		if (event_has_culprit(ev))
			snprintf(g->culprit, sizeof g->culprit,
				 "%.200s:%" PRIu64 " in %.200s",
				 ev->culprit.file.v, ev->culprit.line,
				 ev->culprit.function.v);
		else
			snprintf(g->culprit, sizeof g->culprit, "-");
		isotime_print(&ev->time, g->time);
		g->line = ev->line;
		g->end_line = ev->end_line;
		g->complete = ev->complete;
	}
	c->n++;
}

static struct th_rules *load(const char *extra_yaml)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_path(r, TH_TEST_PATTERNS_DIR, &err), "%s:%zu: %s",
		  err.file, err.line, err.message);
	if (extra_yaml)
		cr_assert(rules_load_buffer(r, "extra.yaml", extra_yaml,
					    strlen(extra_yaml), &err),
			  "%s:%zu:%zu: %s", err.file, err.line, err.column,
			  err.message);
	cr_assert(rules_finish(r, &err), "%s", err.message);
	return r;
}

/* Feeds TEXT's lines, leaving the input open. */
static void feed_lines(struct th_pipeline *p, const char *text)
{
	pipeline_begin_input(p, "test.log", 0, 0);
	uint64_t number = 1, offset = 0;
	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		struct th_line line = {{s, n}, number++, offset, false, false};
		offset += n + (nl != NULL);
		pipeline_feed_line(p, &line, offset);
		s += n + (nl != NULL);
	}
}

void pipeline_feed_text(struct th_pipeline *p, const char *text)
{
	feed_lines(p, text);
	pipeline_end_input(p);
}

/* A pipeline of the default rules (and EXTRA_YAML) delivering into OUT,
 * and what it needs. */
struct harness {
	struct th_rules *rules;
	struct th_trigger *trigger, *framed;
	struct th_run run;
	struct collect c;
	struct th_pipeline *p;
};

static void harness_open(struct harness *h, const char *extra_yaml,
			 struct got *out)
{
	h->rules = load(extra_yaml);
	h->trigger = pipeline_trigger_new(h->rules, false);
	h->framed = pipeline_trigger_new(h->rules, true); /* as scan.c */
	run_init(&h->run, rules_ignore_count(h->rules));
	h->c = (struct collect){.rules = h->rules, .out = out};
	struct th_pipeline_setup ps = {.rules = h->rules,
				       .trigger = h->trigger,
				       .framed = h->framed,
				       .run = &h->run,
				       .deliver = deliver,
				       .ctx = &h->c};
	h->p = pipeline_new(&ps);
}

/* Frees H; returns how many events it delivered. */
static size_t harness_close(struct harness *h)
{
	pipeline_free(h->p);
	run_fini(&h->run);
	trigger_free(h->framed);
	trigger_free(h->trigger);
	rules_free(h->rules);
	return h->c.n;
}

/* Runs TEXT through a pipeline of the default rules (and EXTRA_YAML) into
 * OUT; *CUT_SAFE, when not NULL, says whether pipeline_cut_safe held at
 * the end of the text for a cut before a line of WRITER. */
static size_t run_text(const char *text, const char *extra_yaml,
		       struct got *out, bool *cut_safe, uint32_t writer)
{
	struct harness h;
	harness_open(&h, extra_yaml, out);
	if (cut_safe != NULL) { /* as scan.c ends a range */
		feed_lines(h.p, text);
		pipeline_finish_lines(h.p);
		*cut_safe = pipeline_cut_safe(h.p, writer);
		pipeline_close_events(h.p);
	} else {
		pipeline_feed_text(h.p, text);
	}
	return harness_close(&h);
}

static void ignore_probe(void *ctx, const struct th_probe *p)
{
	(void)ctx;
	(void)p;
}

size_t pipeline_run_read(const char *text, bool every_line, struct got *out)
{
	struct harness h;
	harness_open(&h, NULL, out);
	if (every_line)
		pipeline_set_probes(h.p, ignore_probe, NULL, NULL);
	int fd = memfd_create("feed", MFD_CLOEXEC);
	cr_assert(fd >= 0);
	size_t n = strlen(text);
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
	struct th_input *in = input_from_fd(fd, "test.log");
	struct th_lines *l = lines_new(in, 256);
	pipeline_begin_input(h.p, "test.log", 0, 0);
	cr_assert_eq(pipeline_read(h.p, l), TH_EOF);
	pipeline_end_input(h.p);
	lines_free(l);
	input_close(in);
	close(fd);
	return harness_close(&h);
}

size_t pipeline_run(const char *text, const char *extra_yaml, struct got *out)
{
	return run_text(text, extra_yaml, out, NULL, 0);
}

bool pipeline_run_cut_safe(const char *text, const char *next_line)
{
	struct got got[GOT_MAX];
	struct th_prefixer *pf = prefix_new(NULL, NULL);
	struct th_span next = th_cstr(next_line);
	uint32_t writer = 0;
	bool boundary = prefix_safe_boundary(pf, next) ||
			prefix_framed_boundary(pf, next, &writer);
	prefix_free(pf);
	cr_assert(boundary, "not a place to cut: %s", next_line);
	bool safe;
	run_text(text, NULL, got, &safe, writer);
	return safe;
}
