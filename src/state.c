/* state.c - the --state file: offsets, rotation and groups seen; see
 * state.h for the format and the rules of what is committed when.
 */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <xxhash.h>

#include "diag.h"
#include "input.h"
#include "spanmap.h"
#include "th_limits.h"

/* /2 added the totals --metrics counts (events per group, rule...); a /1
 * state loads with them at 0. */
static const char schema[] = "tracehound.state/2";
static const char schema_v1[] = "tracehound.state/1";

struct file_entry {
	char *path;
	struct th_file_id id;
	uint64_t offset, lines;
	bool named; /* given to this run (state_name_path) or committed by
		       it: never pruned */
};

struct group_entry {
	uint64_t hash;
	char **vals; /* n_keys values, NULL for none */
	char *first_seen;
	uint64_t events; /* in every run (--metrics ranks groups by it) */
	uint64_t series; /* of them, counted in its own --metrics series */
	uint64_t run;	 /* this run's, until state_count_run places them */
};

struct th_state {
	char *path;
	int lock_fd;
	struct file_entry *files;
	size_t n_files, cap_files;
	struct spanmap file_index; /* path -> index in files */
	json_t *other_groups;	   /* lists of other --group-by signatures */
	struct th_error warning;   /* said once opened; unset for nothing */
	char signature[128];	   /* "rule,coroutine" */
	size_t n_keys;
	enum th_key keys[TH_KEY_COUNT];
	struct group_entry *groups; /* sorted by hash */
	size_t n_groups, cap_groups;
	/* --metrics: every run's totals but the groups' own series (rules,
	 * inputs, bytes, the other groups' events) */
	struct th_metrics totals;
	json_t *other_others; /* other --group-by lists' "other" events */
	uint64_t new_groups;  /* this run's, once counted */
	struct th_state_options opt;
};

/* ---- helpers ----------------------------------------------------------- */

static uint64_t hash_vals(char *const *vals, size_t n)
{
	XXH3_state_t *h = XXH3_createState();
	if (h == NULL)
		die("out of memory (hash state)");
	XXH3_64bits_reset(h);
	for (size_t i = 0; i < n; i++) {
		unsigned char tag = vals[i] ? 1 : 0;
		XXH3_64bits_update(h, &tag, 1);
		if (vals[i])
			XXH3_64bits_update(h, vals[i], strlen(vals[i]) + 1);
	}
	uint64_t v = XXH3_64bits_digest(h);
	XXH3_freeState(h);
	return v;
}

static int by_hash(const void *x, const void *y)
{
	const struct group_entry *a = x, *b = y;
	return a->hash < b->hash ? -1 : a->hash > b->hash;
}

static bool same_vals(char *const *a, char *const *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((a[i] == NULL) != (b[i] == NULL))
			return false;
		if (a[i] && strcmp(a[i], b[i]) != 0)
			return false;
	}
	return true;
}

static const struct group_entry *find_group(const struct th_state *st,
					    char *const *vals, uint64_t hash)
{
	size_t lo = 0, hi = st->n_groups;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (st->groups[mid].hash < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < st->n_groups && st->groups[lo].hash == hash; lo++)
		if (same_vals(st->groups[lo].vals, vals, st->n_keys))
			return &st->groups[lo];
	return NULL;
}

static struct group_entry *add_group(struct th_state *st, char **vals,
				     const char *first)
{
	if (st->n_groups == st->cap_groups) {
		st->cap_groups = st->cap_groups ? 2 * st->cap_groups : 64;
		st->groups =
		    xrealloc(st->groups, st->cap_groups * sizeof *st->groups);
	}
	struct group_entry *g = &st->groups[st->n_groups++];
	g->vals = xcalloc(st->n_keys ? st->n_keys : 1, sizeof *g->vals);
	for (size_t i = 0; i < st->n_keys; i++)
		g->vals[i] = vals[i] ? xstrdup(vals[i]) : NULL;
	g->hash = hash_vals(g->vals, st->n_keys);
	g->first_seen = xstrdup(first);
	g->events = g->series = g->run = 0;
	return g;
}

/* ---- loading ------------------------------------------------------------ */

/* O[NAME] into *OUT: a count, never negative (a negative one would
 * read as a huge offset or line number). False, with NAME in WHERE
 * after what is there, when it is not one. */
static bool get_uint(json_t *o, const char *name, uint64_t *out, char *where,
		     size_t where_size)
{
	json_t *v = json_object_get(o, name);
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		size_t at = strlen(where);
		snprintf(where + at, where_size - at, ".%s", name);
		return false;
	}
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static struct file_entry *find_file(const struct th_state *st, const char *key)
{
	size_t i;
	if (!spanmap_get(&st->file_index, th_cstr(key), &i))
		return NULL;
	return &st->files[i];
}

/* Adds entry E (its path, a file_key, is taken) or updates the entry of
 * its path (E's path is freed); an update keeps the entry named if it
 * was. */
static void file_put(struct th_state *st, struct file_entry *e)
{
	struct file_entry *old = find_file(st, e->path);
	if (old != NULL) {
		free(e->path);
		e->path = old->path;
		e->named = e->named || old->named;
		*old = *e;
		return;
	}
	XGROW(st->files, st->cap_files, st->n_files + 1, 8);
	st->files[st->n_files] = *e;
	spanmap_put(&st->file_index, th_cstr(e->path), st->n_files, NULL);
	st->n_files++;
}

/* Entry O of "files"; false with the field that is wrong added to WHERE
 * ("files[3]" then "files[3].lines"). */
