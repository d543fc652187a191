/* jsontb.c - a traceback given as data, back to its text; see jsontb.h. */
#include "jsontb.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Where the text is written: OUT, CAP bytes, N used; FULL once a piece
 * did not fit (the rest is then not written). */
struct out {
	char *p;
	size_t cap, n;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->n) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void put_cstr(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* The string member KEY of object V, or NULL (its length in *LEN). */
static const char *string_of(const json_t *v, const char *key, size_t *len)
{
	json_t *s = json_object_get(v, key);
	if (!json_is_string(s))
		return NULL;
	*len = json_string_length(s);
	return json_string_value(s);
}

/* '  File "F", line N, in NAME', then the source line when there is one,
 * stripped and indented by four, as traceback.print_exception does. */
static void put_frame(struct out *o, const json_t *frame)
{
	size_t n = 0, fn = 0, ln = 0;
	const char *file = string_of(frame, "filename", &fn);
	const char *name = string_of(frame, "name", &n);
	json_t *lineno = json_object_get(frame, "lineno");
	char number[32];
	snprintf(number, sizeof number, "%lld",
		 json_is_integer(lineno) ? (long long)json_integer_value(lineno)
					 : 0LL);
	put_cstr(o, "  File \"");
	put(o, file != NULL ? file : "?", file != NULL ? fn : 1);
	put_cstr(o, "\", line ");
	put_cstr(o, number);
	put_cstr(o, ", in ");
	put(o, name != NULL ? name : "?", name != NULL ? n : 1);
	put_cstr(o, "\n");
	const char *line = string_of(frame, "line", &ln);
	while (line != NULL && ln > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		ln--;
	}
	while (line != NULL && ln > 0 &&
	       (line[ln - 1] == ' ' || line[ln - 1] == '\n'))
		ln--;
	if (line != NULL && ln > 0) {
		put_cstr(o, "    ");
		put(o, line, ln);
		put_cstr(o, "\n");
	}
}

/* One exception: its frames under a header (none without frames, as
 * CPython prints an exception never raised), then "Type: value". False
 * when STACK has no type. */
static bool put_stack(struct out *o, const json_t *stack)
{
	size_t tn = 0, vn = 0;
	const char *type = string_of(stack, "exc_type", &tn);
	const char *value = string_of(stack, "exc_value", &vn);
	if (type == NULL || tn == 0)
		return false;
	const json_t *frames = json_object_get(stack, "frames");
	if (json_is_array(frames) && json_array_size(frames) > 0) {
		put_cstr(o, "Traceback (most recent call last):\n");
		for (size_t i = 0; i < json_array_size(frames); i++)
			put_frame(o, json_array_get(frames, i));
	}
	put(o, type, tn);
	if (value != NULL && vn > 0) {
		put_cstr(o, ": ");
		put(o, value, vn);
	}
	return true;
}

size_t jsontb_format(const json_t *stacks, char *out, size_t cap)
{
	if (!json_is_array(stacks) || json_array_size(stacks) == 0)
		return 0;
	struct out o = {out, cap, 0, false};
	/* the list starts with the exception raised last; CPython prints
	 * the first cause first */
	for (size_t i = json_array_size(stacks); i-- > 0;) {
		const json_t *stack = json_array_get(stacks, i);
		if (!json_is_object(stack) || !put_stack(&o, stack))
			return 0;
		if (i == 0)
			break;
		/* how the exception just written led to the next one */
		put_cstr(&o,
			 json_is_true(json_object_get(stack, "is_cause"))
			     ? "\n\nThe above exception was the direct "
			       "cause of the following exception:\n\n"
			     : "\n\nDuring handling of the above "
			       "exception, another exception occurred:\n\n");
	}
	return o.full ? 0 : o.n;
}
