/* scan.h - read inputs to their end and push every line through the
 * pipeline: lines -> prefix -> assemble -> classify -> aggregate and sink.
 *
 * Owns:        the per-run pipeline objects (matcher, trigger, prefixer,
 *              assembler, classifier).
 * Borrows:     rules, aggregate, sink and run (must outlive it).
 * Errors:      an input that cannot be opened or read is named on stderr
 *              (through diag), recorded in the run, and the scan goes on.
 */
#ifndef TH_SCAN_H
#define TH_SCAN_H

#include "agg.h"
#include "report.h"
#include "rules.h"
#include "run.h"

struct th_scanner;

struct th_scanner *scanner_new(const struct th_rules *rules, struct th_agg *agg,
			       struct th_sink *sink, struct th_run *run);
void scanner_free(struct th_scanner *s);

/* Scans PATH ("-" for stdin). Returns false when the input failed (it is
 * then recorded in the run; what was read before the failure counts). */
bool scanner_scan_path(struct th_scanner *s, const char *path);

#endif