static bool load_file(struct th_state *st, json_t *o, char *where,
		      size_t where_size)
{
	json_t *path = json_object_get(o, "path");
	json_t *fp = json_object_get(o, "fingerprint");
	struct file_entry e = {0};
	if (!json_is_string(path) || !json_is_string(fp) ||
	    !get_uint(o, "dev", &e.id.dev, where, where_size) ||
	    !get_uint(o, "inode", &e.id.ino, where, where_size) ||
	    !get_uint(o, "size", &e.id.size, where, where_size) ||
	    !get_uint(o, "fingerprint_bytes", &e.id.fp_len, where,
		      where_size) ||
	    !get_uint(o, "offset", &e.offset, where, where_size) ||
	    !get_uint(o, "lines", &e.lines, where, where_size) ||
	    e.id.fp_len > TH_STATE_FP_BYTES)
		return false;
	char *end;
	errno = 0;
	e.id.fp = strtoull(json_string_value(fp), &end, 16);
	if (errno != 0 || *end != '\0' || end == json_string_value(fp))
		return false;
	/* Kept since plans read the generations rotated after a lost file;
	 * a state from before has none: 0, unknown. */
	json_t *mtime = json_object_get(o, "mtime_ns");
	if (mtime != NULL && !json_is_integer(mtime))
		return false;
	e.id.mtime_ns = mtime ? (int64_t)json_integer_value(mtime) : 0;
	/* the path is already a file_key: resolving it again would cost
	   syscalls per entry and could move it */
	e.path = xstrdup(json_string_value(path));
	file_put(st, &e);
	return true;
}

/* O[NAME] into *OUT: 0 when absent (a /1 state), false when not a
 * count. */
static bool get_count(json_t *o, const char *name, uint64_t *out)
{
	char where[64] = "";
	*out = 0;
	return json_object_get(o, name) == NULL ||
	       get_uint(o, name, out, where, sizeof where);
}

static bool load_group(struct th_state *st, json_t *o)
{
	json_t *key = json_object_get(o, "key");
	json_t *first = json_object_get(o, "first_seen");
	uint64_t events, series;
	if (!json_is_array(key) || json_array_size(key) != st->n_keys ||
	    !json_is_string(first) || !get_count(o, "events", &events) ||
	    !get_count(o, "series_events", &series))
		return false;
	char *vals[TH_KEY_COUNT] = {0};
	for (size_t i = 0; i < st->n_keys; i++) {
		json_t *v = json_array_get(key, i);
		if (!json_is_string(v) && !json_is_null(v))
			return false;
		vals[i] =
		    json_is_string(v) ? (char *)json_string_value(v) : NULL;
	}
	struct group_entry *g = add_group(st, vals, json_string_value(first));
	g->events = events;
	g->series = series;
	return true;
}

static bool load_rule_total(struct th_state *st, json_t *o)
{
	json_t *rule = json_object_get(o, "rule");
	json_t *sev = json_object_get(o, "severity");
	uint64_t events;
	enum th_severity s;
	if (!json_is_object(o) || !json_is_string(rule) ||
	    !json_is_string(sev) ||
	    !catalog_severity_from_name(json_string_value(sev), &s) ||
	    !get_count(o, "events", &events))
		return false;
	metrics_add_rule(&st->totals, json_string_value(rule), s, events);
	return true;
}

/* The totals --metrics counts (absent in a /1 state: all 0). */
static bool load_totals(struct th_state *st, json_t *t)
{
	if (t == NULL)
		return true;
	json_t *rules = json_object_get(t, "rules");
	json_t *others = json_object_get(t, "other_events");
	struct th_metrics *m = &st->totals;
	if (!json_is_object(t) || !json_is_array(rules) ||
	    !json_is_object(others) || !get_count(t, "inputs", &m->inputs) ||
	    !get_count(t, "input_errors", &m->input_errors) ||
	    !get_count(t, "read_bytes", &m->read_bytes) ||
	    !get_count(others, st->signature, &m->other_events))
		return false;
	size_t i;
	json_t *v;
	json_array_foreach(rules, i, v)
	{
		if (!load_rule_total(st, v))
			return false;
	}
	json_object_update(st->other_others, others);
	json_object_del(st->other_others, st->signature);
	return true;
}

/* Takes the document apart; false when it is not a state of ours, with
 * where it is wrong in WHERE when that is a file entry ("files[3]", or
 * "files[3].lines" for a count that is negative or missing; "" for
 * elsewhere). */
static bool load_doc(struct th_state *st, json_t *doc, char *where,
		     size_t where_size)
{
	json_t *files = json_object_get(doc, "files");
	json_t *groups = json_object_get(doc, "groups");
	json_t *sch = json_object_get(doc, "schema");
	if (!json_is_string(sch) ||
	    (strcmp(json_string_value(sch), schema) != 0 &&
	     strcmp(json_string_value(sch), schema_v1) != 0) ||
	    !json_is_array(files) || !json_is_object(groups) ||
	    !load_totals(st, json_object_get(doc, "totals")))
		return false;
	size_t i;
	json_t *v;
	json_array_foreach(files, i, v)
	{
		snprintf(where, where_size, "files[%zu]", i);
		if (!json_is_object(v) || !load_file(st, v, where, where_size))
			return false;
		where[0] = '\0';
	}
	const char *sig;
	json_object_foreach(groups, sig, v)
	{
		if (!json_is_array(v))
			return false;
		if (strcmp(sig, st->signature) != 0) {
			json_object_set(st->other_groups, sig, v);
			continue;
		}
		json_t *g;
		json_array_foreach(v, i, g)
		{
			if (!json_is_object(g) || !load_group(st, g))
				return false;
		}
	}
	if (st->n_groups > 0)
		qsort(st->groups, st->n_groups, sizeof *st->groups, by_hash);
	return true;
}

/* ---- opening safely ----------------------------------------------------- */

/* Opens PATH (the state or its lock, FLAGS adding to O_NOFOLLOW |
 * O_NONBLOCK | O_CLOEXEC) so that a file planted there by another user
 * cannot be followed, hang the run or be written through: a symbolic
 * link is refused, and so is anything but a regular file owned by the
 * caller. Returns the descriptor, or -1 with errno (ENOENT: none there)
 * and, but for ENOENT, a message in ERR that names PATH and never its
 * content. */
