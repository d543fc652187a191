/* prefix.h - take a raw line apart into the records the assembler reads:
 * remove the framing a collector put around it (Kubernetes CRI, Docker
 * json-file, syslog and journald, `journalctl -o json`, `kubectl logs
 * --prefix`, `docker compose logs`), decode JSON and key=value log records
 * (kvline.h), and tell from a
 * logging prefix whether a new log record starts, which writer it came from and
 * when.
 *
 * Owns:        its buffers: decoded text, CRI partial lines waiting for
 *              their last piece, the records of the current line.
 * Caller owns: nothing: records and their text are valid until the next
 *              call on the same prefixer.
 *
 * A line without framing belongs, while an event is open, to the writer
 * of the line before it, so a traceback whose first line carries a prefix
 * stays with that writer; while none is open, to no writer.
 *
 * A syslog message of several lines comes as one line with each line end
 * written "#012" (rsyslog's files), or as its first line followed by the
 * others indented to its column (journalctl's short forms): either way it
 * becomes one record a line, all of its writer and time.
 */
#ifndef TH_PREFIX_H
#define TH_PREFIX_H

#include "isotime.h"
#include "rules.h"
#include "th.h"

struct th_prefixer;

/* RULES and M give the user's own prefixes (`prefixes:` in rule files),
 * tried before the built-in framings; both may be NULL. They must outlive
 * the prefixer, and RULES be finished (rules_finish) before it is made:
 * whether it has prefixes at all is asked once, here. */
struct th_prefixer *prefix_new(const struct th_rules *rules,
			       struct th_matcher *m);
void prefix_free(struct th_prefixer *p);

/* Forgets the writers and partial lines of the previous input. INPUT is
 * the new input's name (may be NULL): the path of a container runtime's
 * log file names the container, which then names the writers of its CRI
 * and Docker lines (frame_file_writer). */
void prefix_begin_input(struct th_prefixer *p, const char *input);

/* The writer of the last line parsed (0: none named). */
uint32_t prefix_last_source(const struct th_prefixer *p);

/* The records LINE holds: usually one; one per line of text for a JSON
 * log record whose message or exception spans lines; none for a CRI
 * partial piece, kept until its last piece comes. END_OFFSET is the stream
 * offset after the line. IDLE: no event is open before LINE, so a line
 * without framing belongs to no writer (with one open, it belongs to the
 * writer of the line before it; see unframe in prefix.c). *OUT is valid
 * until the next call. */
size_t prefix_parse(struct th_prefixer *p, const struct th_line *line,
		    uint64_t end_offset, bool idle,
		    const struct th_record **out);

/* At the end of an input: the records of CRI lines whose last piece never
 * came (their text as far as it got). */
size_t prefix_finish(struct th_prefixer *p, const struct th_record **out);

/* True while a piece of a split line waits for the rest, a key=value
 * record's value goes on past its line (the LogfmtRenderer of structlog
 * before 24.1), or a panel of rich's is open (richbox.h): the scanner
 * must then read line by line, or the rest would be skipped. */
bool prefix_pending(const struct th_prefixer *p);

/* When the line at the start of TEXT is the first piece of a CRI line
 * cut into pieces ("P"), and the lines after it in TEXT, each ended by
 * its "\n", are its other pieces, of the same stream, up to its last
 * ("F"), with no other writer's line among them, and they are at most
 * MAX: the pieces' messages go in PIECES (spans into TEXT, valid as long
 * as it is), *LEN gets the bytes of those lines with their "\n", and it
 * returns their number. Else, or when prefix_parse would not read these
 * lines as pieces of one line (a rule file's prefixes, a piece or a
 * value open), 0. The pipeline's search asks whether the joined line
 * holds a literal without joining it. */
size_t prefix_split_pieces(const struct th_prefixer *p, struct th_span text,
			   struct th_span *pieces, size_t max, size_t *len);

/* True when LINE continues the CRI line that BEFORE, the line before it,
 * is a piece of ("P"): LINE is a piece of the same stream. The lines
 * come without their "\n". */
bool prefix_piece_continues(const struct th_prefixer *p, struct th_span before,
			    struct th_span line);

/* What of prefix_pending a file cut after the last line would break
 * (pipeline_cut_safe): true when a piece waits or a value is open. A
 * panel open, *PANEL, in the lines of *PANEL_WRITER, breaks only a cut
 * before another writer's line: a log record of its own ends it. */
bool prefix_open_across(const struct th_prefixer *p, bool *panel,
			uint32_t *panel_writer);

/* True when, while an event is open, a line that starts with a blank and
 * holds no escape byte (0x1b) is one record: its text without trailing
 * blanks and carriage returns, of the writer of the line before, *SOURCE,
 * with no time and starting no log record, and parsing it would change
 * nothing here (no user prefixes, no split line waiting, no key=value
 * value open). The pipeline
 * then feeds such lines to the assembler without parsing each. */
bool prefix_blank_lines_plain(const struct th_prefixer *p, uint32_t *source);

/* True when LINE is a place where a file may be cut into ranges scanned
 * apart: it carries no collector framing (so the file has one writer
 * there) and opens a log record, which ends every event open before it. */
bool prefix_safe_boundary(const struct th_prefixer *p, struct th_span line);

/* True when LINE is a place where a container runtime's file (CRI,
 * Docker json-file) may be cut: its text opens a log record, which ends
 * the events open in its writer, *WRITER (the id prefix_parse gives that
 * stream). Whether the other writers had no event and no piece of a line
 * open there is known only once the lines before it are read
 * (pipeline_cut_safe). */
bool prefix_framed_boundary(const struct th_prefixer *p, struct th_span line,
			    uint32_t *writer);

/* True when LINE is framed by a container runtime (CRI, Docker). */
bool prefix_runtime_framed(struct th_span line);

/* True when LINE carries a collector's framing or is a JSON record. */
bool prefix_is_framed(struct th_span line);

/* True when LINE is framed so that a trigger may not show in its bytes:
 * by a container runtime that splits long lines into pieces (CRI, Docker
 * json-file), by journalctl -o json, which writes a MESSAGE that is not
 * printable UTF-8 as an array of byte values, or by any JSON record,
 * whose traceback may be data (structlog's dict_tracebacks, jsontb.h).
 * The search must then also stop at the framing's markers
 * (frame_split_markers). */
bool prefix_may_split(struct th_span line);

/* Removes ANSI CSI escapes ("\x1b[1;35m") from IN into OUT (capacity at
 * least IN.n, not overlapping IN); returns the new length. */
size_t prefix_strip_ansi(struct th_span in, char *out);

#endif
