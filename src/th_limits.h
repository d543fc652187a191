/* th_limits.h - every bound tracehound puts on memory, in one place.
 *
 * Going over a limit truncates or skips, is counted in the run, and shows in
 * the report. Nothing here grows with the size of the input.
 */
#ifndef TH_LIMITS_H
#define TH_LIMITS_H

/* The largest window a zstd frame may ask for, as a power of two: 2^27 =
 * 128 MiB, zstd's own default limit (`zstd -d` refuses more unless told
 * --memory), so a hostile frame cannot make tracehound allocate
 * gigabytes; such a frame is the input's error. */
#define TH_ZSTD_WINDOW_LOG_MAX 27

/* The most memory an xz stream may make liblzma's decoder take: 128 MiB,
 * the zstd window's bound (a dictionary up to about 127 MiB: `xz -9`
 * uses 64 MiB), so that a stream made with a huge dictionary (`xz
 * --lzma2=dict=1536MiB`) cannot make tracehound allocate gigabytes; such
 * a stream is the input's error. */
#define TH_XZ_MEMLIMIT (128ULL << 20)

/* Bytes read from an input at a time, and so the longest line kept whole:
 * a longer line is cut to this many bytes and the rest is skipped. */
#define TH_READ_BUFFER (1024 * 1024)

/* An event keeps its first TH_EVENT_HEAD_LINES lines and its last
 * TH_EVENT_TAIL_LINES; lines in between are counted, not kept. The tail
 * holds the final exception line and the innermost frames. */
#define TH_EVENT_HEAD_LINES 400
#define TH_EVENT_TAIL_LINES 200
/* Bytes of text kept per event line (a longer line is cut). */
#define TH_EVENT_LINE_BYTES 4096

/* Lines of a multi-line exception message (or notes) kept after the final
 * line of a traceback before the event is closed. */
#define TH_MESSAGE_CONTINUATION_LINES 50

/* Group keys a --state file remembers (a report keeps every group). */
#define TH_MAX_GROUPS 10000

/* Groups with a series of their own in --metrics (the ones with the most
 * events; the rest are summed in one): Prometheus keeps every series a
 * scrape ever showed, so their number must not grow with the log. */
#define TH_METRICS_GROUP_SERIES 100

/* Bytes of groups the aggregate keeps in memory before they spill to
 * temporary files (--buffer-size; README.md, "Memory and temporary
 * files"). */
#define TH_SPILL_BUDGET ((size_t)64 << 20)

/* Entries kept in a group's "tasks" and "defined_at" lists, and
 * exception types a report lists for a group (the rest are counted in
 * its "exceptions_other"). */
#define TH_MAX_LIST 20

/* Exception types a group keeps while events are counted: the ones with
 * the smallest names in version order when it has seen more, each
 * counted exactly. Which types these are and their counts do not depend
 * on how the events were split into parts (-j ranges, spilled runs), so
 * the TH_MAX_LIST a report lists (the most frequent) are a serial
 * scan's (README.md, "Memory and temporary files"). */
#define TH_MAX_EXCEPTION_TYPES 256

/* Time buckets of a group's timeline: a group spanning more buckets of
 * the current width doubles the width (pairs of buckets fold into one). */
#define TH_TIMELINE_BUCKETS 64

/* Bytes of a group's example event text. */
#define TH_MAX_EXAMPLE 16384

/* Bytes of a time as printed, its NUL included:
 * "YYYY-MM-DDTHH:MM:SS.fffffffffZ" takes 31, a year past 9999 more. */
#define TH_TIME_LEN 40

/* Bytes of one field value (coroutine, exception, task...). */
#define TH_MAX_FIELD 512

/* Writers told apart within one input (pods, pids) with an event open at
 * the same time; the least recently active one's event is closed early. */
#define TH_MAX_SOURCES 64

/* Blank lines after a traceback that may still be followed by a chain
 * separator ("During handling of the above exception..."). */
#define TH_MAX_PENDING_BLANKS 3

/* Lines of a log record (its first line and the message lines after it)
 * that a traceback following them directly takes into its event; the
 * pipeline feeds this many lines before each candidate line. */
#define TH_RECORD_LOOKBACK_LINES 3

/* Leaves of one exception group reported as separate events. */
#define TH_MAX_LEAVES 256

/* Records (lines of text) one JSON log line may expand to; past this the
 * rest stays in the last record. */
#define TH_MAX_RECORD_LINES 4096

/* Writers with a CRI or Docker partial line waiting for its last piece. */
#define TH_MAX_PARTIALS 16

/* A plain file at least this large is cut into ranges scanned by several
 * threads (-j); a smaller one is scanned whole by one. */
#define TH_SPLIT_MIN (32u * 1024 * 1024)

/* Threads whose heaps are on huge pages at once (heap.h): each holds 2
 * to 4 MiB more resident than on small pages, so a scan with many
 * threads warms only this many (docs/performance.md, "Huge pages"). */
#define TH_HUGE_PAGE_THREADS 8

/* Ranges a cut file becomes, per job: each job's part of the file is cut
 * shorter and shorter towards its end (see part_cut in scan.c), so a
 * thread slowed by another process on its core leaves the end of its
 * part to the others instead of holding up the end. */
#define TH_RANGES_PER_JOB 6

/* A chain goes on while its aggregate holds at most this many groups
 * (scan.c, chain_goes_on): the last one is merged when every thread has
 * ended, about 2.5 microseconds a group. */
#define TH_CHAIN_GROUPS 1024

/* tracehound merge: the largest report read (decompressed; one report is
 * held in memory at a time), and the distinct rule ids, and ignore rule
 * ids, over all reports (every group keeps a count per rule id). */
#define MERGE_REPORT_MAX   ((size_t)1 << 30)
#define MERGE_MAX_RULE_IDS 1024

/* tracehound merge: the JSON text of a string kept as a report is read;
 * the rest of a longer one is dropped unread, so a small compressed
 * report of huge strings costs no more memory than its other bytes. A
 * report tracehound writes has none so long: an example is cut to
 * TH_MAX_EXAMPLE bytes, and escaping makes a byte 6 at most (\u00XX). */
#define MERGE_STRING_MAX (8 * (size_t)TH_MAX_EXAMPLE)

/* --state: a file not written for this many seconds has a quiet writer,
 * so an event at its end that may be over is counted now rather than
 * left for the next run. */
#define TH_STATE_SETTLE_SECONDS 2

/* Bounds on one regex match, so a user pattern that backtracks badly costs
 * at most a few milliseconds a line; a match that hits one counts as no
 * match (and is counted in the report's skipped.match_errors). */
#define TH_REGEX_MATCH_LIMIT	1000000
#define TH_REGEX_DEPTH_LIMIT	10000
#define TH_REGEX_HEAP_LIMIT_KIB (64 * 1024)
#define TH_REGEX_JIT_STACK	(1024 * 1024)

/* A rule file larger than this is refused rather than read into memory. */
#define TH_RULES_FILE_MAX (16 * 1024 * 1024)

#endif
