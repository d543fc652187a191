/* merge.h - the report reader: read JSON reports (README.md, "The JSON
 * report"; schema "tracehound.report/1") and add them up into one
 * aggregate and one run that the report sinks print, for `tracehound
 * merge`.
 *
 * Owns:        the catalog, aggregate and run it builds (valid until
 *              merge_free), copies of everything it keeps from reports.
 * Borrows:     report bytes only for the duration of a call.
 * Errors:      a report that cannot be read, is not JSON, is not a
 *              tracehound report, lacks a field, has one of the wrong type
 *              or is grouped by other keys fills a struct th_error naming
 *              it (and the field: "groups[2].count: expected ...") and
 *              the call returns false; nothing is printed.
 *
 * Reports are read twice: a first pass checks every one and notes what
 * the result needs up front (group-by keys, rule and ignore rule ids,
 * input names), a second adds them up. Standard input is kept in memory
 * between the passes, files are read again.
 *
 * The result does not depend on the reports' order or grouping (merging
 * is associative and commutative): counts and per-rule, per-exception,
 * ignored and skipped counts add; severity is the highest; tasks and
 * defined_at keep the TH_MAX_LIST smallest (capped flags OR, or set when
 * the union overflows); first and last widen (by time when both have one,
 * else by input name and line) and the example follows first; timelines
 * fold to the wider bucket width and add (timeline.h); the scanned
 * inputs are concatenated and sorted by name; the reports' labels
 * (--label) and each group's are united, the group's capped like tasks.
 * The rule ids are those the
 * reports name, not the local rule files: a fleet's hosts may run rules
 * the merging host does not have. The group-by keys must be the same set
 * in every report that has groups (a report without groups fits any); in
 * the order the reports give, or in --group-by's canonical order when
 * they disagree. Unknown fields are ignored, so a newer report with more
 * to say still merges.
 */
#ifndef TH_MERGE_H
#define TH_MERGE_H

#include "agg.h"
#include "catalog.h"
#include "diag.h"
#include "run.h"
#include "th_limits.h"

struct th_merge;

struct th_merge *merge_new(void);
void merge_free(struct th_merge *m);

/* Both passes over the reports at PATHS ("-" is standard input; each may
 * be gzip or zstd compressed and hold several reports one after another),
 * then the result is ready. Returns false, and ERR names the report and
 * what is wrong, at the first problem; nothing is merged then. */
bool merge_paths(struct th_merge *m, const char *const *paths, size_t n,
		 struct th_error *err);

/* The same in steps, on reports in memory (tests, fuzzing): check every
 * buffer (NAME is what messages call it), prepare, then add the same
 * buffers. merge_add_buffer refuses a buffer that names an id, key or
 * input the checks did not see. */
bool merge_check_buffer(struct th_merge *m, const char *name, const char *data,
			size_t len, struct th_error *err);
bool merge_prepare(struct th_merge *m, struct th_error *err);
bool merge_add_buffer(struct th_merge *m, const char *name, const char *data,
		      size_t len, struct th_error *err);

/* The result, after merge_paths or merge_prepare; valid until merge_free.
 * The catalog holds the rule and ignore rule ids the reports name. */
const struct th_catalog *merge_catalog(const struct th_merge *m);
struct th_agg *merge_agg(struct th_merge *m);
const struct th_run *merge_run(struct th_merge *m);

/* The labels of the reports (their "labels": --label), sorted and each
 * once, in *N; valid until merge_free. */
const char *const *merge_labels(struct th_merge *m, size_t *n);

#endif
