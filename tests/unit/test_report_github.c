/* test_report_github.c - the --format github sink: one workflow command
 * per group, the command by severity, file and line at the culprit when
 * it lies under the root (made relative to it), GitHub's escapes in the
 * message and in property values, log text cleaned of control
 * characters, --top and --examples, and an error for an input not read.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "report.h"

/* One group of a report: KEY (a JSON string's inside), COUNT events of
 * RULE at SEVERITY, and the rest of the group's members (culprit,
 * message, example) in MORE. */
#define GROUP(key, count, rule, severity, more)                                \
	"{\"key\": {\"coroutine\": \"" key "\"}, \"count\": " #count ","       \
	" \"rules\": {\"" rule "\": " #count "}, \"severity\": \"" severity    \
	"\", \"tasks\": [], \"defined_at\": [],"                               \
	" \"first\": {\"input\": \"app.log\", \"line\": 3, \"time\": null},"   \
	" \"last\": {\"input\": \"app.log\", \"line\": 9, \"time\": "          \
	"null}" more "}"

/* Five groups, largest first: one with text to escape whose culprit is
 * under /repo, one in the standard library, one at a pseudo-file, one at
 * a relative path with : and , in it, one without a culprit. */
#define ESCAPES                                                                \
	GROUP(                                                                 \
	    "fetch:user,%x", 5, "asyncio.exception-never-retrieved", "error",  \
	    ", \"exceptions\": {\"ConnectionError\": 3, \"TimeoutError\": 2}," \
	    " \"culprit\": {\"file\": \"/repo/app/users.py\", \"line\": 88,"   \
	    " \"function\": \"fetch_user\"},"                                  \
	    " \"message\": \"50% \\u001b[31mred\","                            \
	    " \"example\": \"Task exception was never retrieved\\nline "       \
	    "2\\r\\nConnectionError: 50% \\u001b[31mred\"")
#define LIBRARY                                                                \
	GROUP("slow", 4, "python.traceback", "warning",                        \
	      ", \"example\": \"x\", \"exceptions\": {}, \"culprit\": "        \
	      "{\"file\": "                                                    \
	      "\"/usr/lib/python3.11/asyncio/events.py\", \"line\": 84,"       \
	      " \"function\": \"_run\"}")
#define PSEUDO                                                                 \
	GROUP("tick", 3, "asyncio.slow-callback", "info",                      \
	      ", \"example\": \"x\", \"exceptions\": {}, \"culprit\": "        \
	      "{\"file\": \"<string>\","                                       \
	      " \"line\": 1, \"function\": \"<module>\"}")
#define RELATIVE                                                               \
	GROUP("odd", 2, "python.traceback", "error",                           \
	      ", \"example\": \"x\", \"exceptions\": {}, \"culprit\": "        \
	      "{\"file\": "                                                    \
	      "\"tests/a:b,c.py\", \"line\": 7, \"function\": \"test_odd\"}")
#define NO_CULPRIT                                                             \
	GROUP("lost", 1, "python.traceback", "error",                          \
	      ", \"example\": \"x\", \"exceptions\": {}")

/* The report, with an input that could not be read. */
static const char report[] =
    "{\"schema\": \"tracehound.report/1\","
    " \"tool\": {\"name\": \"tracehound\", \"version\": \"t\"},"
    " \"scanned\": {\"inputs\": [{\"name\": \"app.log\", \"lines\": 40,"
    "   \"bytes\": 999}, {\"name\": \"old.log.gz\", \"lines\": 0,"
    "   \"bytes\": 0, \"error\": \"cut 100% short\"}],"
    "   \"lines\": 40, \"bytes\": 999},"
    " \"events\": 15,"
    " \"groups\": [" ESCAPES "," LIBRARY "," PSEUDO "," RELATIVE "," NO_CULPRIT
    "],"
    " \"ignored\": {}, \"skipped\": {\"lines_truncated\": 0,"
    "   \"events_truncated\": 0, \"events_incomplete\": 0,"
    "   \"match_errors\": 0, \"groups_dropped\": 0}}";

/* The annotations of REPORT merged once, with TUNE's root, top and
 * examples. */
static char *annotations(struct th_report_ctx tune)
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
	struct th_sink *s = report_github_new(&ctx);
	cr_assert(s->finish(s));
	s->free(s);
	fclose(out);
	merge_free(m);
	return buf;
}

