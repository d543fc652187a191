/* test_cli.c - the command line: options into struct th_options, errors
 * named on stderr (main exits 2 on CLI_ERROR), and the TRACEHOUND_* test
 * knobs of the environment into the options' knobs.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "state.h"
#include "th_limits.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof *(a)))

static const char *const knob_names[] = {
    "TRACEHOUND_SPLIT_MIN", "TRACEHOUND_SETTLE_SECONDS",
    "TRACEHOUND_LOCK_WAIT", "TRACEHOUND_TEST_PAUSE",
    "TRACEHOUND_MMAP",	    "TRACEHOUND_SCAN",
};

static void no_knobs(void)
{
	for (size_t i = 0; i < sizeof knob_names / sizeof *knob_names; i++)
		unsetenv(knob_names[i]);
}

TestSuite(cli, .init = no_knobs);

/* Whether the redirected stream F (flushed from OUT) holds WANT. */
static void expect_has(FILE *out, FILE *f, const char *want)
{
	fflush(out);
	char buf[4096] = "";
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	cr_expect(strstr(buf, want) != NULL, "no \"%s\" in: %s", want, buf);
}

static void expect_stderr_has(const char *want)
{
	expect_has(stderr, cr_get_redirected_stderr(), want);
}

Test(cli, scan_options_are_parsed_and_paths_kept_in_order)
{
	char *argv[] = {"tracehound", "-f",	   "json",  "-g",
			"rule,task",  "--jobs=3",  "--top", "5",
			"a.log",      "--fail-on", "error", "b.log"};
	struct th_options o;
	cr_assert_eq(cli_parse(ARGC(argv), argv, &o), CLI_OK);
	cr_expect_eq(o.command, TH_CMD_SCAN);
	cr_expect_eq(o.format, TH_FORMAT_JSON);
	cr_expect_eq(o.n_group_by, 2);
	cr_expect_eq(o.group_by[0], TH_KEY_RULE);
	cr_expect_eq(o.group_by[1], TH_KEY_TASK);
	cr_expect_eq(o.jobs, 3);
	cr_expect_eq(o.top, 5);
	cr_expect_eq(o.fail_on, TH_SEV_ERROR);
	cr_assert_eq(o.n_paths, 2);
	cr_expect_str_eq(o.paths[0], "a.log");
	cr_expect_str_eq(o.paths[1], "b.log");
	cli_fini(&o);
}

Test(cli, follow_scans_with_one_job)
{
	char *argv[] = {"tracehound", "-j", "4", "--follow", "x.log"};
	struct th_options o;
	cr_assert_eq(cli_parse(ARGC(argv), argv, &o), CLI_OK);
	cr_expect(o.follow);
	cr_expect_eq(o.jobs, 1);
	cli_fini(&o);
}

Test(cli, rules_test_takes_its_subcommand_and_verbose)
{
	char *argv[] = {"tracehound", "rules", "test", "-v", "x.log"};
	struct th_options o;
	cr_assert_eq(cli_parse(ARGC(argv), argv, &o), CLI_OK);
	cr_expect_eq(o.command, TH_CMD_RULES_TEST);
	cr_expect(o.verbose);
	cr_expect_eq(o.n_paths, 1);
	cli_fini(&o);
}

Test(cli, an_unknown_option_is_an_error_named_on_stderr,
     .init = cr_redirect_stderr)
{
	no_knobs();
	char *argv[] = {"tracehound", "--frobnicate"};
	struct th_options o;
	cr_expect_eq(cli_parse(ARGC(argv), argv, &o), CLI_ERROR);
	cli_fini(&o);
	expect_stderr_has("--frobnicate: unknown option");
}

Test(cli, a_bad_value_is_an_error_naming_the_option, .init = cr_redirect_stderr)
{
	no_knobs();
	char *argv[] = {"tracehound", "--jobs", "0"};
	struct th_options o;
	cr_expect_eq(cli_parse(ARGC(argv), argv, &o), CLI_ERROR);
	cli_fini(&o);
	expect_stderr_has("--jobs: '0' is not a number from 1 to");
}

Test(cli, an_option_the_command_does_not_take_is_refused,
     .init = cr_redirect_stderr)
{
	no_knobs();
	char *argv[] = {"tracehound", "rules", "test", "--format", "json"};
	struct th_options o;
	cr_expect_eq(cli_parse(ARGC(argv), argv, &o), CLI_ERROR);
	cli_fini(&o);
	expect_stderr_has("--format does not apply to 'tracehound rules "
			  "test'");
}

Test(cli, follow_and_state_together_are_refused, .init = cr_redirect_stderr)
{
	no_knobs();
	char *argv[] = {"tracehound", "--follow", "--state", "s.json"};
	struct th_options o;
	cr_expect_eq(cli_parse(ARGC(argv), argv, &o), CLI_ERROR);
	cli_fini(&o);
	expect_stderr_has("--follow and --state do not go together");
}

