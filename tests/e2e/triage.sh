#!/usr/bin/env bash
# triage.sh - incident triage: --since / --until (ISO 8601 and relative,
# events without a time left out and said so once), the timeline
# (sparkline in text and markdown, "timeline" in JSON, merged from split
# inputs to the timeline of the whole), --top, --examples and --format
# markdown, for scans and for merge. Prints TAP.
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# ev TIME CORO EXC: one "never retrieved" event (6 lines) logged at TIME
# ("" for a line without a logging prefix, so without a time).
ev() {
	if [ -n "$1" ]; then
		printf '%s ERROR [asyncio] Task exception was never retrieved\n' "$1"
	else
		printf 'Task exception was never retrieved\n'
	fi
	printf "future: <Task finished name='Task-1' coro=<%s() done, defined at /app/x.py:10> exception=%s('boom')>\n" "$2" "$3"
	printf 'Traceback (most recent call last):\n  File "/app/x.py", line 12, in %s\n    raise %s("boom")\n%s: boom\n' "$2" "$3" "$3"
}

# 12 fetch_user errors every 5 minutes, a spike of 20 at 10:40, 3
# poll_forever at 10:02, send_mail at 10:58, and one event without time.
{
	ev "" untimed_job KeyError
	for m in 00 05 10 15 20 25 30 35 40 45 50 55; do
		ev "2024-05-01 10:$m:00,000" fetch_user ConnectionError
	done
	for s in $(seq 10 29); do
		ev "2024-05-01 10:40:$s,500" fetch_user TimeoutError
	done
	for s in 01 02 03; do ev "2024-05-01 10:02:$s,000" poll_forever RuntimeError; done
	ev "2024-05-01 10:58:00,000" send_mail SMTPError
} >"$tmp/app.log"

echo "TAP version 13"

events() { # events ARGS...: the "events" count of the JSON report
	"$bin" -f json --fail-on never "$@" "$tmp/app.log" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])'
}

# ---- --since / --until --------------------------------------------------

check "without a window every event is reported" [ "$(events)" = 37 ]
check "--since keeps the events at or after it" \
	[ "$(events --since '2024-05-01 10:40')" = 25 ]
check "--until keeps the events at or before it" \
	[ "$(events --until 2024-05-01T10:05:00)" = 5 ]
check "--since and --until together, date and minute forms" \
	[ "$(events --since 2024-05-01T10:30 --until '2024-05-01 10:45:00')" = 24 ]
check "a bound with a zone is converted to UTC" \
	[ "$(events --since 2024-05-01T12:40:00+02:00)" = 25 ]
check "--since a date alone is its midnight" [ "$(events --since 2024-05-01)" = 36 ]

"$bin" --since 2024-05-01T10:50 --fail-on never "$tmp/app.log" >"$tmp/out" 2>"$tmp/err"
check "events without a time are said once to be left out" \
	[ "$(grep -c 'had no time' "$tmp/err")" = 1 ]
check "the note names the count and the option" \
	grep -q '^tracehound: warning: 1 event had no time and was left out by --since$' "$tmp/err"
"$bin" --fail-on never "$tmp/app.log" >/dev/null 2>"$tmp/err"
check "without a window nothing is said" [ ! -s "$tmp/err" ]

now_minus() { date -d "@$(($(date +%s) - $1))" '+%Y-%m-%d %H:%M:%S,000'; }
{
	ev "$(now_minus 600)" recent_job ValueError
	ev "$(now_minus 10800)" old_job ValueError
} >"$tmp/now.log"
"$bin" -f json --since 1h --fail-on never "$tmp/now.log" >"$tmp/now.json"
check "--since 1h keeps the last hour of a log in local time" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["events"] == 1 and d["groups"][0]["key"]["coroutine"] == "recent_job"))' "$tmp/now.json"
for rel in 90s 30m 2h 1d 1w 1h30m; do
	"$bin" --since "$rel" --fail-on never "$tmp/now.log" >/dev/null 2>&1
	check "--since $rel is taken" [ $? = 0 ]
