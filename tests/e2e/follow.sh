#!/usr/bin/env bash
# follow.sh - --follow: events appended to a file are printed as soon as
# they are complete, an event left open is flushed after a quiet second
# (marked incomplete), a file rotated (rename + create) or truncated
# (copytruncate) is followed into its new content, a file that does not
# exist yet is waited for (tail -F), a directory is refused before
# anything is printed, stdin is followed until
# its pipe ends, and SIGTERM/SIGINT stop it with the summary and the usual
# exit status. Every wait is bounded. Prints TAP.
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		echo "#   expected: $2"
		echo "#   got:      $3"
	fi
}

# A traceback whose innermost function (the group's coroutine) is NAME.
ev() { # NAME
	printf 'Traceback (most recent call last):\n'
	printf '  File "/app/x.py", line 1, in %s\n' "$1"
	printf '    boom()\n'
	printf 'ValueError: %s failed\n' "$1"
}
# Waits up to SECONDS (tenths allowed) until FILE has at least N lines.
# The bounds are generous (10 s) so a loaded machine (CI runs the ASan
# tests beside these) does not fail a test that waits on the 200 ms poll
# and the quiet second; a wait ends as soon as the lines are there.
wait_lines() { # FILE N SECONDS
	local i=0 limit
	limit=$(awk "BEGIN { print int($3 * 10) }")
	# a file not there yet (the background job has not opened its
	# output) has no lines: wc on a missing file would end the wait
	while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] &&
		[ "$i" -lt "$limit" ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
# Waits up to SECONDS for process PID to end; its status in $tmp/rc, or
# "running" (then it is killed).
wait_exit() { # PID SECONDS
	local i=0
	while kill -0 "$1" 2>/dev/null && [ "$i" -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1"
		echo running >"$tmp/rc"
	else
		wait "$1"
		echo $? >"$tmp/rc"
	fi
}
# "coroutine:complete" of ndjson line N of FILE.
nth() { # FILE N
	sed -n "$2p" "$1" | jq -r '"\(.coroutine):\(.complete)"'
}

echo "TAP version 13"
cd "$tmp" || exit 1

# ---- growing, quiet flush, rotation, truncation (ndjson) -------------------
ev old >app.log
"$bin" --follow --format ndjson app.log >out 2>err &
pid=$!
pids+=("$pid")
wait_lines out 1 10
check "what the file holds is read first" "old:true" "$(nth out 1)"

{ ev appended; echo "INFO after"; } >>app.log
wait_lines out 2 10
check "an appended traceback is printed while following" "appended:true" \
	"$(nth out 2)"
check "its line number counts the lines before it" "5" \
	"$(sed -n 2p out | jq .line)"

ev quiet >>app.log
wait_lines out 3 10
check "a traceback with nothing after it is flushed after a quiet second" \
	"quiet:true" "$(nth out 3)"

printf 'Traceback (most recent call last):\n  File "/app/x.py", line 1, in half\n' >>app.log
wait_lines out 4 10
check "half a traceback is flushed, marked incomplete" "half:false" \
	"$(nth out 4)"

printf 'Traceback (most recent call l' >>app.log
sleep 1.5
check "a line still being written is not read" "4" "$(wc -l <out)"
printf 'ast):\n  File "/app/x.py", line 1, in joined\n    x()\nKeyError: j\nINFO\n' >>app.log
wait_lines out 5 10
check "it is read whole once its newline comes" "joined:true" "$(nth out 5)"

mv app.log app.log.1
{ ev rotated; echo "INFO"; } >app.log
wait_lines out 6 10
check "a file renamed away and created anew: the new file is read" \
	"rotated:true" "$(nth out 6)"
check "from its start" "1" "$(sed -n 6p out | jq .line)"

cp app.log app.log.2 && : >app.log
sleep 0.5
{ ev truncated; echo "INFO"; } >>app.log
wait_lines out 7 10
check "a truncated file (copytruncate) is read from its start" \
	"truncated:true" "$(nth out 7)"

kill -TERM "$pid"
wait_exit "$pid" 3
check "SIGTERM stops it with the usual status (events found: 1)" "1" \
	"$(cat "$tmp/rc")"
check "nothing is printed twice" "7" "$(wc -l <out)"

# ---- several files in turn -------------------------------------------------
: >a.log
: >b.log
"$bin" -F -f ndjson a.log b.log >out2 2>/dev/null &
pid=$!
pids+=("$pid")
sleep 0.3
{ ev in_a; echo INFO; } >>a.log
{ ev in_b; echo INFO; } >>b.log
wait_lines out2 2 10
check "several files are followed side by side" "a.log:in_a b.log:in_b" \
	"$(jq -r '"\(.input):\(.coroutine)"' out2 | sort | tr '\n' ' ' | sed 's/ $//')"
kill -INT "$pid"
wait_exit "$pid" 3
check "SIGINT stops it too" "1" "$(cat "$tmp/rc")"

# ---- text: events as they come, the summary on SIGTERM ---------------------
: >t.log
"$bin" --follow --color never t.log >tout 2>terr &
pid=$!
pids+=("$pid")
sleep 0.3
{ ev texted; echo INFO; } >>t.log
wait_lines tout 1 10
check "text prints the event's heading as it comes" \
	"t.log:1  error  python.traceback  texted  ValueError" "$(head -1 tout)"
kill -TERM "$pid"
wait_exit "$pid" 3
check "text: exit status 1 after SIGTERM (an error was found)" "1" \
	"$(cat "$tmp/rc")"
grep -q '^tracehound: 1 event in 1 group' tout &&
	ok "text: the summary is printed on SIGTERM" ||
	not_ok "text: the summary is printed on SIGTERM"

"$bin" --follow --fail-on never --format json t.log >jout 2>/dev/null &
pid=$!
pids+=("$pid")
sleep 0.5
kill -TERM "$pid"
wait_exit "$pid" 3
check "json: the whole report on SIGTERM, exit 0 with --fail-on never" \
	"0 texted:1" \
	"$(cat "$tmp/rc") $(jq -r '.groups[] | "\(.key.coroutine):\(.count)"' jout)"

# ---- stdin -----------------------------------------------------------------
{
	printf 'Traceback (most recent call last):\n  File "/app/x.py", line 1, in piped\n'
	sleep 0.3
	printf '    x()\nKeyError: p\n'
} | "$bin" -F -f ndjson >sout 2>/dev/null &
pid=$!
pids+=("$pid")
wait_exit "$pid" 5
check "stdin: followed until its pipe ends, then the usual exit" \
	"1 piped:true" "$(cat "$tmp/rc") $(nth sout 1)"
printf 'Traceback (most recent call last):\n  File "/app/x.py", line 1, in piped\nKeyError: p\n' |
	"$bin" -F -f ndjson --label web-3 >sout 2>/dev/null
check "stdin: --label names the followed input" "web-3" \
	"$(jq -r .input sout)"

# ---- refused and failed ----------------------------------------------------
"$bin" --follow --state s.json t.log >/dev/null 2>err
check "--follow with --state is refused (exit 2)" "2" "$?"
grep -q 'do not go together' err && ok "and says why" || not_ok "and says why"
mkdir logdir
"$bin" --follow logdir >dout 2>err
check "a directory is refused (exit 2)" "2" "$?"
check "before anything is printed" "0" "$(wc -c <dout)"
grep -q 'logdir: is a directory' err && ok "and the directory is named" ||
	not_ok "and the directory is named"

# ---- a file that does not exist yet (tail -F) ------------------------------
"$bin" -F -f ndjson later.log >lout 2>lerr &
pid=$!
pids+=("$pid")
sleep 0.5
check "a missing file is waited for, not failed" "running" \
	"$(kill -0 "$pid" 2>/dev/null && echo running)"
grep -q 'later.log: does not exist yet' lerr &&
	ok "the wait is said on stderr" || not_ok "the wait is said on stderr"
ev appeared >later.log
wait_lines lout 1 10
check "once it appears it is followed from its start" "appeared:true" \
	"$(nth lout 1)"
kill -TERM "$pid"
wait_exit "$pid" 3
check "and SIGTERM ends it with the usual status" "1" "$(cat "$tmp/rc")"

# ---- something else at a followed path for a while ---------------------------
# A link to /dev/null, a directory or a FIFO put in a followed file's place
# is warned about once and waited through, as tail -F does: the file is
# read again once it is back, and a FIFO nobody writes to blocks neither
# its path nor the other files. A pipe handed over (<(...)) is read as one.
: >c.log
: >g.log
"$bin" -F -f ndjson c.log g.log >nout 2>nerr &
pid=$!
pids+=("$pid")
sleep 0.5
mv c.log c.real && ln -s /dev/null c.log
sleep 0.8
rm c.log && mv c.real c.log
{ ev back_from_null; echo INFO; } >>c.log
wait_lines nout 1 10
check "a link to /dev/null for a while does not end following" \
	"c.log:back_from_null:true" \
	"$(sed -n 1p nout | jq -r '"\(.input):\(.coroutine):\(.complete)"')"
check "it is warned about once" "1" \
	"$(grep -c 'warning: c.log: not a regular file' nerr)"
mv c.log c.real && mkdir c.log
sleep 0.8
rmdir c.log && mv c.real c.log
{ ev back_from_dir; echo INFO; } >>c.log
wait_lines nout 2 10
check "nor does a directory" "back_from_dir:true" "$(nth nout 2)"
mv g.log g.real && mkfifo g.log
sleep 0.8
{ ev while_fifo; echo INFO; } >>c.log
wait_lines nout 3 10
check "a FIFO swapped in blocks no other file" "while_fifo:true" \
	"$(nth nout 3)"
rm g.log && mv g.real g.log
{ ev back_from_fifo; echo INFO; } >>g.log
wait_lines nout 4 10
check "and the file is read again once it is back" \
	"g.log:back_from_fifo:true" \
	"$(sed -n 4p nout | jq -r '"\(.input):\(.coroutine):\(.complete)"')"
grep -q 'note: g.log: a regular file again' nerr &&
	ok "its return is noted" || not_ok "its return is noted"
kill -TERM "$pid"
wait_exit "$pid" 3
check "SIGTERM ends it as usual" "1" "$(cat "$tmp/rc")"

mkfifo h.fifo
: >i.log
"$bin" -F -f ndjson h.fifo i.log >hout 2>herr &
pid=$!
pids+=("$pid")
sleep 0.5
{ ev beside_fifo; echo INFO; } >>i.log
wait_lines hout 1 10
check "a FIFO named to --follow blocks no other file" "beside_fifo:true" \
	"$(nth hout 1)"
grep -q 'warning: h.fifo: not a regular file (a FIFO)' herr &&
	ok "and is warned about" || not_ok "and is warned about"
kill -TERM "$pid"
wait_exit "$pid" 3

"$bin" -F -f ndjson <(ev substituted; echo INFO) >pout 2>/dev/null &
pid=$!
pids+=("$pid")
wait_exit "$pid" 5
check "<(...) is followed as a pipe, to its end" "1 substituted:true" \
	"$(cat "$tmp/rc") $(nth pout 1)"

tap_end
