/* fuzz_pipeline.c - libFuzzer harness for the whole scan path: the data is
 * one input file, read by the scanner as tracehound reads a file (input,
 * lines, prefix, assembler, classifier, aggregate) with the default rules,
 * and reported by the JSON sink to /dev/null. Looks for crashes, leaks and
 * sanitizer reports; the output itself is not checked.
 *
 * The rules are loaded once from TH_FUZZ_PATTERNS_DIR (the source tree's
 * patterns/); the data goes into a memfd that the scanner opens by its
 * /proc/self/fd path, so it is detected, decompressed and read exactly as
 * a file named on the command line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agg.h"
#include "diag.h"
#include "report.h"
#include "rules.h"
#include "run.h"
#include "scan.h"

#ifndef TH_FUZZ_PATTERNS_DIR
#error "TH_FUZZ_PATTERNS_DIR must name the patterns/ directory"
#endif

/* Set up once and reused: the rules are immutable after rules_finish. */
static struct th_rules *rules;
static FILE *devnull;
static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct th_error err = {0};
	rules = rules_new();
	if (!rules_load_path(rules, TH_FUZZ_PATTERNS_DIR, &err) ||
	    !rules_finish(rules, &err)) {
		diag_report(&err);
		abort();
	}
	devnull = fopen("/dev/null", "w");
	fd = memfd_create("fuzz_pipeline", MFD_CLOEXEC);
	if (devnull == NULL || fd < 0)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return 0;
}

static void put(const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) != 0)
		abort();
	for (size_t done = 0; done < size;) {
		ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);
		if (w <= 0)
			abort();
		done += (size_t)w;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Both the default grouping and one by every key, chosen by the
	 * size so that each input always takes the same path. */
	static const enum th_key all[TH_KEY_COUNT] = {
	    TH_KEY_RULE,       TH_KEY_EXCEPTION, TH_KEY_TASK,	  TH_KEY_INPUT,
	    TH_KEY_DEFINED_AT, TH_KEY_CULPRIT,	 TH_KEY_COROUTINE};
	size_t n_keys = size % 2 ? TH_KEY_COUNT : 1;
	const enum th_key *keys = size % 2 ? all : all + TH_KEY_COUNT - 1;

	put(data, size);
	struct th_run run;
	run_init(&run, rules_ignore_count(rules));
	struct th_agg *agg = agg_new(rules_catalog(rules), keys, n_keys);
	struct th_report_ctx ctx = {.out = devnull,
				    .catalog = rules_catalog(rules),
				    .agg = agg,
				    .run = &run,
				    .version = "fuzz"};
	struct th_sink *sink = report_json_new(&ctx);
	struct th_scanner *scanner = scanner_new(rules, agg, sink, &run, NULL);
	scanner_scan_path(scanner, path);
	sink->finish(sink);
	scanner_free(scanner);
	sink->free(sink);
	agg_free(agg);
	run_fini(&run);
	return 0;
}