Test(cli, help_prints_usage_and_succeeds, .init = cr_redirect_stdout)
{
	no_knobs();
	char *argv[] = {"tracehound", "--help"};
	struct th_options o;
	cr_expect_eq(cli_parse(ARGC(argv), argv, &o), CLI_EXIT_SUCCESS);
	cli_fini(&o);
	expect_has(stdout, cr_get_redirected_stdout(),
		   "Usage: tracehound [OPTION]... [PATH]...");
}

/* ---- the environment's test knobs --------------------------------------- */

static struct th_knobs knobs_of(void)
{
	char *argv[] = {"tracehound", "x.log"};
	struct th_options o;
	cr_assert_eq(cli_parse(ARGC(argv), argv, &o), CLI_OK);
	struct th_knobs k = o.knobs;
	cli_fini(&o);
	return k;
}

Test(cli, without_knobs_the_limits_hold)
{
	struct th_knobs k = knobs_of();
	cr_expect_eq(k.split_min, TH_SPLIT_MIN);
	cr_expect_not(k.note_cuts);
	cr_expect_eq(k.settle_seconds, TH_STATE_SETTLE_SECONDS);
	cr_expect_float_eq(k.lock_wait, TH_STATE_LOCK_WAIT, 1e-9);
	cr_expect_null(k.pause_at);
	cr_expect_not(k.map_files);
	cr_expect_eq(k.search, TH_SEARCH_AUTO);
}

Test(cli, the_environment_sets_the_knobs)
{
	setenv("TRACEHOUND_SPLIT_MIN", "1", 1);
	setenv("TRACEHOUND_SETTLE_SECONDS", "3600", 1);
	setenv("TRACEHOUND_LOCK_WAIT", "0.5", 1);
	setenv("TRACEHOUND_TEST_PAUSE", "after-lock", 1);
	setenv("TRACEHOUND_MMAP", "", 1);
	setenv("TRACEHOUND_SCAN", "sse2", 1);
	struct th_knobs k = knobs_of();
	cr_expect_eq(k.split_min, 1);
	cr_expect(k.note_cuts, "a cut is told when the size is set");
	cr_expect_eq(k.settle_seconds, 3600);
	cr_expect_float_eq(k.lock_wait, 0.5, 1e-9);
	cr_expect_str_eq(k.pause_at, "after-lock");
	cr_expect(k.map_files, "set, even empty, turns mapping on");
	cr_expect_eq(k.search, TH_SEARCH_SSE2);
}

Test(cli, an_unknown_search_is_the_default_one)
{
	setenv("TRACEHOUND_SCAN", "quantum", 1);
	cr_expect_eq(knobs_of().search, TH_SEARCH_AUTO);
}

Test(cli, a_misspelt_option_suggests_the_closest, .init = cr_redirect_stderr)
{
	no_knobs();
	char *argv[] = {"tracehound", "--fromat=json", "x.log"};
	struct th_options o;
	cr_expect_eq(cli_parse(ARGC(argv), argv, &o), CLI_ERROR);
	cli_fini(&o);
	expect_stderr_has(
	    "--fromat=json: unknown option (did you mean '--format'?)");
}

Test(cli, a_misspelt_subcommand_suggests_the_closest,
     .init = cr_redirect_stderr)
{
	no_knobs();
	char *argv[] = {"tracehound", "rules", "tset"};
	struct th_options o;
	cr_expect_eq(cli_parse(ARGC(argv), argv, &o), CLI_ERROR);
	cli_fini(&o);
	expect_stderr_has("unknown subcommand 'tset' (did you mean 'rules "
			  "test'?)");
}

Test(cli, each_subcommand_prints_its_own_help, .init = cr_redirect_stdout)
{
	char *rules[] = {"tracehound", "rules", "--help"};
	char *check[] = {"tracehound", "rules", "check", "--help"};
	struct th_options o;
	cr_expect_eq(cli_parse(ARGC(rules), rules, &o), CLI_EXIT_SUCCESS);
	cli_fini(&o);
	cr_expect_eq(cli_parse(ARGC(check), check, &o), CLI_EXIT_SUCCESS);
	cli_fini(&o);
	fflush(stdout);
	char out[8192] = "";
	size_t n = fread(out, 1, sizeof out - 1, cr_get_redirected_stdout());
	out[n] = '\0';
	cr_expect(strstr(out, "'tracehound rules test --help' say more") !=
		      NULL,
		  "%s", out);
	cr_expect(strstr(out,
			 "Usage: tracehound rules check [OPTION]... "
			 "[RULEFILE|DIR]...\nLoad the default rules") != NULL,
		  "%s", out);
}
