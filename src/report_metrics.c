/* report_metrics.c - the Prometheus text format of --metrics; see
 * report_metrics.h. */
#include "report_metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "report_util.h"
#include "th_limits.h"

void report_metrics_count_run(struct th_metrics *m, struct th_agg *agg,
			      const struct th_catalog *catalog,
			      const struct th_run *run)
{
	size_t n_rules = catalog_rule_count(catalog);
	uint64_t *per_rule = xcalloc(n_rules ? n_rules : 1, sizeof *per_rule);
	const struct th_group *g;
	/* agg_next gives the groups by count, largest first (ties in key
	 * order): the first ones are the top */
	for (size_t i = 0; (g = agg_next(agg, &i)) != NULL;) {
		for (size_t r = 0; r < n_rules; r++)
			per_rule[r] += g->rule_counts[r];
		if (i <= TH_METRICS_GROUP_SERIES) {
			char *vals[TH_KEY_COUNT];
			for (size_t k = 0; k < m->n_keys; k++)
				vals[k] = g->key[m->keys[k]];
			metrics_add_group(m, vals, g->count);
		} else {
			m->other_events += g->count;
		}
	}
	for (size_t r = 0; r < n_rules; r++)
		metrics_add_rule(m, catalog_rule_id(catalog, r),
				 catalog_rule_severity(catalog, r),
				 per_rule[r]);
	free(per_rule);
	m->inputs += run->n_inputs;
	m->input_errors += run->inputs_failed;
	for (size_t i = 0; i < run->n_inputs; i++)
		m->read_bytes += run->inputs[i].bytes;
	m->counted = true;
}

/* ---- the text format ------------------------------------------------------
 */

void report_metrics_put_label_value(FILE *out, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		bool valid;
		size_t k = text_utf8_step(s + i, n - i, &valid);
		if (!valid)
			fputs("\xEF\xBF\xBD", out); /* U+FFFD */
		else if (s[i] == '\\')
			fputs("\\\\", out);
		else if (s[i] == '"')
			fputs("\\\"", out);
		else if (s[i] == '\n')
			fputs("\\n", out);
		else
			fwrite(s + i, 1, k, out);
		i += k;
	}
}

/* One group series: its labels as written ("{coroutine=\"main\"}", ""
 * for none) and its events. */
struct series {
	char *labels;
	uint64_t events;
};

/* G's labels as written inside the braces ("coroutine=\"main\"", ""
 * for none): a key without a value (NULL, or "" which Prometheus reads
 * the same) has none. */
static char *group_labels(const struct th_metrics *m,
			  const struct th_metrics_group *g)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		die("out of memory (metrics labels)");
	const char *sep = "";
	for (size_t k = 0; k < m->n_keys; k++) {
		if (g->vals[k] == NULL || g->vals[k][0] == '\0')
			continue;
		fprintf(f, "%s%s=\"", sep, catalog_key_name(m->keys[k]));
		report_metrics_put_label_value(f, g->vals[k]);
		fputc('"', f);
		sep = ",";
	}
	if (fclose(f) != 0)
		die("out of memory (metrics labels)");
	return text;
}

static int by_labels(const void *x, const void *y)
{
	const struct series *a = x, *b = y;
	return strcmp(a->labels, b->labels);
}

static int by_series_events(const void *x, const void *y)
{
	const struct series *a = x, *b = y;
	if (a->events != b->events)
		return a->events > b->events ? -1 : 1;
	return strcmp(a->labels, b->labels);
}

/* M's group series, those whose labels read the same added up, largest
 * first, in *OUT (free with free_series); returns how many. */
static size_t group_series(const struct th_metrics *m, struct series **out)
{
	struct series *s = xcalloc(m->n_groups ? m->n_groups : 1, sizeof *s);
	for (size_t i = 0; i < m->n_groups; i++)
		s[i] = (struct series){group_labels(m, &m->groups[i]),
				       m->groups[i].events};
	qsort(s, m->n_groups, sizeof *s, by_labels);
	size_t n = 0;
	for (size_t i = 0; i < m->n_groups; i++) {
		if (n > 0 && strcmp(s[n - 1].labels, s[i].labels) == 0) {
			s[n - 1].events += s[i].events;
			free(s[i].labels);
		} else {
			s[n++] = s[i];
		}
	}
	qsort(s, n, sizeof *s, by_series_events);
	*out = s;
	return n;
}

static void free_series(struct series *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].labels);
	free(s);
}

