/* richbox.h - a traceback as rich draws it (rich.traceback: the
 * excepthook of `rich.traceback.install()`, `Console.print_exception()`),
 * read back into the lines Python's traceback module writes, so that the
 * assembler and the classifier read it as any other (README.md, "Log
 * shapes"):
 *
 *   ╭─────────── Traceback (most recent call last) ───────────╮
 *   │ /app/billing.py:84 in settle_invoice                     │
 *   │                                                          │
 *   │   83 │   await asyncio.sleep(0)                          │
 *   │ ❱ 84 │   raise ConnectionResetError("ledger closed")     │
 *   ╰──────────────────────────────────────────────────────────╯
 *   ConnectionResetError: ledger closed
 *
 * becomes "Traceback (most recent call last):", then
 * `  File "/app/billing.py", line 84, in settle_invoice` and
 * `    raise ConnectionResetError("ledger closed")` for each frame; the
 * other lines of the panel (the code around, blank lines, the panels of
 * a frame's locals) are dropped. The exception's line follows the panel
 * as Python writes it, and so do the lines between the panels of a
 * chain. A frame's heading wider than the panel is wrapped over several
 * of its lines; they are joined again. A SyntaxError's place and line of
 * code come in a second panel, with no title, right after the first:
 * Python's `  File "PATH", line N` and `    CODE`.
 *
 * Owns:        nothing.
 * Caller owns: the lines, which spans point into, and the buffers text
 *              is written to.
 */
#ifndef TH_RICHBOX_H
#define TH_RICHBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "th.h"

/* What a panel's top border holds of its title, where Python writes a
 * ':' after "last)": a literal to search for (pipeline.c). ASCII, as
 * the rules' literals are, which keeps the search's tables to ASCII
 * (trigger.c, ascii_fp): with the border's "─" after the blank, 0.3 %
 * more instructions on a crash loop (docs/performance.md). */
#define RICHBOX_TITLE "Traceback (most recent call last) "

/* The same title where rich draws in colors (on a terminal, or when
 * structlog's ConsoleRenderer has it draw): an escape splits it, after
 * "Traceback ". */
#define RICHBOX_TITLE_COLORED "Traceback \x1b[0m"

/* The line a panel's top border stands for. */
#define RICHBOX_TRACEBACK "Traceback (most recent call last):"

/* The first byte of every line of a panel (of U+256D, U+2502 and U+2570,
 * which start its lines), where a line starts with the panel. */
#define RICHBOX_LEAD 0xE2

/* Whether LINE, past INDENT blanks, is the top border of a traceback's
 * panel ("╭───── Traceback (most recent call last) ─────╮"). *INDENT is
 * the blanks before the border, which the panel's other lines have too
 * (RichHandler draws it in its message column). */
bool richbox_is_top(struct th_span line, size_t *indent);

/* Whether LINE, past INDENT blanks, is the top border of a panel with
 * no title: rich draws a SyntaxError's so, right after the bottom
 * border of the traceback's panel (richbox_syntax_place). */
bool richbox_is_untitled_top(struct th_span line, size_t indent);

/* A line of a panel. */
enum richbox_side {
	RICHBOX_OUTSIDE, /* no line of the panel: it ended without its
			    bottom border */
	RICHBOX_INSIDE,	 /* "│ TEXT │": what it holds */
	RICHBOX_BOTTOM	 /* "╰─────╯" */
};

/* What LINE is to the panel whose lines start after INDENT blanks; for
 * RICHBOX_INSIDE, *CONTENT is the text between the borders, its trailing
 * blanks removed (empty for a blank line). */
enum richbox_side richbox_side(struct th_span line, size_t indent,
			       struct th_span *content);

/* Whether CONTENT (richbox_side's) is a frame's heading or a piece of
 * one: text that starts at the panel's first column and is no code line
 * ("   83 │ …", "❱ 84 │ …"), no border of an inner panel (locals) and not
 * blank. */
bool richbox_is_heading(struct th_span content);

/* Appends PIECE, the next line of a heading wrapped over several, to the
 * heading in BUF (*LEN bytes, capacity CAP): rich breaks a line at a
 * blank, which it drops ("…:452 in" and "_handle"), or inside a word too
 * long for the panel (a path), with nothing between. False, and nothing
 * appended, when it does not fit. */
bool richbox_join(char *buf, size_t *len, size_t cap, struct th_span piece);

/* Writes the frame line Python prints for HEADING, "PATH:LINE in NAME",
 * to OUT (capacity CAP): `  File "PATH", line LINE, in NAME`. Returns
 * its length; 0 when HEADING is no such heading (rich writes only
 * "in NAME" for a file it cannot find) or OUT is too small. */
size_t richbox_frame(struct th_span heading, char *out, size_t cap);

/* The failing line of a frame's code ("❱ 84 │   raise X()"), as Python
 * prints it under the frame: four blanks and the statement, the panel's
 * indent guides left out. Written to OUT (capacity CAP); returns its
 * length, 0 when CONTENT is no such line or OUT is too small. */
size_t richbox_code(struct th_span content, char *out, size_t cap);

/* Whether CONTENT starts the place a SyntaxError's panel names first:
 * rich writes it after one blank (" PATH:LINE"), and wraps it as a
 * frame's heading when it is wider than the panel (richbox_join). */
bool richbox_is_syntax_place(struct th_span content);

/* PLACE, the place a SyntaxError's panel names ("PATH:LINE", its pieces
 * joined and its leading blank gone), as Python prints it under
 * "Traceback": `  File "PATH", line LINE`, into OUT (capacity CAP).
 * Returns the length; 0 when PLACE is no such place (yet: a piece) or
 * OUT is too small. */
size_t richbox_syntax_place(struct th_span place, char *out, size_t cap);

/* CONTENT, the line of code in a SyntaxError's panel, as Python prints
 * it under the place: `    CODE`, into OUT (capacity CAP). Returns the
 * length; 0 for the line under the code that points at the error with
 * a "▲", for a blank one, and when OUT is too small. */
size_t richbox_syntax_code(struct th_span content, char *out, size_t cap);

#endif
