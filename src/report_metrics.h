/* report_metrics.h - --metrics FILE: the Prometheus text format that
 * node_exporter's textfile collector reads, written atomically after a
 * run.
 *
 * Owns:        nothing past a call.
 * Borrows:     the struct th_metrics given (metrics.h).
 * Errors:      report_metrics_write returns false with a message that
 *              names the file; nothing here prints.
 *
 * What is written (README.md, "Prometheus: `--metrics`"), each series
 * with the --metrics-label labels first:
 *   tracehound_events_total{rule,severity}  counter, one per rule
 *   tracehound_group_events_total{KEYS...}  counter, one per group among
 *       the TH_METRICS_GROUP_SERIES with the most events, labelled by
 *       the --group-by keys (a key without a value: no label); the rest
 *       summed in {group="other"}
 *   tracehound_inputs_read_total, tracehound_input_errors_total,
 *   tracehound_read_bytes_total             counters
 *   tracehound_new_groups                   gauge (--state runs only)
 *   tracehound_last_run_timestamp_seconds, tracehound_last_run_success
 * The counters are the caller's totals: every run's with --state (kept
 * in the state file, so they only go up), this run's without.
 *
 * Label values are log text: invalid UTF-8 becomes U+FFFD and backslash,
 * double quote and newline are escaped, as the exposition format asks.
 * Two groups whose values read the same once cleaned are one series
 * (their events added): a series is never written twice.
 */
#ifndef TH_REPORT_METRICS_H
#define TH_REPORT_METRICS_H

#include <stdio.h>

#include "agg.h"
#include "catalog.h"
#include "metrics.h"
#include "run.h"

/* Counts one run alone (no --state): AGG's groups (the top ones by
 * count get their series, the rest go to other), every rule of CATALOG,
 * RUN's inputs, failed inputs and bytes. Sets counted. */
void report_metrics_count_run(struct th_metrics *m, struct th_agg *agg,
			      const struct th_catalog *catalog,
			      const struct th_run *run);

/* Writes label value S (a C string of log text), escaped, to OUT. */
void report_metrics_put_label_value(FILE *out, const char *s);

/* Prints M in the text exposition format. False when a write failed. */
bool report_metrics_print(FILE *out, const struct th_metrics *m);

/* Writes M to PATH atomically: a temp file beside it (PATH.tmp.XXXXXX,
 * which the textfile collector ignores), readable by all (node_exporter
 * runs as another user), synced, renamed over PATH, the directory
 * synced. False with ERR filled (PATH, why); PATH is then as it was. */
bool report_metrics_write(const char *path, const struct th_metrics *m,
			  struct th_error *err);

#endif
