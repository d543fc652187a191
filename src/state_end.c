/* state_end.c - the --state end-of-input decision; see state_end.h. */
#include "state_end.h"

#include <sys/stat.h>
#include <time.h>

bool state_visit(const struct th_state *st, const char *path,
		 th_state_read_fn fn, void *ctx, const struct th_notify *notify)
{
	struct th_state_plan plan;
	if (!state_plan(st, path, &plan))
		return false;
	if (plan.warning[0] != '\0')
		run_notify(notify, TH_NOTICE_WARNING, path, "%s", plan.warning);
	for (size_t i = 0; i < plan.n; i++)
		fn(ctx, &plan.reads[i], &plan.id);
	state_plan_fini(&plan);
	return true;
}

/* True when PATH was last written SETTLE seconds ago or more. */
static bool writer_quiet(const char *path, long settle)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return true;
	return time(NULL) - st.st_mtime >= settle;
}

void state_end_read(struct th_assembler *a, const struct th_state_read *r,
		    uint64_t bytes, uint64_t lines, long settle_seconds,
		    struct th_state_end *out)
{
	uint64_t open_at, open_line, last;
	out->offset = r->start + bytes;
	out->lines = r->line_base + lines;
	out->held_line = 0;
	bool quiet = writer_quiet(r->path, settle_seconds);
	if (!r->tracked || r->compressed ||
	    !assembler_open_start(a, !quiet, &open_at, &open_line)) {
		assembler_end_input(a);
		return;
	}
	if (quiet)
		assembler_close_complete(a);
	if (assembler_last_emitted(a, &last) && last >= open_at) {
		assembler_end_input(a);
		return;
	}
	assembler_drop_open(a);
	out->offset = r->start + open_at;
	out->lines = r->line_base + open_line - 1;
	out->held_line = out->lines + 1;
}
