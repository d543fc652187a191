/* state.h - what incremental runs (--state FILE) remember between runs:
 * how far each input was read, and which groups were seen before.
 *
 * Owns:        the loaded state, the lock on FILE.lock, and the paths in a
 *              plan (state_plan_fini frees them).
 * Borrows:     the aggregate given to state_mark_groups (flags set only).
 * Errors:      state_open and state_save return false with a message that
 *              names the file (never its content); they never print.
 *              state_open refuses a symbolic link, a FIFO or another
 *              user's file at FILE or FILE.lock, and a directory others
 *              can write that is not sticky (state_warning: one that is). A
 * state file that cannot be parsed, or is not "tracehound.state/2" (or
 * /1, which loads with the totals at 0), is an error, never silently
 * replaced by an empty state.
 *
 * The file, JSON (written atomically: a temp file in the same directory,
 * fsync, rename over FILE, fsync of the directory; only after the report
 * was written):
 *
 *   {"schema": "tracehound.state/2",
 *    "files": [{"path": "/var/log/app.log",    (absolute, its directory
 *               "dev": 2049, "inode": 1312,     resolved: see file_key)
 *               "size": 81920,                  (bytes on disk when read)
 *               "mtime_ns": 1764150000123456789, (its mtime then; absent
 *                                                in older states)
 *               "fingerprint": "9f2c...",       (XXH64, hex, of the first
 *               "fingerprint_bytes": 4096,       bytes, decompressed)
 *               "offset": 80011, "lines": 1203}], (committed)
 *    "groups": {"coroutine": [                  (one list per --group-by)
 *               {"key": ["main"], "first_seen": "2024-05-01T10:00:01Z",
 *                "events": 12,                   (in every run, /2 on)
 *                "series_events": 12}]},         (of them, in its own
 *                                                --metrics series)
 *    "totals": {"inputs": 40, "input_errors": 0, (every run's, /2 on:
 *               "read_bytes": 81920,             what --metrics writes)
 *               "rules": [{"rule": "never-retrieved", "severity": "error",
 *                          "events": 12}],
 *               "other_events": {"coroutine": 0}}} (per --group-by list:
 *                                                the events of groups
 *                                                without a series)
 *
 * What is committed: the offset of an input is where the next run starts.
 * It never lies inside an event or a line:
 *   - a run reads a plain file only up to its last newline (a line still
 *     being written is read whole next time);
 *   - when an event is still open at that point (a traceback half-written
 *     when cron fired), the offset stops at the start of that event and the
 *     event is not counted now: the next run reads and counts it whole;
 *   - except when another writer's event that began after it was already
 *     counted (interleaved writers in one file): then the open event is
 *     counted now, as incomplete, and the offset goes to the last newline,
 *     so nothing is counted twice;
 *   - a compressed input is read whole when it is new or has changed, and
 *     skipped when it has not (compressed logs are not appended to).
 * A file is the same file as last time when its device, inode and the
 * fingerprint of its first bytes are, it is not shorter than the offset
 * nor than it was, it was not modified unless it grew (written and
 * truncated back: an empty file, the fingerprint of which matches
 * anything), and no copy of it was written beside it since (a ranked
 * sibling, modified after the recorded mtime, holding its first bytes:
 * copytruncate, when the new first lines repeat the old ones; in doubt
 * the copy is read rather than lost). Otherwise it was rotated (renamed away,
 * or copied and truncated): the rotated file is looked for beside it (NAME.1,
 * NAME.1.gz, NAME-DATE, .zst...: same inode, or same fingerprint, newest
 * first), its unread tail is read first (a compressed one is decompressed and
 * the committed bytes skipped), then every generation rotated after it, whole,
 * oldest first (the log rotated more than once between two runs), then the new
 * file from its start. Each is an input of its own, named by its path.
 *
 * Which files are newer generations: the names say, when the old file's
 * name has a rank: NAME.N (the smaller N, the newer; at most 5 digits)
 * or NAME-DATE, NAME.DATE (dateext: the later, compared as versions),
 * either followed by nothing, .gz or .zst. Mtimes do not decide there: a
 * compressor that does not keep them makes NAME.2.gz (delaycompress)
 * look newer than NAME.1, and a copytruncate copy has its copy time.
 * NAME.1 and NAME.1.gz are one generation, read once (the plain one: the
 * compressed one may still be being written); the old file's own rank is
 * never read again. When the old file is not found (deleted by "rotate
 * 1", say) or its name has no rank, a ranked sibling is a newer
 * generation when it was modified after the file's mtime recorded at the
 * last run and does not start with the old file's first bytes (then it
 * is the old file, cut short): older generations were last written
 * before the file the state remembers was created. (Its inode does not
 * tell: a file created after the old one was deleted often gets it.) A
 * compressor that does not keep mtimes, run on an older generation after
 * the last run (delaycompress), makes it look newer there: it is read
 * again. A state without mtime_ns reads none then (the old behaviour),
 * and every case says on stderr that the old file's end was lost.
 * Either way one compressed in a format tracehound cannot
 * read (.xz, .bz2...) is left out, and the plan's warning says so. At
 * most TH_STATE_MAX_GENERATIONS rotated files are read in one plan: past
 * that, the newest are read and the warning says how many were not.
 *
 * Files forgotten: an entry whose path the run neither named
 * (state_name_path) nor committed, and at which nothing is left (no file,
 * not even a link), is dropped when the state is saved.
 *
 * Groups: the keys of every group reported are remembered per --group-by
 * list with the group's first time (or the run's time when events have
 * none); a group whose key is not remembered is new. At most
 * TH_MAX_GROUPS keys are kept per list: past that, further keys are not
 * remembered (state_mark_groups says how many) and show as new each run,
 * which errs toward alerting.
 */
