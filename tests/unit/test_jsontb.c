/* test_jsontb.c - structlog's dict_tracebacks back to CPython's text. */
#include <criterion/criterion.h>
#include <string.h>

#include "jsontb.h"

/* The text jsontb_format makes of JSON (a list), in a buffer of CAP
 * bytes; "" when it returns 0. */
static const char *format(const char *json, size_t cap)
{
	static char out[4096];
	json_error_t err;
	json_t *v = json_loads(json, 0, &err);
	cr_assert(v != NULL, "bad test JSON: %s", err.text);
	cr_assert(cap <= sizeof out - 1);
	size_t n = jsontb_format(v, out, cap);
	json_decref(v);
	out[n] = '\0';
	return out;
}

/* as structlog 22.3 writes it: the exception raised last first, its
 * cause after it with is_cause */
static const char chain[] =
    "[{\"exc_type\": \"RuntimeError\", \"exc_value\": \"price refresh "
    "failed\", \"syntax_error\": null, \"is_cause\": false, \"frames\": "
    "[{\"filename\": \"/app/p.py\", \"lineno\": 30, \"name\": \"refresh\", "
    "\"line\": \"\", \"locals\": null}]},"
    " {\"exc_type\": \"ConnectionError\", \"exc_value\": \"refused\", "
    "\"syntax_error\": null, \"is_cause\": true, \"frames\": "
    "[{\"filename\": \"/app/p.py\", \"lineno\": 28, \"name\": \"refresh\", "
    "\"line\": \"    fetch(url)  \", \"locals\": null},"
    " {\"filename\": \"/app/p.py\", \"lineno\": 12, \"name\": \"fetch\", "
    "\"line\": \"\", \"locals\": null}]}]";

Test(jsontb, a_chain_is_written_cause_first_as_cpython_prints_it)
{
	cr_expect_str_eq(
	    format(chain, 4000),
	    "Traceback (most recent call last):\n"
	    "  File \"/app/p.py\", line 28, in refresh\n"
	    "    fetch(url)\n"
	    "  File \"/app/p.py\", line 12, in fetch\n"
	    "ConnectionError: refused\n"
	    "\n"
	    "The above exception was the direct cause of the following "
	    "exception:\n"
	    "\n"
	    "Traceback (most recent call last):\n"
	    "  File \"/app/p.py\", line 30, in refresh\n"
	    "RuntimeError: price refresh failed");
}

Test(jsontb, a_context_is_written_with_during_handling)
{
	cr_expect_str_eq(
	    format("[{\"exc_type\": \"KeyError\", \"exc_value\": \"'k'\", "
		   "\"is_cause\": false, \"frames\": []},"
		   " {\"exc_type\": \"ValueError\", \"exc_value\": \"\", "
		   "\"is_cause\": false, \"frames\": [{\"filename\": \"a.py\", "
		   "\"lineno\": 3, \"name\": \"<module>\"}]}]",
		   4000),
	    "Traceback (most recent call last):\n"
	    "  File \"a.py\", line 3, in <module>\n"
	    "ValueError\n"
	    "\n"
	    "During handling of the above exception, another exception "
	    "occurred:\n"
	    "\n"
	    "KeyError: 'k'");
}

Test(jsontb, what_is_no_such_list_gives_nothing)
{
	cr_expect_str_eq(format("[]", 4000), "");
	cr_expect_str_eq(format("{\"exc_type\": \"E\"}", 4000), "");
	cr_expect_str_eq(format("[{\"exc_value\": \"no type\"}]", 4000), "");
	cr_expect_str_eq(format("[1]", 4000), "");
	cr_expect_str_eq(format("[\"Traceback\"]", 4000), "");
}

Test(jsontb, text_that_does_not_fit_gives_nothing)
{
	size_t whole = strlen(format(chain, 4000));
	cr_expect_str_eq(format(chain, whole - 1), "");
	cr_expect_eq(strlen(format(chain, whole)), whole);
}