/* Line I (from 0) of TEXT, in BUF (CAP bytes). */
static const char *line_of(const char *text, size_t i, char *buf, size_t cap)
{
	for (; i > 0 && text != NULL; i--) {
		text = strchr(text, '\n');
		text = text ? text + 1 : NULL;
	}
	cr_assert(text != NULL && *text != '\0', "no line %zu", i);
	size_t n = strcspn(text, "\n");
	cr_assert(n < cap);
	memcpy(buf, text, n);
	buf[n] = '\0';
	return buf;
}

static void expect_starts(const char *text, const char *prefix)
{
	cr_expect(strncmp(text, prefix, strlen(prefix)) == 0,
		  "'%s' does not start with '%s'", text, prefix);
}

static size_t count_lines(const char *text)
{
	size_t n = 0;
	for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	return n;
}

Test(report_github, one_command_per_group_escaped_as_github_says)
{
	char *out = annotations((struct th_report_ctx){.root = "/repo/"});
	char line[4096];
	cr_expect_str_eq(
	    line_of(out, 0, line, sizeof line),
	    "::error file=app/users.py,line=88,title=tracehound%3A "
	    "fetch%3Auser%2C%25x (5 events)::asyncio.exception-never-"
	    "retrieved: ConnectionError×3, TimeoutError×2"
	    "%0Aat /repo/app/users.py:88 in fetch_user"
	    "%0Amessage: 50%25 \\x1b[31mred"
	    "%0Afirst: app.log:3%0Alast: app.log:9"
	    "%0A%0ATask exception was never retrieved%0Aline 2\\x0d"
	    "%0AConnectionError: 50%25 \\x1b[31mred");
	/* an input not read is an error without a place, after the groups */
	cr_expect_str_eq(line_of(out, 5, line, sizeof line),
			 "::error title=tracehound%3A input not read::"
			 "old.log.gz: cut 100%25 short");
	cr_expect_eq(count_lines(out), 6, "%s", out);
	free(out);
}

Test(report_github, severity_picks_error_warning_or_notice)
{
	char *out = annotations((struct th_report_ctx){.root = "/repo"});
	char line[4096];
	expect_starts(line_of(out, 0, line, sizeof line), "::error ");
	expect_starts(line_of(out, 1, line, sizeof line), "::warning ");
	expect_starts(line_of(out, 2, line, sizeof line), "::notice ");
	free(out);
}

Test(report_github, file_and_line_only_for_a_culprit_in_the_repository)
{
	char *out = annotations((struct th_report_ctx){.root = "/repo"});
	char line[4096];
	/* the standard library, outside the root: no place, the path in the
	 * text */
	expect_starts(line_of(out, 1, line, sizeof line),
		      "::warning title=tracehound%3A slow (4 events)::");
	cr_expect(strstr(line, "%0Aat /usr/lib/python3.11/asyncio/events.py"
			       ":84 in _run%0A") != NULL,
		  "%s", line);
	/* a pseudo-file */
	expect_starts(line_of(out, 2, line, sizeof line), "::notice title=");
	/* a relative path is the repository's already; : and , escaped */
	expect_starts(line_of(out, 3, line, sizeof line),
		      "::error file=tests/a%3Ab%2Cc.py,line=7,title=");
	/* no culprit */
	expect_starts(line_of(out, 4, line, sizeof line),
		      "::error title=tracehound%3A lost (1 event)::"
		      "python.traceback%0Aseen: app.log:3");
	free(out);
	/* without a root, an absolute culprit has no place either */
	out = annotations((struct th_report_ctx){0});
	expect_starts(out, "::error title=");
	free(out);
	/* a root that is only a prefix of the directory is not it */
	out = annotations((struct th_report_ctx){.root = "/re"});
	expect_starts(out, "::error title=");
	free(out);
}

Test(report_github, top_and_examples_bound_it)
{
	char *out = annotations(
	    (struct th_report_ctx){.root = "/repo", .top = 2, .examples = 2});
	char line[4096];
	cr_expect(strstr(line_of(out, 0, line, sizeof line),
			 "%0A%0ATask exception was never retrieved%0A… 1 more "
			 "line%0AConnectionError: 50%25 \\x1b[31mred") != NULL,
		  "%s", line);
	cr_expect_str_eq(line_of(out, 2, line, sizeof line),
			 "::notice title=tracehound::… and 3 more groups "
			 "(--top 2)");
	cr_expect_eq(count_lines(out), 4, "%s", out);
	free(out);
	out = annotations(
	    (struct th_report_ctx){.root = "/repo", .hide_examples = true});
	cr_expect(strstr(line_of(out, 0, line, sizeof line), "%0A%0A") == NULL,
		  "%s", line);
	cr_expect(strstr(line, "%0Alast: app.log:9") != NULL, "%s", line);
	free(out);
}