static int open_own(const char *path, int flags, struct th_error *err)
{
	int fd = open(
	    path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		int saved = errno;
		if (saved == ELOOP)
			th_error_set(err, path, 0, 0,
				     "a symbolic link; refusing to follow it "
				     "(remove it, and keep the state in a "
				     "directory only you can write)");
		else if (saved != ENOENT)
			th_error_set(err, path, 0, 0, "%s", strerror(saved));
		errno = saved;
		return -1;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid()) {
		th_error_set(err, path, 0, 0,
			     "not a regular file of yours; refusing it (remove "
			     "it, and keep the state in a directory only you "
			     "can write)");
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* Whether the directory of the state lets other users put files there:
 * writable by group or others, or owned by another user (but root).
 * Such a directory is refused unless sticky (like /tmp: there the files
 * are checked to be ours, and a warning says the place is wrong).
 * False with a message in ERR when refused. */
static bool check_dir(struct th_state *st, struct th_error *err)
{
	char *dcopy = xstrdup(st->path);
	const char *dir = dirname(dcopy);
	struct stat sb;
	bool ok = true;
	if (stat(dir, &sb) == 0 &&
	    ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 ||
	     (sb.st_uid != geteuid() && sb.st_uid != 0))) {
		ok = (sb.st_mode & S_ISVTX) != 0;
		th_error_set(ok ? &st->warning : err, st->path, 0, 0,
			     "other users can write its directory %s; keep "
			     "the state where only you can (such as "
			     "/var/lib/tracehound/)",
			     dir);
	}
	free(dcopy);
	return ok;
}

static bool load(struct th_state *st, struct th_error *err)
{
	json_error_t je;
	int fd = open_own(st->path, O_RDONLY, err);
	if (fd < 0)
		return errno == ENOENT; /* ENOENT: the first run */
	FILE *f = fdopen(fd, "rb");
	if (f == NULL)
		die("out of memory (state file)");
	json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	/* Only where: jansson's text quotes the file's content. */
	if (doc == NULL) {
		th_error_set(err, st->path, 0, 0,
			     "not a readable state file (invalid JSON at line "
			     "%d); move it away to start afresh",
			     je.line);
		return false;
	}
	char where[96] = "";
	bool ok = json_is_object(doc) && load_doc(st, doc, where, sizeof where);
	json_decref(doc);
	if (!ok && where[0] != '\0')
		th_error_set(err, st->path, 0, 0,
			     "a damaged state file (at %s); move it away to "
			     "start afresh",
			     where);
	else if (!ok)
		th_error_set(err, st->path, 0, 0,
			     "not a %s state file, or a damaged one; move it "
			     "away to start afresh",
			     schema);
	return ok;
}

/* ---- locking ------------------------------------------------------------ */

/* Takes PATH.lock, waiting a little for another run to finish. */
static bool take_lock(struct th_state *st, struct th_error *err)
{
	size_t n = strlen(st->path) + 6;
	char *lock = xmalloc(n);
	snprintf(lock, n, "%s.lock", st->path);
	st->lock_fd = open_own(lock, O_RDWR | O_CREAT, err);
	if (st->lock_fd < 0) {
		if (errno == ENOENT)
			th_error_set(err, lock, 0, 0, "%s", strerror(errno));
		free(lock);
		return false;
	}
	double waited = 0, limit = st->opt.lock_wait;
	while (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (waited == 0 && errno == EWOULDBLOCK &&
		    st->opt.on_lock_busy != NULL)
			st->opt.on_lock_busy(st->opt.ctx, lock);
		if (errno != EWOULDBLOCK || waited >= limit) {
			th_error_set(err, st->path, 0, 0,
				     "locked by another tracehound run (waited "
				     "%.0f s)",
				     waited);
			free(lock);
			return false;
		}
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
		waited += 0.1;
	}
	free(lock);
	return true;
}

void state_options_init(struct th_state_options *o)
{
	*o = (struct th_state_options){.lock_wait = TH_STATE_LOCK_WAIT};
}

struct th_state *state_open(const char *path, const enum th_key *group_by,
			    size_t n_group_by, const struct th_state_options *o,
			    struct th_error *err)
{
	struct th_state *st = xcalloc(1, sizeof *st);
	if (o != NULL)
		st->opt = *o;
	else
		state_options_init(&st->opt);
	st->path = xstrdup(path);
	st->lock_fd = -1;
	st->other_groups = json_object();
	st->other_others = json_object();
	metrics_init(&st->totals, group_by, n_group_by);
	st->n_keys = n_group_by;
	memcpy(st->keys, group_by, n_group_by * sizeof *group_by);
	for (size_t i = 0; i < n_group_by; i++) {
		size_t len = strlen(st->signature);
		snprintf(st->signature + len, sizeof st->signature - len,
			 "%s%s", i ? "," : "", catalog_key_name(group_by[i]));
	}
	if (st->other_groups == NULL || st->other_others == NULL)
		die("out of memory (JSON object)");
	if (!check_dir(st, err) || !take_lock(st, err) || !load(st, err)) {
		state_free(st);
		return NULL;
	}
	return st;
}

const struct th_error *state_warning(const struct th_state *st)
{
	return &st->warning;
}

void state_free(struct th_state *st)
{
	if (st == NULL)
		return;
	if (st->lock_fd >= 0)
		close(st->lock_fd); /* releases the lock */
	for (size_t i = 0; i < st->n_files; i++)
		free(st->files[i].path);
	free(st->files);
	spanmap_fini(&st->file_index);
	for (size_t i = 0; i < st->n_groups; i++) {
		for (size_t k = 0; k < st->n_keys; k++)
			free(st->groups[i].vals[k]);
		free(st->groups[i].vals);
		free(st->groups[i].first_seen);
	}
	free(st->groups);
	json_decref(st->other_groups);
	json_decref(st->other_others);
	metrics_fini(&st->totals);
	free(st->path);
	free(st);
}

/* ---- files -------------------------------------------------------------- */

/* The name a file is remembered by: PATH made absolute, its directory
 * resolved (symbolic links, ".", ".."), so that "app.log", "./app.log"
 * and "$PWD/app.log" are one file. The last component is kept as given:
 * a link there is the name the log is rotated under. Falls back to the
 * path joined to the working directory when the directory cannot be
 * resolved. The caller frees it. */
static char *file_key(const char *path)
{
	char *copy = xstrdup(path), *copy2 = xstrdup(path);
	char *dir = realpath(dirname(copy), NULL);
	const char *rest = basename(copy2);
	if (dir == NULL && path[0] != '/') {
		dir = getcwd(NULL, 0);
		rest = path;
	}
	char *key;
	if (dir == NULL) {
		key = xstrdup(path);
	} else {
		const char *sep = strcmp(dir, "/") == 0 ? "" : "/";
		size_t n = strlen(dir) + strlen(sep) + strlen(rest) + 1;
		key = xmalloc(n);
		snprintf(key, n, "%s%s%s", dir, sep, rest);
	}
	free(dir);
	free(copy);
	free(copy2);
	return key;
}

void state_commit_file(struct th_state *st, const char *path,
		       const struct th_file_id *id, uint64_t offset,
		       uint64_t lines)
{
	struct file_entry e = {file_key(path), *id, offset, lines, true};
	file_put(st, &e);
}

void state_name_path(struct th_state *st, const char *path)
{
	char *key = file_key(path);
	struct file_entry *e = find_file(st, key);
	if (e != NULL)
		e->named = true;
	free(key);
}

/* True when nothing is at PATH any more, not even a dangling link; a
 * path that cannot be examined for another reason (EACCES, EIO) is not
 * taken for gone. */
static bool path_gone(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) != 0 && (errno == ENOENT || errno == ENOTDIR);
}

