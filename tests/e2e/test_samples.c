/* test_samples.c - run the built tracehound on every sample log and check
 * its JSON report, field by field, against the facts the sample's
 * generator wrote down (tests/e2e/expected/, see gen/samples/). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <glob.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sample {
	char expected[512];
};

static void free_samples(struct criterion_test_params *p)
{
	cr_free(p->params);
}

ParameterizedTestParameters(samples, report_matches_the_generator_facts)
{
	glob_t g;
	size_t n = 0;
	struct sample *params = NULL;
	if (glob(TH_SOURCE_ROOT "/tests/e2e/expected/*/*.json", 0, NULL, &g) ==
	    0) {
		n = g.gl_pathc;
		params = cr_malloc(n * sizeof *params);
		for (size_t i = 0; i < n; i++)
			snprintf(params[i].expected, sizeof params[i].expected,
				 "%s", g.gl_pathv[i]);
		globfree(&g);
	}
	return cr_make_param_array(struct sample, params, n, free_samples);
}

/* Runs tracehound with OPTIONS on LOG and parses its JSON report. */
static json_t *report_with(const char *options, const char *log)
{
	const char *bin = getenv("TH_BIN");
	cr_assert(bin != NULL, "TH_BIN is not set");
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "'%s' --format json --fail-on never %s '%s/%s'", bin, options,
		 TH_SOURCE_ROOT, log);
	FILE *p = popen(cmd, "r");
	cr_assert(p != NULL);
	json_error_t err;
	json_t *report = json_loadf(p, 0, &err);
	int status = pclose(p);
	cr_assert(report != NULL, "%s: report is not JSON: %s", log, err.text);
	cr_assert_eq(status, 0, "%s: exit status %d", log, status);
	return report;
}

static json_t *report_for(const char *log)
{
	return report_with("", log);
}

static bool same_key(json_t *a, json_t *b)
{
	return json_equal(a, b);
}

static json_t *find_group(json_t *groups, json_t *key)
{
	size_t i;
	json_t *g;
	json_array_foreach(groups, i, g) if (same_key(json_object_get(g, "key"),
						      key)) return g;
	return NULL;
}

static char *dump(json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

/* Lists such as "tasks" are sets: the report orders them its own way. */
static bool same_set(json_t *want, json_t *got)
{
	if (!json_is_array(got) ||
	    json_array_size(got) != json_array_size(want))
		return false;
	size_t i, k;
	json_t *w, *g;
	json_array_foreach(want, i, w)
	{
		bool found = false;
		json_array_foreach(got, k, g) found = found || json_equal(w, g);
		if (!found)
			return false;
	}
	return true;
}

/* Compares one field of an expected group with the report's group. */
static void expect_field(const char *log, json_t *want, json_t *got,
			 const char *field)
{
	json_t *w = json_object_get(want, field);
	if (w == NULL)
		return; /* not asserted for this sample */
	json_t *g = json_object_get(got, field);
	bool same =
	    g != NULL && (json_is_array(w) ? same_set(w, g) : json_equal(w, g));
	char *ws = dump(w), *gs = g ? dump(g) : strdup("(missing)");
	char *key = dump(json_object_get(want, "key"));
	cr_expect(same, "%s: group %s: %s is %s, want %s", log, key, field, gs,
		  ws);
	free(ws);
	free(gs);
	free(key);
}

/* The writers WANT lists (default: one without a name, for every event)
 * against the groups of --group-by source: each event's source is its
 * writer's (README.md, "Log shapes"). */
static void expect_writers(const char *log, json_t *want)
{
	json_t *writers = json_object_get(want, "writers");
	json_t *none = NULL;
	if (writers == NULL) {
		none = json_pack("[{s:n, s:O}]", "source", "events",
				 json_object_get(want, "events"));
		writers = none;
	}
	json_t *got = report_with("--group-by source", log);
	json_t *groups = json_object_get(got, "groups");
	cr_expect_eq(json_array_size(groups), json_array_size(writers),
		     "%s: %zu sources, want %zu", log, json_array_size(groups),
		     json_array_size(writers));
	size_t i;
	json_t *w;
	json_array_foreach(writers, i, w)
	{
		json_t *key =
		    json_pack("{s:O}", "source", json_object_get(w, "source"));
		json_t *g = find_group(groups, key);
		char *ks = dump(key);
		json_int_t n = json_integer_value(json_object_get(g, "count"));
		json_int_t want_n =
		    json_integer_value(json_object_get(w, "events"));
		cr_expect(g != NULL && n == want_n,
			  "%s: source %s has %lld events, want %lld", log, ks,
			  (long long)(g ? n : 0), (long long)want_n);
		free(ks);
		json_decref(key);
	}
	json_decref(got);
	json_decref(none);
}

ParameterizedTest(struct sample *s, samples, report_matches_the_generator_facts)
{
	json_error_t err;
	json_t *want = json_load_file(s->expected, 0, &err);
	cr_assert(want != NULL, "%s: %s", s->expected, err.text);
	const char *log = json_string_value(json_object_get(want, "log"));
	cr_assert(log != NULL, "%s has no \"log\"", s->expected);
	json_t *got = report_for(log);
	json_int_t events = json_integer_value(json_object_get(got, "events"));
	json_int_t want_events =
	    json_integer_value(json_object_get(want, "events"));
	cr_expect_eq(events, want_events, "%s: %lld events, want %lld", log,
		     (long long)events, (long long)want_events);
	json_t *groups = json_object_get(got, "groups");
	json_t *want_groups = json_object_get(want, "groups");
	cr_expect_eq(json_array_size(groups), json_array_size(want_groups),
		     "%s: %zu groups, want %zu", log, json_array_size(groups),
		     json_array_size(want_groups));
	size_t i;
	json_t *wg;
	json_array_foreach(want_groups, i, wg)
	{
		json_t *key = json_object_get(wg, "key");
		json_t *g = find_group(groups, key);
		char *ks = dump(key);
		cr_expect(g != NULL, "%s: no group %s", log, ks);
		free(ks);
		if (g == NULL)
			continue;
		const char *fields[] = {"count",    "rules", "exceptions",
					"severity", "tasks", "defined_at"};
		for (size_t f = 0; f < sizeof fields / sizeof *fields; f++)
			expect_field(log, wg, g, fields[f]);
	}
	expect_writers(log, want);
	json_decref(got);
	json_decref(want);
}