done

for bad in yesterday 2h-ago 10:00 2024-13-01 -1h ''; do
	"$bin" --since "$bad" "$tmp/app.log" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	grep -q "ISO 8601" "$tmp/err" && said=yes || said=no
	check "--since '$bad' is refused with exit 2 and a message" \
		[ $rc = 2 -a ! -s "$tmp/out" -a $said = yes ]
done
"$bin" --since 2024-05-01T11:00 --until 2024-05-01T10:00 "$tmp/app.log" >/dev/null 2>"$tmp/err"
rc=$?
grep -q "after --until" "$tmp/err" && said=yes || said=no
check "--since after --until is refused" [ $rc = 2 -a $said = yes ]
"$bin" merge --since 1h </dev/null >/dev/null 2>&1
check "merge refuses --since (a report has no events to filter)" [ $? = 2 ]

TRACEHOUND_SPLIT_MIN=1 "$bin" -j 4 -f json --since 2024-05-01T10:30 --fail-on never \
	"$tmp/app.log" >"$tmp/j4.json" 2>/dev/null
"$bin" -j 1 -f json --since 2024-05-01T10:30 --fail-on never "$tmp/app.log" \
	>"$tmp/j1.json" 2>/dev/null
check "the window gives the same report with threads" cmp -s "$tmp/j1.json" "$tmp/j4.json"

# ---- the timeline -------------------------------------------------------

"$bin" --fail-on never "$tmp/app.log" >"$tmp/text"
check "the text table has a timeline column" grep -q 'TIMELINE$' "$tmp/text"
check "the spike is the full block in fetch_user's row" \
	grep -q '^ *32  error  *fetch_user .*█' "$tmp/text"
check "each timed group has a timeline line over the report's span" \
	[ "$(grep -c '^  timeline    ▕.*▏ 2024-05-01 10:00:00 to 10:58:01, ' "$tmp/text")" = 3 ]
check "a group without times has no timeline" \
	python3 -c 'import sys; t=open(sys.argv[1]).read(); b=t.split("\nuntimed_job")[1]; sys.exit("timeline" in b)' "$tmp/text"

"$bin" -f json --fail-on never "$tmp/app.log" >"$tmp/whole.json"
check "the JSON report has a compact timeline per timed group" \
	python3 -c '
import json,sys
g={x["key"]["coroutine"]: x for x in json.load(open(sys.argv[1]))["groups"]}
t=g["poll_forever"]["timeline"]
sys.exit(not (t == {"start": "2024-05-01T10:02:01", "bucket_seconds": 1, "counts": [1, 1, 1]}
	and sum(g["fetch_user"]["timeline"]["counts"]) == 32 and "timeline" not in g["untimed_job"]))' "$tmp/whole.json"

# Cut the log at event boundaries in three, scan each, merge in two orders.
head -n 60 "$tmp/app.log" >"$tmp/p1.log"
sed -n '61,150p' "$tmp/app.log" >"$tmp/p2.log"
tail -n +151 "$tmp/app.log" >"$tmp/p3.log"
for p in 1 2 3; do
	"$bin" -f json --fail-on never "$tmp/p$p.log" >"$tmp/p$p.json"
done
"$bin" merge -f json "$tmp/p1.json" "$tmp/p2.json" "$tmp/p3.json" >"$tmp/m123.json"
"$bin" merge -f json "$tmp/p3.json" "$tmp/p1.json" >"$tmp/m31.json"
"$bin" merge -f json "$tmp/p2.json" "$tmp/m31.json" >"$tmp/m2_31.json"
timelines() {
	python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
print(json.dumps({x["key"]["coroutine"]: x.get("timeline") for x in d["groups"]}, sort_keys=True))' "$1"
}
check "merged split inputs give the timelines of the whole" \
	[ "$(timelines "$tmp/m123.json")" = "$(timelines "$tmp/whole.json")" ]
check "in any order and grouping of merges" \
	[ "$(timelines "$tmp/m2_31.json")" = "$(timelines "$tmp/whole.json")" ]
