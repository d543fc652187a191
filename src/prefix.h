/* prefix.h - take a raw line apart into the record text the assembler
 * reads, and what a log framework's prefix says about it: whether a new
 * log record starts here, and when it was written.
 *
 * Owns:        a scratch buffer for lines it has to rewrite (ANSI escapes
 *              removed).
 * Caller owns: nothing: a record's text points into the line or into the
 *              scratch buffer and is valid until the next prefix_parse.
 *
 * This shapes: bare stderr, and Python logging output whose first
 * line of a record carries a prefix ("ERROR:asyncio:…", "2024-05-01
 * 10:00:01,123 ERROR [asyncio] …"). Per-line prefixes (CRI, syslog,
 * Docker, JSON logs) slot in here: they set the source and time and cut
 * TEXT down to the message.
 */
#ifndef TH_PREFIX_H
#define TH_PREFIX_H

#include "lines.h"
#include "th.h"

struct th_record {
	struct th_span text; /* the line without its framing, ANSI removed */
	uint64_t number;     /* line number in the input */
	uint64_t offset;     /* byte offset of the line's start */
	uint64_t end_offset; /* just past the line and its newline */
	uint32_t source;     /* which writer; 0 when the input has one */
	bool record_start;   /* a logging prefix opens a new record */
	char time[40];	     /* ISO 8601 when the prefix has one, else "" */
};

struct th_prefixer;

struct th_prefixer *prefix_new(void);
void prefix_free(struct th_prefixer *p);

/* Fills REC from LINE; END_OFFSET is the stream offset after the line. */
void prefix_parse(struct th_prefixer *p, const struct th_line *line,
		  uint64_t end_offset, struct th_record *rec);

/* Removes ANSI CSI escapes ("\x1b[1;35m") from IN into OUT (capacity at
 * least IN.n); returns the new length. */
size_t prefix_strip_ansi(struct th_span in, char *out);

/* Parses an ISO-8601-like time at the start of S ("2024-05-01 10:00:01,123",
 * "2024-05-01T10:00:01.123456+02:00", "...Z") into OUT as
 * "YYYY-MM-DDTHH:MM:SS[.fff]" plus "Z" when the zone is known (converted to
 * UTC). Returns the bytes consumed, 0 when S does not start with a time. */
size_t prefix_parse_time(struct th_span s, char out[40]);

#endif