#ifndef TH_STATE_H
#define TH_STATE_H

#include "agg.h"
#include "error.h"
#include "metrics.h"
#include "th.h"

/* Bytes of an input's start that identify it (fewer if it is shorter). */
#define TH_STATE_FP_BYTES 4096

/* Rotated files one plan reads before the file now at the path (the old
 * file's tail and the generations rotated after it): a log rotated more
 * often than this between two runs loses the oldest, with a warning. */
#define TH_STATE_MAX_GENERATIONS 16

struct th_file_id {
	uint64_t dev, ino, size;
	uint64_t fp;	  /* XXH64 of the first fp_len decompressed bytes */
	uint64_t fp_len;  /* at most TH_STATE_FP_BYTES */
	int64_t mtime_ns; /* modified then (ns since 1970); 0: not known */
};

/* One read a plan asks for. */
struct th_state_read {
	char *path;
	bool compressed; /* read decompressed, skipping START bytes */
	uint64_t start;	 /* plain: bytes START..END of the file */
	uint64_t end;
	uint64_t line_base; /* lines before START */
	bool tracked;	    /* the file now at the input's path: its result is
			       committed; false: a rotated file's tail, read
			       to its end and counted whole */
};

struct th_state_plan {
	/* rotated files, oldest first (the old file's tail, then newer
	 * generations whole), then the file now at the path */
	struct th_state_read reads[TH_STATE_MAX_GENERATIONS + 1];
	size_t n;
	struct th_file_id id; /* the file now at the path */
	bool lost_rotated;    /* rotated, and the old file was not found */
	size_t skipped;	      /* rotated files over TH_STATE_MAX_GENERATIONS */
	size_t unreadable;    /* newer ones compressed in a foreign format */
	char warning[512];    /* what the reads leave out; "" when nothing */
};

struct th_state;

#define TH_STATE_LOCK_WAIT 5