/* Drops the entries of files this run was not given and that are gone,
 * so the state does not grow with every log name ever given (README,
 * "Cron audits"). A file still there stays: runs that share a state may
 * name different files. */
static void prune_files(struct th_state *st)
{
	size_t kept = 0;
	for (size_t i = 0; i < st->n_files; i++) {
		struct file_entry *e = &st->files[i];
		if (!e->named && path_gone(e->path))
			free(e->path);
		else
			st->files[kept++] = *e;
	}
	st->n_files = kept;
	spanmap_fini(&st->file_index);
	for (size_t i = 0; i < st->n_files; i++)
		spanmap_put(&st->file_index, th_cstr(st->files[i].path), i,
			    NULL);
}

/* XXH64 of the first N decompressed bytes of PATH (fewer if it is
 * shorter: *GOT says how many); whether it is compressed in *COMPRESSED.
 * False when it cannot be read. */
static bool fingerprint(const char *path, uint64_t n, uint64_t *fp,
			uint64_t *got, bool *compressed)
{
	bool not_file;
	struct th_input *in = input_open_file(path, &not_file, NULL);
	if (in == NULL)
		return false;
	char buf[TH_STATE_FP_BYTES];
	size_t have = 0, k;
	enum th_status s = TH_OK;
	while (have < n && have < sizeof buf &&
	       (s = input_read(in, buf + have, n - have, &k)) == TH_OK)
		have += k;
	*compressed = input_compression(in) != TH_COMPRESSION_NONE;
	input_close(in);
	if (s != TH_OK && s != TH_EOF)
		return false;
	*fp = XXH64(buf, have, 0);
	*got = have;
	return true;
}

/* The offset just past the last newline in START..END of FD's file, or
 * START when there is none: a line still being written is left for the
 * next run. */
static uint64_t last_newline_end(int fd, uint64_t start, uint64_t end)
{
	char buf[8192];
	while (end > start) {
		size_t n = end - start < sizeof buf ? (size_t)(end - start)
						    : sizeof buf;
		ssize_t got = pread(fd, buf, n, (off_t)(end - n));
		if (got != (ssize_t)n)
			return start;
		const char *nl = memrchr(buf, '\n', n);
		if (nl != NULL)
			return end - n + (uint64_t)(nl - buf) + 1;
		end -= n;
	}
	return start;
}

/* ---- rotated files beside an input -------------------------------------- */

/* Where a rotated file's name puts it among the rotations: NAME.N
 * (logrotate's numbers: the smaller, the newer) or NAME-DATE, NAME.DATE
 * (dateext: the later, the newer), either perhaps followed by a
 * compression suffix. NONE: another name (NAME.old, NAME.lock). */
enum rank_kind { RANK_NONE, RANK_NUMBER, RANK_DATE };

/* A regular file beside the input whose name is the input's followed by
 * '.' or '-': perhaps one of its rotated copies. */
struct sibling {
	char *path;
	char *stamp; /* its name's number or date; NULL for RANK_NONE */
	enum rank_kind kind;
	uint64_t size;
	int64_t mtime_ns;
	bool unreadable;    /* compressed in a format input cannot read */
	bool compressed;    /* compressed content input reads */
	bool holds;	    /* it may be the file the state remembers */
	bool inode;	    /* it has that file's device and inode */
	bool same_start;    /* it starts with that file's fingerprinted bytes */
	bool written_after; /* modified after the mtime the state recorded */
};

static const char *const readable_ext[] = {".gz", ".zst", ".xz", ".bz2"};
static const char *const unreadable_ext[] = {".lz4", ".lzma", ".lzo", ".Z",
					     ".zip", ".br",   ".7z"};

static int64_t mtime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/* Whether the LEN bytes of NAME end with one of the N SUFFIXES; if so,
 * LEN is cut before it. */
static bool cut_suffix(const char *name, size_t *len,
		       const char *const *suffixes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(suffixes[i]);
		if (*len > k && memcmp(name + *len - k, suffixes[i], k) == 0) {
			*len -= k;
			return true;
		}
	}
	return false;
}

/* Reads S's rank from REST, its name after the input's ('.' or '-' and
 * what follows). A number is at most 5 digits after a '.': longer runs
 * of digits are dates (dateformat .%Y%m%d, %s). */