check "a merged report's text shows the timelines" \
	grep -q '^  timeline    ▕' <("$bin" merge "$tmp/m123.json")

# ---- --top, --examples ----------------------------------------------------

"$bin" --top 1 --fail-on never "$tmp/app.log" >"$tmp/top"
check "--top 1 shows one row and says how many more" \
	grep -q '^… and 3 more groups (--top 1)$' "$tmp/top"
check "--top 1 shows one detail block" [ "$(grep -c '^  rules ' "$tmp/top")" = 1 ]
"$bin" --top 1 -f json --fail-on never "$tmp/app.log" >"$tmp/top.json"
check "--top leaves the JSON report whole" cmp -s "$tmp/top.json" "$tmp/whole.json"
"$bin" --examples 0 --fail-on never "$tmp/app.log" >"$tmp/ex0"
check "--examples 0 hides the examples" \
	[ "$(grep -c 'Task exception was never retrieved' "$tmp/ex0")" = 0 ]
"$bin" --examples 2 --fail-on never "$tmp/app.log" >"$tmp/ex2"
check "--examples 2 shows two lines and counts the rest" \
	[ "$(grep -c '^    … 4 more lines$' "$tmp/ex2")" = 4 ]
for bad in 0 -1 x ''; do
	"$bin" --top "$bad" "$tmp/app.log" >/dev/null 2>&1
	check "--top '$bad' is refused" [ $? = 2 ]
done

# ---- markdown -------------------------------------------------------------

"$bin" -f markdown --examples 3 --fail-on never "$tmp/app.log" >"$tmp/md"
check "markdown starts with a heading and the summary" \
	[ "$(head -n 3 "$tmp/md")" = "# tracehound report

**37 events** in 4 groups, 1 input, 222 lines; 2024-05-01 10:00:00 to 10:58:01." ]
check "markdown has a table of groups" \
	grep -q '^| 32 | error | fetch\\_user | TimeoutError×20, ConnectionError×12 | 2024-05-01 10:00:00 | 2024-05-01 10:55:00 | `.*█.*` |$' "$tmp/md"
check "markdown has a section and a fenced example per group" \
	[ "$(grep -c '^## ' "$tmp/md")" = 4 -a "$(grep -c '^```text$' "$tmp/md")" = 4 ]
"$bin" merge -f markdown --top 2 "$tmp/m123.json" >"$tmp/mmd"
check "merge --format markdown, bounded by --top" \
	grep -q '^_… and 2 more groups (--top 2)._$' "$tmp/mmd"
"$bin" -f markdown --since 2024-05-01T11:00 --fail-on never "$tmp/app.log" >"$tmp/none.md" 2>/dev/null
check "markdown of nothing found is still a report" \
	grep -q '^\*\*0 events\*\* in 0 groups' "$tmp/none.md"

# ---- wide names line up ------------------------------------------------------

{
	ev "2024-05-01 10:00:00,000" "$(printf '\xe6\x95\xb0\xe6\x8d\xae\xe5\xba\x93')" KeyError
	ev "2024-05-01 10:00:01,000" "$(printf '\xf0\x9f\x90\x8d\xf0\x9f\x90\x8d')" KeyError
	ev "2024-05-01 10:00:02,000" plain_ascii_name KeyError
} >"$tmp/wide.log"
LANG=C LC_ALL=C "$bin" --fail-on never "$tmp/wide.log" >"$tmp/wide.txt"
# the terminal column where EXCEPTIONS starts, in the title and each row
check "CJK and emoji coroutines line up in the table, whatever the locale" \
	python3 -c '
import sys, unicodedata
def cols(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
t = next(i for i, l in enumerate(lines) if l.startswith("COUNT"))
at = cols(lines[t][:lines[t].index("EXCEPTION")])
rows = lines[t + 1:t + 4]
sys.exit(not all(cols(r[:r.index("KeyError")]) == at for r in rows))
' "$tmp/wide.txt"

tap_end