static void family(FILE *out, const char *name, const char *type,
		   const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One line: NAME, the labels (--metrics-label's, then LABELS, written
 * as they go inside the braces) and VALUE. */
static void sample(FILE *out, const struct th_metrics *m, const char *name,
		   const char *labels, const char *value)
{
	fputs(name, out);
	const char *sep = "{";
	for (size_t i = 0; i < m->n_labels; i++) {
		const char *eq = strchr(m->labels[i], '=');
		fprintf(out, "%s%.*s=\"", sep, (int)(eq - m->labels[i]),
			m->labels[i]);
		report_metrics_put_label_value(out, eq + 1);
		fputc('"', out);
		sep = ",";
	}
	if (labels[0] != '\0')
		fprintf(out, "%s%s", sep, labels);
	if (labels[0] != '\0' || m->n_labels > 0)
		fputc('}', out);
	fprintf(out, " %s\n", value);
}

static void sample_count(FILE *out, const struct th_metrics *m,
			 const char *name, const char *labels, uint64_t v)
{
	char value[24];
	snprintf(value, sizeof value, "%llu", (unsigned long long)v);
	sample(out, m, name, labels, value);
}

static void print_rules(FILE *out, const struct th_metrics *m)
{
	family(out, "tracehound_events_total", "counter",
	       "Events found, by rule and the rule's severity.");
	for (size_t i = 0; i < m->n_rules; i++) {
		char *labels = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&labels, &len);
		if (f == NULL)
			die("out of memory (metrics labels)");
		fputs("rule=\"", f);
		report_metrics_put_label_value(f, m->rules[i].rule);
		fprintf(f, "\",severity=\"%s\"",
			catalog_severity_name(m->rules[i].severity));
		if (fclose(f) != 0)
			die("out of memory (metrics labels)");
		sample_count(out, m, "tracehound_events_total", labels,
			     m->rules[i].events);
		free(labels);
	}
}

static void print_groups(FILE *out, const struct th_metrics *m)
{
	family(out, "tracehound_group_events_total", "counter",
	       "Events by group (the --group-by keys): the groups with the "
	       "most events, the rest summed in group=\"other\".");
	struct series *s;
	size_t n = group_series(m, &s);
	for (size_t i = 0; i < n; i++)
		sample_count(out, m, "tracehound_group_events_total",
			     s[i].labels, s[i].events);
	sample_count(out, m, "tracehound_group_events_total", "group=\"other\"",
		     m->other_events);
	free_series(s, n);
}

static void print_counter(FILE *out, const struct th_metrics *m,
			  const char *name, const char *help, uint64_t v)
{
	family(out, name, "counter", help);
	sample_count(out, m, name, "", v);
}

static void print_counts(FILE *out, const struct th_metrics *m)
{
	print_rules(out, m);
	print_groups(out, m);
	print_counter(out, m, "tracehound_inputs_read_total",
		      "Inputs read: files, rotated files, standard input.",
		      m->inputs);
	print_counter(out, m, "tracehound_input_errors_total",
		      "Inputs that could not be read whole.", m->input_errors);
	print_counter(out, m, "tracehound_read_bytes_total",
		      "Bytes read from the inputs, decompressed.",
		      m->read_bytes);
	if (m->has_new_groups) {
		family(out, "tracehound_new_groups", "gauge",
		       "Groups the last run found that no earlier run had "
		       "(--state).");
		sample_count(out, m, "tracehound_new_groups", "",
			     m->new_groups);
	}
}

bool report_metrics_print(FILE *out, const struct th_metrics *m)
{
	if (m->counted)
		print_counts(out, m);
	char value[24];
	family(out, "tracehound_last_run_timestamp_seconds", "gauge",
	       "When the last run ended, in seconds since 1970.");
	snprintf(value, sizeof value, "%lld", (long long)m->timestamp);
	sample(out, m, "tracehound_last_run_timestamp_seconds", "", value);
	family(out, "tracehound_last_run_success", "gauge",
	       "1 when the last run read every input and wrote its report "
	       "and state, 0 when it failed.");
	sample(out, m, "tracehound_last_run_success", "",
	       m->success ? "1" : "0");
	return fflush(out) == 0 && !ferror(out);
}

/* ---- writing atomically ---------------------------------------------------
 */

/* Syncs the directory of PATH, so that the rename survives a crash. */
static void sync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

/* Prints M into the temp file FD, readable by all, and syncs it. False
 * with errno set on failure; FD is closed either way. */
static bool fill_temp(int fd, const struct th_metrics *m)
{
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		int saved = errno;
		close(fd);
		errno = saved;
		return false;
	}
	errno = 0;
	bool ok = fchmod(fd, 0644) == 0 && report_metrics_print(f, m) &&
		  fsync(fd) == 0;
	int saved = errno;
	if (fclose(f) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	errno = saved != 0 ? saved : EIO;
	return ok;
}

bool report_metrics_write(const char *path, const struct th_metrics *m,
			  struct th_error *err)
{
	size_t n = strlen(path) + 16;
	char *tmp = xmalloc(n);
	snprintf(tmp, n, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	bool made = fd >= 0;
	bool ok = made && fill_temp(fd, m) && rename(tmp, path) == 0;
	if (!ok) {
		th_error_set(err, path, 0, 0, "cannot write the metrics: %s",
			     strerror(errno));
		if (made)
			unlink(tmp);
	} else {
		sync_dir(path);
	}
	free(tmp);
	return ok;
}