static void parse_rank(struct sibling *s, const char *rest)
{
	const char *stamp = rest + 1;
	size_t len = strlen(stamp);
	if (!cut_suffix(stamp, &len, readable_ext,
			sizeof readable_ext / sizeof *readable_ext))
		s->unreadable =
		    cut_suffix(stamp, &len, unreadable_ext,
			       sizeof unreadable_ext / sizeof *unreadable_ext);
	if (len == 0 || stamp[0] < '0' || stamp[0] > '9')
		return;
	size_t digits = strspn(stamp, "0123456789");
	for (size_t i = digits; i < len; i++)
		if (strchr("0123456789-_.:", stamp[i]) == NULL)
			return;
	s->kind = rest[0] == '.' && digits >= len && len <= 5 ? RANK_NUMBER
							      : RANK_DATE;
	s->stamp = xstrndup(stamp, len);
}

/* Compares two ranks of one kind: <0 when A was rotated before B (is
 * older), >0 when after, 0 when they name one generation (NAME.1 and
 * NAME.1.gz). */
static int rank_cmp(const struct sibling *a, const struct sibling *b)
{
	if (a->kind == RANK_NUMBER) {
		unsigned long na = strtoul(a->stamp, NULL, 10);
		unsigned long nb = strtoul(b->stamp, NULL, 10);
		return na > nb ? -1 : na < nb;
	}
	int c = strverscmp(a->stamp, b->stamp);
	return c < 0 ? -1 : c > 0;
}

/* Of two files of one generation, the one read: plain (a compressed copy
 * may still be being written), then gzip or zstd, then the rest. */
static int preference(const struct sibling *s)
{
	return s->unreadable ? 2 : s->compressed;
}

/* qsort order of sibling pointers: by kind, oldest first, then the
 * preferred file of a generation first. */
static int by_age(const void *x, const void *y)
{
	const struct sibling *a = *(struct sibling *const *)x;
	const struct sibling *b = *(struct sibling *const *)y;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	int c = rank_cmp(a, b);
	if (c == 0)
		c = preference(a) - preference(b);
	return c != 0 ? c : strcmp(a->path, b->path);
}

/* Fills what S has of the file E remembers: the same inode, the same
 * first bytes. It may be that file (HOLDS) when it starts with its
 * fingerprinted bytes and is not shorter than the offset (a compressed
 * one may be); an empty fingerprint matches every file, so then the same
 * inode will do, or a ranked name written after the last run (a copy of
 * the file that was empty then: copytruncate). */
static void examine(struct sibling *s, const struct stat *sb,
		    const struct file_entry *e)
{
	uint64_t fp, got;
	s->size = (uint64_t)sb->st_size;
	s->mtime_ns = mtime_ns(sb);
	s->inode = (uint64_t)sb->st_dev == e->id.dev &&
		   (uint64_t)sb->st_ino == e->id.ino;
	s->written_after = e->id.mtime_ns > 0 && s->mtime_ns > e->id.mtime_ns;
	/* One that cannot be fingerprinted (unreadable now) is still read
	 * when it is a newer generation, so the run names the error. */
	if (s->unreadable ||
	    !fingerprint(s->path, e->id.fp_len, &fp, &got, &s->compressed))
		return;
	bool starts = got == e->id.fp_len && fp == e->id.fp;
	s->same_start = starts && e->id.fp_len > 0;
	s->holds = starts && (s->compressed || s->size >= e->offset) &&
		   (e->id.fp_len > 0 || s->inode ||
		    (s->written_after && s->kind != RANK_NONE));
}

/* The files beside PATH that may be rotated copies of it, in *OUT (free
 * with free_siblings); returns how many. */
static size_t list_siblings(const char *path, const struct file_entry *e,
			    struct sibling **out)
{
	char *dcopy = xstrdup(path), *bcopy = xstrdup(path);
	const char *dir = dirname(dcopy), *base = basename(bcopy);
	size_t blen = strlen(base), n = 0, cap = 0;
	struct sibling *sibs = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    (de->d_name[blen] != '.' && de->d_name[blen] != '-'))
			continue;
		struct sibling s = {0};
		size_t len = strlen(dir) + strlen(de->d_name) + 2;
		s.path = xmalloc(len);
		snprintf(s.path, len, "%s/%s", dir, de->d_name);
		struct stat sb;
		if (stat(s.path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(s.path);
			continue;
		}
		parse_rank(&s, de->d_name + blen);
		examine(&s, &sb, e);
		XGROW(sibs, cap, n + 1, 16);
		sibs[n++] = s;
	}
	if (d != NULL)
		closedir(d);
	free(dcopy);
	free(bcopy);
	*out = sibs;
	return n;
}

static void free_siblings(struct sibling *sibs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(sibs[i].path);
		free(sibs[i].stamp);
	}
	free(sibs);
}

/* Whether S is a better guess than BEST at the file that held the
 * offset: the same inode wins, then the last written; but when the file
 * was empty (E's fingerprint is of no bytes) every copy written since
 * holds, and the first written is the one it became. */
static bool better_old(const struct sibling *s, const struct sibling *best,
		       const struct file_entry *e)
{
	if (best == NULL || (s->inode && !best->inode))
		return true;
	if (s->inode != best->inode)
		return false;
	return e->id.fp_len == 0 && !s->inode ? s->mtime_ns < best->mtime_ns
					      : s->mtime_ns > best->mtime_ns;
}

/* The rotated file that held the offset: of the siblings that may be it,
 * the best guess (better_old). NULL: none. */
static const struct sibling *pick_old(const struct sibling *sibs, size_t n,
				      const struct file_entry *e)
{
	const struct sibling *best = NULL;
	for (size_t i = 0; i < n; i++)
		if (sibs[i].holds && better_old(&sibs[i], best, e))
			best = &sibs[i];
	return best;
}

/* Whether a rotated copy of the file E remembers was written beside PATH
 * since the last run (copytruncate), though the file at PATH still looks
 * like that file grown: when it was empty then, or its new first lines
 * repeat the old ones. A copy holds the fingerprinted bytes, has a
 * rotated file's name, another inode, and was modified after the file's
 * recorded mtime: older generations were last written before. In doubt,
 * the copy is read rather than lost. */