/* What a caller may set (cli.c fills them, tests set them). */
struct th_state_options {
	double lock_wait; /* seconds to wait for another run's lock:
			     TH_STATE_LOCK_WAIT (TRACEHOUND_LOCK_WAIT) */
	/* Called once when the lock is found taken, before waiting. */
	void (*on_lock_busy)(void *ctx, const char *lock_path);
	/* Called at named points ("before-rename" in state_save), so that a
	 * test can stop the run there (TRACEHOUND_TEST_PAUSE). */
	void (*at_point)(void *ctx, const char *point);
	void *ctx;
};

/* The defaults: TH_STATE_LOCK_WAIT, no callbacks. */
void state_options_init(struct th_state_options *o);

/* Locks PATH (through PATH.lock, waiting up to O->lock_wait seconds) and
 * loads it; a missing PATH is a first run. GROUP_BY names the group lists
 * this run reads and adds to. O NULL: the defaults. Returns NULL with ERR
 * filled (the file at fault, why) on failure (nothing left open or
 * locked). */
struct th_state *state_open(const char *path, const enum th_key *group_by,
			    size_t n_group_by, const struct th_state_options *o,
			    struct th_error *err);

/* What state_open found wrong but not fatal (the state in a directory
 * other users can write, but sticky), for the caller to print; unset
 * (->set false) for nothing. */
const struct th_error *state_warning(const struct th_state *st);

/* Unlocks and frees; the file is left as it was unless state_save ran.
 * Accepts NULL. */
void state_free(struct th_state *st);

/* What to read of input PATH (a file, not "-"). Returns false when PATH
 * cannot be examined, or is a pipe handed over (`<(...)`): the caller
 * reads it as without a state (and so reports the error) and does not
 * commit it. When the plan leaves out something rotated (lost_rotated,
 * skipped, unreadable), WARNING says what, for the caller to print after
 * the path. Something else than a regular file at PATH (a FIFO, a
 * device) is never opened to read: the plan reads nothing, WARNING says
 * so, and PATH's entry is kept. */
bool state_plan(const struct th_state *st, const char *path,
		struct th_state_plan *plan);
void state_plan_fini(struct th_state_plan *plan);

/* Remembers that the file ID at PATH is read up to OFFSET (decompressed
 * bytes), LINES lines before it. Saved by state_save. */
void state_commit_file(struct th_state *st, const char *path,
		       const struct th_file_id *id, uint64_t offset,
		       uint64_t lines);

/* Tells ST that this run was given PATH (an operand, not "-"): its entry
 * is kept even when no file is there now (renamed away by a rotation
 * that has not created the new file yet), so that the next run still
 * finds the old file's unread tail. state_save drops the entries of
 * files neither named nor committed by the run that are gone (no file,
 * not even a link, at their path). */
void state_name_path(struct th_state *st, const char *path);

/* Marks each group of AGG new or seen before (th_group.novelty) and
 * remembers the new ones, first seen at their first time or at NOW (ISO
 * 8601). Returns the highest severity among new groups, -1 for none; sets
 * *NOT_KEPT to the new keys not remembered (over TH_MAX_GROUPS). */
int state_mark_groups(struct th_state *st, struct th_agg *agg, const char *now,
		      size_t *not_kept);

/* --metrics: adds this run's counts to the totals the state keeps (and
 * saves): AGG's groups' events (after state_mark_groups, which makes
 * their entries), per rule of CATALOG, RUN's inputs, failed inputs and
 * bytes. Counted whether --metrics is given or not, so that the
 * counters a later --metrics writes start with every run. */
void state_count_run(struct th_state *st, struct th_agg *agg,
		     const struct th_catalog *catalog,
		     const struct th_run *run);

/* Adds to M (metrics_init'ed with the state's --group-by keys) the
 * totals of every run counted: the groups with the most events, each
 * with the events counted in its series, and the rest. */
void state_metrics(const struct th_state *st, struct th_metrics *m);

/* Writes the state atomically, without the entries of files this run
 * neither named nor committed that are gone (see state_name_path).
 * Returns false with ERR filled; the old file is then untouched. */
bool state_save(struct th_state *st, struct th_error *err);

#endif
