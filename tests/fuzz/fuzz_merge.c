/* fuzz_merge.c - libFuzzer harness for the report reader (merge.h): the
 * data is one report file, which may hold several reports one after
 * another. Most inputs are refused, which is fine; crashes, leaks and
 * sanitizer reports are what is looked for, plus two invariants:
 *   - a buffer the checking pass accepted is accepted by the adding pass
 *     (the two passes read alike);
 *   - merging is idempotent: the merged report, printed as JSON, read back
 *     and merged on its own, prints the same bytes again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "report.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())

/* Merges DATA on its own and returns the JSON report (caller frees), or
 * NULL when the report reader refused it (*ADD_FAILED: refused by the
 * adding pass after the checking pass accepted it). */
static char *merge_once(const char *data, size_t size, bool *add_failed)
{
	struct th_merge *m = merge_new();
	struct th_error err = {0};
	char *out = NULL;
	size_t len = 0;
	*add_failed = false;
	if (merge_check_buffer(m, "fuzz.json", data, size, &err) &&
	    merge_prepare(m, &err)) {
		if (!merge_add_buffer(m, "fuzz.json", data, size, &err)) {
			*add_failed = true;
			merge_free(m);
			return NULL;
		}
		FILE *f = open_memstream(&out, &len);
		CHECK(f != NULL);
		struct th_report_ctx ctx = {.out = f,
					    .catalog = merge_catalog(m),
					    .agg = merge_agg(m),
					    .run = merge_run(m),
					    .version = "fuzz"};
		struct th_sink *sink = report_json_new(&ctx);
		CHECK(sink->finish(sink));
		sink->free(sink);
		fclose(f);
	}
	merge_free(m);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool add_failed;
	char *once = merge_once((const char *)data, size, &add_failed);
	CHECK(!add_failed);
	if (once == NULL)
		return 0;
	char *twice = merge_once(once, strlen(once), &add_failed);
	CHECK(!add_failed);
	CHECK(twice != NULL);
	CHECK(strcmp(once, twice) == 0);
	free(once);
	free(twice);
	return 0;
}