static bool copied_since(const char *path, const struct file_entry *e)
{
	struct sibling *sibs;
	size_t n = list_siblings(path, e, &sibs);
	bool copied = false;
	for (size_t i = 0; i < n && !copied; i++)
		copied = sibs[i].holds && sibs[i].written_after &&
			 !sibs[i].inode && sibs[i].kind != RANK_NONE;
	free_siblings(sibs, n);
	return copied;
}

/* Whether S is a generation rotated after OLD, the file that held the
 * offset (NULL: not found). When OLD's name has a rank, S's name says
 * (mtime cannot: a compressor that does not keep it makes NAME.2.gz look
 * newer than NAME.1). Otherwise S must have been written after the file
 * was last planned (E's mtime; unknown in a state from before it was
 * kept: then none is newer) and not start as the file E remembers (its
 * inode may: a file created after the old one was deleted often gets
 * its inode). */
static bool is_newer(const struct sibling *s, const struct sibling *old,
		     const struct file_entry *e)
{
	if (s == old || s->kind == RANK_NONE)
		return false;
	if (old != NULL && old->kind != RANK_NONE)
		return s->kind == old->kind && rank_cmp(s, old) > 0;
	return e->id.mtime_ns > 0 && s->mtime_ns > e->id.mtime_ns &&
	       !s->same_start;
}

/* The generations rotated after OLD, oldest first, one file each (the
 * preferred), in GEN (room for N); returns how many. */
static size_t pick_newer(const struct sibling *sibs, size_t n,
			 const struct sibling *old, const struct file_entry *e,
			 const struct sibling **gen)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (is_newer(&sibs[i], old, e))
			gen[k++] = &sibs[i];
	if (k == 0)
		return 0;
	qsort(gen, k, sizeof *gen, by_age);
	size_t kept = 1;
	for (size_t i = 1; i < k; i++)
		if (gen[i]->kind != gen[kept - 1]->kind ||
		    rank_cmp(gen[i], gen[kept - 1]) != 0)
			gen[kept++] = gen[i];
	return kept;
}

static void plan_add(struct th_state_plan *plan, const char *path,
		     bool compressed, uint64_t start, uint64_t end,
		     uint64_t line_base, bool tracked)
{
	if (plan->n == sizeof plan->reads / sizeof *plan->reads)
		abort(); /* plan_rotated keeps to TH_STATE_MAX_GENERATIONS */
	plan->reads[plan->n++] = (struct th_state_read){
	    .path = xstrdup(path),
	    .compressed = compressed,
	    .start = start,
	    .end = end,
	    .line_base = line_base,
	    .tracked = tracked,
	};
}

/* Whether the file now at the path is the one E remembers: a compressed
 * one unchanged, a plain one perhaps grown. Grown means not shorter than
 * it was (a file truncated and refilled past the offset is not the same),
 * and changed only when longer (written then truncated to its old size,
 * an empty file most often, is not), and no rotated copy of it written
 * since (copied_since). */
static bool same_file(const struct file_entry *e, const char *path,
		      const struct stat *sb)
{
	uint64_t fp, got;
	bool comp;
	if ((uint64_t)sb->st_dev != e->id.dev ||
	    (uint64_t)sb->st_ino != e->id.ino ||
	    !fingerprint(path, e->id.fp_len, &fp, &got, &comp) ||
	    got != e->id.fp_len || fp != e->id.fp)
		return false;
	uint64_t size = (uint64_t)sb->st_size;
	if (comp)
		return size == e->id.size;
	if (size < e->offset || size < e->id.size)
		return false;
	if (size == e->id.size && e->id.mtime_ns != 0 &&
	    mtime_ns(sb) != e->id.mtime_ns)
		return false;
	return !copied_since(path, e);
}

