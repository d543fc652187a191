/* test_report_markdown.c - the --format markdown sink: heading, summary
 * line, the table of groups (with Markdown in log text escaped), a section
 * per group with its example fenced, --top and --examples; and the
 * timeline a report carries, read back by merge and drawn.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "report.h"

/* Two groups: fetch_user (3 events, two at 10:00:00, one at 10:00:07) and
 * a coroutine whose name and example hold Markdown and backticks. */
static const char report[] =
    "{\"schema\": \"tracehound.report/1\","
    " \"tool\": {\"name\": \"tracehound\", \"version\": \"t\"},"
    " \"scanned\": {\"inputs\": [{\"name\": \"app.log\", \"lines\": 40,"
    "   \"bytes\": 999}], \"lines\": 40, \"bytes\": 999},"
    " \"events\": 4,"
    " \"groups\": ["
    "  {\"key\": {\"coroutine\": \"fetch_user\"}, \"count\": 3,"
    "   \"rules\": {\"asyncio.exception-never-retrieved\": 3},"
    "   \"exceptions\": {\"ConnectionError\": 2, \"TimeoutError\": 1},"
    "   \"severity\": \"error\", \"tasks\": [\"Task-2\"], \"defined_at\": [],"
    "   \"first\": {\"input\": \"app.log\", \"line\": 3,"
    "     \"time\": \"2024-05-01T10:00:00.100Z\"},"
    "   \"last\": {\"input\": \"app.log\", \"line\": 30,"
    "     \"time\": \"2024-05-01T10:00:07.000Z\"},"
    "   \"example\": \"Task exception was never retrieved\\nline 2\\nline "
    "3\","
    "   \"culprit\": {\"file\": \"app/users.py\", \"line\": 88,"
    "     \"function\": \"fetch_user\"},"
    "   \"message\": \"peer *reset*\","
    "   \"timeline\": {\"start\": \"2024-05-01T10:00:00Z\","
    "     \"bucket_seconds\": 1, \"counts\": [2, 0, 0, 0, 0, 0, 0, 1]}},"
    "  {\"key\": {\"coroutine\": \"a|b_<c>\"}, \"count\": 1,"
    "   \"rules\": {\"python.traceback\": 1}, \"exceptions\": {},"
    "   \"severity\": \"warning\", \"tasks\": [], \"defined_at\": [],"
    "   \"first\": {\"input\": \"app.log\", \"line\": 35, \"time\": null},"
    "   \"last\": {\"input\": \"app.log\", \"line\": 35, \"time\": null},"
    "   \"example\": \"x = ```not a fence```\"}"
    " ],"
    " \"ignored\": {}, \"skipped\": {\"lines_truncated\": 0,"
    "   \"events_truncated\": 0, \"events_incomplete\": 0,"
    "   \"match_errors\": 0, \"groups_dropped\": 0}}";

/* The markdown of REPORT merged once, with CTX's top and examples. */
static char *markdown(struct th_report_ctx tune)
{
	struct th_merge *m = merge_new();
	struct th_error err = {0};
	cr_assert(merge_check_buffer(m, "r.json", report, strlen(report), &err),
		  "%s", err.message);
	cr_assert(merge_prepare(m, &err), "%s", err.message);
	cr_assert(merge_add_buffer(m, "r.json", report, strlen(report), &err),
		  "%s", err.message);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct th_report_ctx ctx = tune;
	ctx.out = out;
	ctx.catalog = merge_catalog(m);
	ctx.agg = merge_agg(m);
	ctx.run = merge_run(m);
	struct th_sink *s = report_markdown_new(&ctx);
	cr_assert(s->finish(s));
	s->free(s);
	fclose(out);
	merge_free(m);
	return buf;
}

static void expect_has(const char *md, const char *want)
{
	cr_expect(strstr(md, want) != NULL, "no '%s' in:\n%s", want, md);
}

Test(report_markdown, heading_summary_and_table_of_groups)
{
	char *md = markdown((struct th_report_ctx){0});
	const char *head = "# tracehound report\n\n**4 events** in 2 groups, 1 "
			   "input, 40 lines; 2024-05-01 10:00:00 to "
			   "10:00:08.\n\n";
	cr_expect(strncmp(md, head, strlen(head)) == 0, "%s", md);
	expect_has(md, "| count | severity | coroutine | exceptions | first "
		       "| last | timeline |\n|------:|----------|---|---|---|"
		       "---|---|\n");
	expect_has(md, "| 3 | error | fetch\\_user | ConnectionError×2, "
		       "TimeoutError×1 | 2024-05-01 10:00:00 | 2024-05-01 "
		       "10:00:07 | `█      ▄` |\n");
	expect_has(md, "| 1 | warning | a\\|b\\_\\<c\\> | - | app.log:35 | "
		       "app.log:35 |  |\n");
	free(md);
}

Test(report_markdown, a_section_per_group_with_its_example_fenced)
{
	char *md = markdown((struct th_report_ctx){0});
	expect_has(md, "\n## fetch\\_user (3 events, error)\n\n"
		       "- **rules:** asyncio.exception-never-retrieved\n"
		       "- **exceptions:** ConnectionError×2, TimeoutError×1\n"
		       "- **tasks:** `Task-2`\n"
		       "- **at:** `app/users.py:88` in `fetch_user`\n"
		       "- **message:** peer \\*reset\\*\n"
		       "- **first:** `app.log:3` at 2024-05-01T10:00:00.100Z\n"
		       "- **last:** `app.log:30` at 2024-05-01T10:00:07.000Z\n"
		       "- **timeline:** `█      ▄` 2024-05-01 10:00:00 to "
		       "10:00:08, 1s a column\n\n"
		       "```text\nTask exception was never retrieved\nline 2\n"
		       "line 3\n```\n");
	/* A fence longer than the backticks inside. */
	expect_has(md, "\n````text\nx = ```not a fence```\n````\n");
	free(md);
}

/* A cut example keeps its final line (the "Type: message" of a
 * traceback) when two lines or more are shown. */
Test(report_markdown, top_and_examples_bound_it)
{
	char *md = markdown((struct th_report_ctx){.top = 1, .examples = 1});
	expect_has(md, "_… and 1 more group (--top 1)._\n");
	cr_expect(strstr(md, "## a\\|b") == NULL, "%s", md);
	expect_has(md, "```text\nTask exception was never retrieved\n```\n\n"
		       "_… 2 more lines_\n");
	free(md);
	md = markdown((struct th_report_ctx){.examples = 2});
	expect_has(md, "```text\nTask exception was never retrieved\n…\n"
		       "line 3\n```\n\n_… 1 more line_\n");
	free(md);
	md = markdown((struct th_report_ctx){.hide_examples = true});
	cr_expect(strstr(md, "```") == NULL, "%s", md);
	free(md);
}
