/* run.c - run-wide counters; see run.h. */
#include "run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

/* Nothing counted yet (worst -1). */
static struct th_counts counts_zero(void)
{
	return (struct th_counts){.worst = -1};
}

/* DST += SRC (worst: the higher). */
static void counts_add(struct th_counts *dst, const struct th_counts *src)
{
	dst->events += src->events;
	if (src->worst > dst->worst)
		dst->worst = src->worst;
	dst->lines_truncated += src->lines_truncated;
	dst->events_truncated += src->events_truncated;
	dst->events_incomplete += src->events_incomplete;
	dst->match_errors += src->match_errors;
	dst->groups_dropped += src->groups_dropped;
}

void run_init(struct th_run *run, size_t n_ignore_rules)
{
	memset(run, 0, sizeof *run);
	run->n_ignored = n_ignore_rules;
	run->counts = counts_zero();
	run->ignored =
	    xcalloc(n_ignore_rules ? n_ignore_rules : 1, sizeof *run->ignored);
}

void run_fini(struct th_run *run)
{
	for (size_t i = 0; i < run->n_inputs; i++) {
		free(run->inputs[i].name);
		free(run->inputs[i].error);
	}
	free(run->inputs);
	free(run->ignored);
	memset(run, 0, sizeof *run);
}

void run_add(struct th_run *dst, const struct th_run *src)
{
	counts_add(&dst->counts, &src->counts);
	for (size_t i = 0; i < dst->n_ignored && i < src->n_ignored; i++)
		dst->ignored[i] += src->ignored[i];
}

const char *run_input_name(const char *path, const char *stdin_name)
{
	return strcmp(path, "-") == 0 && stdin_name != NULL ? stdin_name : path;
}

size_t run_add_input(struct th_run *run, const char *name)
{
	XGROW(run->inputs, run->cap_inputs, run->n_inputs + 1, 8);
	struct th_run_input *in = &run->inputs[run->n_inputs];
	memset(in, 0, sizeof *in);
	in->name = xstrdup(name);
	return run->n_inputs++;
}

bool run_fail_input(struct th_run *run, size_t index, const char *why)
{
	struct th_run_input *in = &run->inputs[index];
	if (in->error != NULL)
		return false;
	in->error = xstrdup(why);
	run->inputs_failed++;
	return true;
}

void run_notify(const struct th_notify *n, enum th_notice kind,
		const char *file, const char *fmt, ...)
{
	if (n == NULL || n->fn == NULL)
		return;
	struct th_error e = {.set = true};
	snprintf(e.file, sizeof e.file, "%s", file);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof e.message, fmt, ap);
	va_end(ap);
	n->fn(n->ctx, &e, kind);
}