/* Adds a sentence to the plan's warning. */
static void plan_warn(struct th_state_plan *plan, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void plan_warn(struct th_state_plan *plan, const char *fmt, ...)
{
	size_t len = strlen(plan->warning);
	if (len > 0 && len + 2 < sizeof plan->warning) {
		memcpy(plan->warning + len, "; ", 3);
		len += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(plan->warning + len, sizeof plan->warning - len, fmt, ap);
	va_end(ap);
}

/* Says what a plan for a rotated file leaves out: OLD not found (then
 * NEWER rotated files are read from their start), generations over the
 * limit, generations that cannot be read (the first one is FIRST). */
static void plan_warn_rotated(struct th_state_plan *plan, size_t newer,
			      const char *unreadable)
{
	if (plan->lost_rotated && newer == 0)
		plan_warn(plan, "rotated, and the rotated file was not found "
				"beside it; reading the new file from its "
				"start");
	else if (plan->lost_rotated)
		plan_warn(plan,
			  "rotated, and the rotated file was not found beside "
			  "it (what it held after the last run is lost); "
			  "reading the %zu rotated file%s written since then, "
			  "then the new file, from their start",
			  newer, newer == 1 ? "" : "s");
	if (plan->skipped > 0)
		plan_warn(plan,
			  "%zu rotated file%s not read: more than %d were "
			  "rotated since the last run, and only the newest "
			  "%d are read",
			  plan->skipped, plan->skipped == 1 ? "" : "s",
			  TH_STATE_MAX_GENERATIONS, TH_STATE_MAX_GENERATIONS);
	if (plan->unreadable > 0)
		plan_warn(plan,
			  "%zu rotated file%s not read: compressed in a format "
			  "tracehound cannot read (%s)",
			  plan->unreadable, plan->unreadable == 1 ? "" : "s",
			  unreadable);
}

/* Plans the files rotated away from PATH since E was committed: the
 * unread tail of the one E remembers, when it can be found, then each
 * newer generation whole, oldest first; at most TH_STATE_MAX_GENERATIONS,
 * the newest. */
static void plan_rotated(struct th_state_plan *plan, const char *path,
			 const struct file_entry *e)
{
	struct sibling *sibs;
	size_t n = list_siblings(path, e, &sibs);
	const struct sibling *old = pick_old(sibs, n, e);
	const struct sibling **gen = xcalloc(n + 1, sizeof *gen);
	size_t k = pick_newer(sibs, n, old, e, gen), readable = 0;
	const char *unreadable = NULL;
	for (size_t i = 0; i < k; i++) {
		if (!gen[i]->unreadable)
			readable++;
		else if (plan->unreadable++ == 0)
			unreadable = gen[i]->path;
	}
	plan->lost_rotated = old == NULL;
	size_t total = readable + (old != NULL);
	size_t skip = total > TH_STATE_MAX_GENERATIONS
			  ? total - TH_STATE_MAX_GENERATIONS
			  : 0;
	plan->skipped = skip;
	if (old != NULL && skip > 0)
		skip--;
	else if (old != NULL)
		plan_add(plan, old->path, old->compressed, e->offset,
			 old->compressed ? 0 : old->size, e->lines, false);
	for (size_t i = 0; i < k; i++) {
		if (gen[i]->unreadable)
			continue;
		if (skip > 0) {
			skip--;
			continue;
		}
		plan_add(plan, gen[i]->path, gen[i]->compressed, 0,
			 gen[i]->compressed ? 0 : gen[i]->size, 0, false);
	}
	plan_warn_rotated(plan, readable - plan->skipped, unreadable);
	free(gen);
	free_siblings(sibs, n);
}

bool state_plan(const struct th_state *st, const char *path,
		struct th_state_plan *plan)
{
	memset(plan, 0, sizeof *plan);
	enum th_input_kind kind;
	const char *what;
	int fd = input_open_named(path, &kind, &what);
	struct stat sb;
	bool comp;
	if (fd < 0 && kind == TH_INPUT_OTHER) {
		/* never read (a FIFO would hang the run while it holds the
		 * lock); its entry is kept for when a file is back */
		snprintf(plan->warning, sizeof plan->warning,
			 "not a regular file (%s): left out of this run", what);
		return true;
	}
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    !fingerprint(path, TH_STATE_FP_BYTES, &plan->id.fp,
			 &plan->id.fp_len, &comp)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	plan->id.dev = (uint64_t)sb.st_dev;
	plan->id.ino = (uint64_t)sb.st_ino;
	plan->id.size = (uint64_t)sb.st_size;
	plan->id.mtime_ns = mtime_ns(&sb);
	char *key = file_key(path);
	const struct file_entry *e = find_file(st, key);
	free(key);
	bool same = e != NULL && same_file(e, path, &sb);
	if (comp && same) /* unchanged: nothing to read */
		plan_add(plan, path, false, e->offset, e->offset, e->lines,
			 true);
	else if (comp) /* new or changed: read whole */
		plan_add(plan, path, true, 0, 0, 0, true);
	else {
		if (e != NULL && !same)
			plan_rotated(plan, path, e);
		uint64_t start = same ? e->offset : 0;
		plan_add(plan, path, false, start,
			 last_newline_end(fd, start, plan->id.size),
			 same ? e->lines : 0, true);
	}
	close(fd);
	return true;
}

void state_plan_fini(struct th_state_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		free(plan->reads[i].path);
	plan->n = 0;
}

/* ---- groups ------------------------------------------------------------- */

int state_mark_groups(struct th_state *st, struct th_agg *agg, const char *now,
		      size_t *not_kept)
{
	size_t known = st->n_groups;
	int worst = -1;
	*not_kept = 0;
	const struct th_group *g;
	for (size_t i = 0; (g = agg_next(agg, &i)) != NULL;) {
		char *vals[TH_KEY_COUNT], first[TH_TIME_LEN];
		for (size_t k = 0; k < st->n_keys; k++)
			vals[k] = g->key[st->keys[k]];
		uint64_t h = hash_vals(vals, st->n_keys);
		bool seen = find_group(st, vals, h) != NULL;
		agg_set_novelty(agg, g,
				seen ? TH_NOVELTY_SEEN : TH_NOVELTY_NEW);
		if (seen)
			continue;
		if ((int)g->severity > worst)
			worst = (int)g->severity;
		if (st->n_groups >= TH_MAX_GROUPS)
			(*not_kept)++;
		else
			add_group(st, vals,
				  isotime_print(&g->first.time, first) ? first
								       : now);
	}
	if (st->n_groups != known)
		qsort(st->groups, st->n_groups, sizeof *st->groups, by_hash);
	return worst;
}

/* ---- --metrics totals ---------------------------------------------------- */

/* The groups that have a series of their own: the top by events. The
 * caller frees the array. */
static bool *top_groups(const struct th_state *st)
{
	uint64_t *events = xcalloc(st->n_groups + 1, sizeof *events);
	bool *top = xcalloc(st->n_groups + 1, sizeof *top);
	for (size_t i = 0; i < st->n_groups; i++)
		events[i] = st->groups[i].events;
	metrics_pick_top(events, st->n_groups, top);
	free(events);
	return top;
}

/* This run's events of each group go to its own series when it is among
 * the top groups now, else to "other": each event is in one series, and
 * no series goes down when groups change places. */
static void place_run_events(struct th_state *st)
{
	bool *top = top_groups(st);
	for (size_t i = 0; i < st->n_groups; i++) {
		struct group_entry *g = &st->groups[i];
		if (top[i])
			g->series += g->run;
		else
			st->totals.other_events += g->run;
		g->run = 0;
	}
	free(top);
}

/* Adds RUN's inputs, failed inputs and bytes to the totals. */
static void count_inputs(struct th_state *st, const struct th_run *run)
{
	st->totals.inputs += run->n_inputs;
	st->totals.input_errors += run->inputs_failed;
	for (size_t i = 0; i < run->n_inputs; i++)
		st->totals.read_bytes += run->inputs[i].bytes;
}

/* Adds group G's events to its entry (made by state_mark_groups; a key
 * not remembered counts in "other") and its rules' to PER_RULE. */
static void count_group(struct th_state *st, const struct th_group *g,
			uint64_t *per_rule, size_t n_rules)
{
	char *vals[TH_KEY_COUNT];
	for (size_t k = 0; k < st->n_keys; k++)
		vals[k] = g->key[st->keys[k]];
	struct group_entry *e = (struct group_entry *)find_group(
	    st, vals, hash_vals(vals, st->n_keys));
	if (e != NULL) {
		e->events += g->count;
		e->run += g->count;
	} else {
		st->totals.other_events += g->count;
	}
	for (size_t r = 0; r < n_rules; r++)
		per_rule[r] += g->rule_counts[r];
	if (g->novelty == TH_NOVELTY_NEW)
		st->new_groups++;
}

void state_count_run(struct th_state *st, struct th_agg *agg,
		     const struct th_catalog *catalog, const struct th_run *run)
{
	size_t n_rules = catalog_rule_count(catalog);
	uint64_t *per_rule = xcalloc(n_rules + 1, sizeof *per_rule);
	const struct th_group *g;
	st->new_groups = 0;
	for (size_t i = 0; (g = agg_next(agg, &i)) != NULL;)
		count_group(st, g, per_rule, n_rules);
	place_run_events(st);
	for (size_t r = 0; r < n_rules; r++)
		metrics_add_rule(&st->totals, catalog_rule_id(catalog, r),
				 catalog_rule_severity(catalog, r),
				 per_rule[r]);
	free(per_rule);
	count_inputs(st, run);
	st->totals.counted = true;
}

void state_metrics(const struct th_state *st, struct th_metrics *m)
{
	const struct th_metrics *t = &st->totals;
	bool *top = top_groups(st);
	for (size_t i = 0; i < st->n_groups; i++)
		if (top[i])
			metrics_add_group(m, st->groups[i].vals,
					  st->groups[i].series);
	free(top);
	for (size_t i = 0; i < t->n_rules; i++)
		metrics_add_rule(m, t->rules[i].rule, t->rules[i].severity,
				 t->rules[i].events);
	m->other_events = t->other_events;
	m->inputs = t->inputs;
	m->input_errors = t->input_errors;
	m->read_bytes = t->read_bytes;
	m->counted = t->counted;
	m->has_new_groups = t->counted;
	m->new_groups = st->new_groups;
}

/* ---- saving ------------------------------------------------------------- */

static json_t *uint_json(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *files_json(const struct th_state *st)
{
	json_t *a = json_array();
	for (size_t i = 0; i < st->n_files; i++) {
		const struct file_entry *e = &st->files[i];
		char fp[17];
		snprintf(fp, sizeof fp, "%016llx",
			 (unsigned long long)e->id.fp);
		json_array_append_new(
		    a,
		    json_pack(
			"{s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "path",
			e->path, "dev", uint_json(e->id.dev), "inode",
			uint_json(e->id.ino), "size", uint_json(e->id.size),
			"mtime_ns", json_integer((json_int_t)e->id.mtime_ns),
			"fingerprint", fp, "fingerprint_bytes",
			uint_json(e->id.fp_len), "offset", uint_json(e->offset),
			"lines", uint_json(e->lines)));
	}
	return a;
}

static json_t *groups_json(const struct th_state *st)
{
	json_t *all = json_deep_copy(st->other_groups);
	json_t *list = json_array();
	for (size_t i = 0; i < st->n_groups; i++) {
		const struct group_entry *g = &st->groups[i];
		json_t *key = json_array();
		for (size_t k = 0; k < st->n_keys; k++)
			json_array_append_new(key, g->vals[k]
						       ? json_string(g->vals[k])
						       : json_null());
		json_array_append_new(
		    list,
		    json_pack("{s:o, s:s, s:o, s:o}", "key", key, "first_seen",
			      g->first_seen, "events", uint_json(g->events),
			      "series_events", uint_json(g->series)));
	}
	json_object_set_new(all, st->signature, list);
	return all;
}

static json_t *totals_json(const struct th_state *st)
{
	const struct th_metrics *t = &st->totals;
	json_t *rules = json_array();
	for (size_t i = 0; i < t->n_rules; i++)
		json_array_append_new(
		    rules,
		    json_pack("{s:s, s:s, s:o}", "rule", t->rules[i].rule,
			      "severity",
			      catalog_severity_name(t->rules[i].severity),
			      "events", uint_json(t->rules[i].events)));
	json_t *others = json_deep_copy(st->other_others);
	json_object_set_new(others, st->signature, uint_json(t->other_events));
	return json_pack(
	    "{s:o, s:o, s:o, s:o, s:o}", "inputs", uint_json(t->inputs),
	    "input_errors", uint_json(t->input_errors), "read_bytes",
	    uint_json(t->read_bytes), "rules", rules, "other_events", others);
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Writes TEXT to a temp file beside the state, syncs it, renames it over
 * the state and syncs the directory. */
static bool write_atomically(const struct th_state *st, const char *text,
			     struct th_error *err)
{
	size_t n = strlen(st->path) + 16;
	char *tmp = xmalloc(n);
	snprintf(tmp, n, "%s.tmp.XXXXXX", st->path);
	int fd = mkstemp(tmp);
	bool ok =
	    fd >= 0 && write_all(fd, text, strlen(text)) && fsync(fd) == 0;
	int saved = errno;
	if (fd >= 0 && close(fd) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (st->opt.at_point != NULL)
		st->opt.at_point(st->opt.ctx, "before-rename");
	if (ok && rename(tmp, st->path) != 0) {
		ok = false;
		saved = errno;
	}
	if (!ok) {
		th_error_set(err, st->path, 0, 0, "cannot write the state: %s",
			     strerror(saved));
		if (fd >= 0)
			unlink(tmp);
	}
	free(tmp);
	char *dcopy = xstrdup(st->path);
	int dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dcopy);
	return ok;
}

bool state_save(struct th_state *st, struct th_error *err)
{
	prune_files(st);
	json_t *doc = json_pack("{s:s, s:o, s:o, s:o}", "schema", schema,
				"files", files_json(st), "groups",
				groups_json(st), "totals", totals_json(st));
	if (doc == NULL)
		die("out of memory (state)");
	char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (text == NULL)
		die("out of memory (state)");
	size_t len = strlen(text);
	text = xrealloc(text, len + 2);
	memcpy(text + len, "\n", 2);
	bool ok = write_atomically(st, text, err);
	free(text);
	return ok;
}
