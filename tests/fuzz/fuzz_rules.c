/* fuzz_rules.c - libFuzzer harness for the rule loader: the data is one
 * YAML rule file. Loading and rules_finish may fail (that is the point of
 * most inputs); a set that loads is then used the way the scanner uses it,
 * on a few fixed lines and on the lines of the data itself:
 * rules_match_start, rules_extract, rules_ignored, the literals and the
 * trigger. Crashes, leaks and sanitizer reports are what is looked for,
 * plus one invariant the fast path relies on (see check_literals).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "rules.h"
#include "pipeline.h"
#include "trigger.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())

/* Lines of the data matched too, so the fuzzer controls both sides. */
#define DATA_LINES_MAX 32

static const char *const fixed_lines[] = {
    "Task exception was never retrieved",
    "future: <Task finished name='Task-2' coro=<flaky() done, defined at "
    "app.py:33> exception=ValueError('boom')>",
    "Task was destroyed but it is pending!",
    "task: <Task pending name='Task-9' coro=<flush() running at "
    "app.py:44> wait_for=<Future pending cb=[Task.task_wakeup()]>>",
    "app.py:65: RuntimeWarning: coroutine 'send_email' was never awaited",
    "Exception in callback on_tick() at app.py:43",
    "Traceback (most recent call last):",
    "  File \"app.py\", line 37, in flaky",
    "ValueError: bad payload",
    "  + Exception Group Traceback (most recent call last):",
    "2024-05-01 10:00:01,123 ERROR [asyncio] Task exception was never "
    "retrieved",
    "",
    "\xff\xfe\x1b[1;31mbinary\x80",
};
#define N_FIXED (sizeof fixed_lines / sizeof fixed_lines[0])

static bool contains(struct th_span hay, struct th_span needle)
{
	return needle.n <= hay.n &&
	       (needle.n == 0 || memmem(hay.p, hay.n, needle.p, needle.n));
}

/* A rule given an explicit `literal:` is the author's promise, which the
 * harness cannot check; only when no input can spell that key (plainly,
 * or through a double-quoted escape) are the derived literals tested. */
static bool literals_derived_only(const uint8_t *data, size_t size)
{
	return memmem(data, size, "literal", 7) == NULL &&
	       (memchr(data, '"', size) == NULL ||
		memchr(data, '\\', size) == NULL);
}

/* The fast path only looks at lines that hold a literal, so a line some
 * start pattern matches must hold one (when the rules have literals). */
static void check_literals(const struct th_rules *r, const struct th_trigger *t,
			   struct th_span line)
{
	const struct th_span *lits;
	size_t n;
	CHECK(trigger_line_may_start(t, line));
	if (!rules_literals(r, &lits, &n))
		return;
	bool found = false;
	for (size_t i = 0; i < n && !found; i++)
		found = contains(line, lits[i]);
	CHECK(found);
}

/* What the scanner does with a start line: an event of the matching rule
 * holding LINE and the next fixed lines, its fields, the ignore rules. */
static void try_line(const struct th_rules *r, struct th_matcher *m,
		     const struct th_trigger *t, struct th_span line,
		     bool derived)
{
	long rule = rules_match_start(m, line);
	if (rule < 0)
		return;
	CHECK((size_t)rule < rules_count(r));
	CHECK(rules_id(r, (size_t)rule) != NULL);
	if (derived)
		check_literals(r, t, line);
	struct th_event ev;
	event_init(&ev);
	ev.rule = (size_t)rule;
	ev.input = "fuzz.log";
	event_add_line(&ev, line);
	for (size_t i = 0; i < 4; i++)
		event_add_line(&ev,
			       (struct th_span){fixed_lines[6 + i],
						strlen(fixed_lines[6 + i])});
	struct th_facts facts = {0};
	facts.value[TH_BUILTIN_EXCEPTION] = TH_SPAN_LIT("ValueError");
	facts.value[TH_BUILTIN_FUNCTION] = TH_SPAN_LIT("flaky");
	rules_extract(m, &ev, &facts);
	long ignore = rules_ignored(m, &ev);
	CHECK(ignore < 0 || (size_t)ignore < rules_ignore_count(r));
	event_fini(&ev);
}

static void use_rules(const struct th_rules *r, const uint8_t *data,
		      size_t size)
{
	bool derived = literals_derived_only(data, size);
	struct th_matcher *m = matcher_new(r);
	struct th_trigger *t = pipeline_trigger_new(r, false);
	for (size_t i = 0; i < N_FIXED; i++)
		try_line(
		    r, m, t,
		    (struct th_span){fixed_lines[i], strlen(fixed_lines[i])},
		    derived);
	size_t at = 0;
	for (size_t k = 0; k < DATA_LINES_MAX && at < size; k++) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t end = nl ? (size_t)(nl - data) : size;
		try_line(r, m, t,
			 (struct th_span){(const char *)data + at, end - at},
			 derived);
		at = end + 1;
	}
	(void)rules_is_wrapper(r, TH_SPAN_LIT("_coro_creating_hub_and_span"));
	(void)rules_is_wrapper(r, TH_SPAN_LIT("f.<locals>.wrap"));
	(void)rules_match_errors(m);
	trigger_free(t);
	matcher_free(m);
}

/* rules_literal_derive on each line of the data as a pattern, with buffers
 * of exactly the documented size, so that ASan sees any overrun. */
static void derive_lines(const uint8_t *data, size_t size)
{
	size_t at = 0;
	for (size_t k = 0; k < DATA_LINES_MAX && at < size; k++) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t end = nl ? (size_t)(nl - data) : size;
		size_t n = end - at;
		char *copy = malloc(n ? n : 1);
		char *buf = malloc(n ? n : 1);
		struct th_span *lits = malloc((n + 1) * sizeof *lits);
		CHECK(copy && buf && lits);
		memcpy(copy, data + at, n);
		size_t got =
		    rules_literal_derive((struct th_span){copy, n}, buf, lits);
		CHECK(got <= n + 1);
		for (size_t i = 0; i < got; i++) {
			CHECK(lits[i].n >= TH_LITERAL_MIN);
			CHECK(lits[i].p >= buf &&
			      lits[i].p + lits[i].n <= buf + n);
		}
		free(lits);
		free(buf);
		free(copy);
		at = end + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	/* A heap copy of exactly SIZE bytes, no NUL: the loader must not read
	 * past the length it is given. */
	char *yaml = malloc(size ? size : 1);
	CHECK(yaml != NULL);
	memcpy(yaml, data, size);
	if (rules_load_buffer(r, "fuzz.yaml", yaml, size, &err) &&
	    rules_finish(r, &err))
		use_rules(r, data, size);
	else
		CHECK(err.set && err.message[0] != '\0');
	rules_free(r);
	free(yaml);
	derive_lines(data, size);
	return 0;
}
