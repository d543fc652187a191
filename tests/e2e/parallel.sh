#!/usr/bin/env bash
# parallel.sh - a scan with several threads (-j) reports exactly what a
# serial scan reports: files cut into ranges (TRACEHOUND_SPLIT_MIN makes
# even small files be cut) and several inputs side by side. Prints TAP.
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
root=${TH_SOURCE_ROOT:?TH_SOURCE_ROOT must name the source tree}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

echo "TAP version 13"
cd "$root"
cat sample-logs/py3.*/*.log sample-logs/shapes/*.log >"$tmp/all.log"

"$bin" -j 1 --format json --fail-on never "$tmp/all.log" >"$tmp/serial.json"
for j in 2 3 8; do
	TRACEHOUND_SPLIT_MIN=1 "$bin" -j "$j" --format json --fail-on never \
		"$tmp/all.log" >"$tmp/cut$j.json" 2>"$tmp/cut$j.err"
	# the comparison below means something only if the file was cut
	# up to six ranges a thread (TH_RANGES_PER_JOB; two short ones may
	# end at the same record), scanned as one chain unless another
	# thread, done with its own, takes the last ones over
	ranges=$(sed -n 's/.*all.log: cut into \([0-9]*\) ranges.*/\1/p' "$tmp/cut$j.err")
	if [ "${ranges:-0}" -gt "$j" ] && [ "$ranges" -le $((j * 6)) ]; then
		ok "the file is cut into $ranges ranges for $j threads"
	else
		not_ok "the file is cut into more than $j ranges, at most $((j * 6))"
		sed 's/^/#   /' "$tmp/cut$j.err"
	fi
	if cmp -s "$tmp/serial.json" "$tmp/cut$j.json"; then
		ok "a file cut for $j threads gives the serial report"
	else
		not_ok "a file cut for $j threads gives the serial report"
		diff "$tmp/serial.json" "$tmp/cut$j.json" | head -20 | sed 's/^/#   /'
	fi
done

for g in rule,coroutine exception input; do
	"$bin" -j 1 -g "$g" --format json --fail-on never "$tmp/all.log" >"$tmp/s.json"
	TRACEHOUND_SPLIT_MIN=1 "$bin" -j 4 -g "$g" --format json --fail-on never \
		"$tmp/all.log" >"$tmp/p.json" 2>/dev/null
	cmp -s "$tmp/s.json" "$tmp/p.json" && ok "grouped by $g, cut and serial agree" ||
		not_ok "grouped by $g, cut and serial agree"
done

"$bin" -j 1 --format json --fail-on never sample-logs >"$tmp/dir1.json"
"$bin" -j 4 --format json --fail-on never sample-logs >"$tmp/dir4.json"
cmp -s "$tmp/dir1.json" "$tmp/dir4.json" && ok "inputs scanned side by side give the serial report" ||
	not_ok "inputs scanned side by side give the serial report"

"$bin" -j 1 --format ndjson --fail-on never sample-logs >"$tmp/nd1"
"$bin" -j 4 --format ndjson --fail-on never sample-logs >"$tmp/nd4"
cmp -s "$tmp/nd1" "$tmp/nd4" && ok "ndjson keeps the serial order with -j" ||
	not_ok "ndjson keeps the serial order with -j"


# Writers with and without framing in one file: a line without framing
# must not take its writer from lines the fast path skips or another
# range read, so cut scans, serial scans and rules test agree.
{
	for i in $(seq 300); do
		echo "Nov 10 00:00:0$((i % 10)) host app[$((i % 3))]: starting $i"
		echo "plain line $i"
		echo "2024-05-01 10:00:00,000 ERROR Task exception was never retrieved"
		echo "Nov 10 00:00:01 host app[1]: future: <Task finished name='Task-$i' coro=<fetch() done, defined at a.py:1> exception=ValueError()>"
		cat sample-logs/shapes/syslog.log | sed -n "$((i % 50 + 1)),$((i % 50 + 12))p"
	done
} >"$tmp/mixed.log"
"$bin" -j 1 --format json --fail-on never "$tmp/mixed.log" >"$tmp/m1.json"
same=yes
for j in 2 5 16; do
	TRACEHOUND_SPLIT_MIN=1 "$bin" -j "$j" --format json --fail-on never \
		"$tmp/mixed.log" >"$tmp/m$j.json" 2>"$tmp/m$j.err"
	cmp -s "$tmp/m1.json" "$tmp/m$j.json" || same=no
	grep -q "mixed.log: cut into" "$tmp/m$j.err" || same="no (not cut)"
done
[ "$same" = yes ] && ok "mixed writers: cut scans give the serial report" ||
	not_ok "mixed writers: cut scans give the serial report"
# Ranges are merged in order as they end; an input cut unsafely
# (mixed.log) is scanned again in one piece from the range before that
# cut, and the inputs after it must still come out in order.
cp "$tmp/all.log" "$tmp/after.log"
"$bin" -j 1 -g input,coroutine --format json --fail-on never \
	"$tmp/all.log" "$tmp/mixed.log" "$tmp/after.log" >"$tmp/x1.json"
same=yes
for j in 2 3 7; do
	TRACEHOUND_SPLIT_MIN=1 "$bin" -j "$j" -g input,coroutine --format json \
		--fail-on never "$tmp/all.log" "$tmp/mixed.log" "$tmp/after.log" \
		>"$tmp/x$j.json" 2>"$tmp/x$j.err"
	cmp -s "$tmp/x1.json" "$tmp/x$j.json" || same=no
	grep -q "mixed.log: scanned again" "$tmp/x$j.err" ||
		same="no (mixed.log not scanned again)"
done
[ "$same" = yes ] && ok "three inputs, the middle one cut unsafely: the serial report" ||
	not_ok "three inputs, the middle one cut unsafely: the serial report: $same"

# 20,000 groups, and the events of one of them after all the others:
# every group is kept, and the report is the same scanned serially in
# memory, or cut (-j 2) and serially with a budget so small that groups
# spill to temporary files and are merged at the end (README.md, "Memory
# and temporary files"); nothing is left in TMPDIR.
python3 - "$tmp" <<'PY'
import sys
def ev(n):
    return ("2024-05-01 10:00:00,000 ERROR Task exception was never retrieved\n"
            "future: <Task finished name='%s' coro=<fetch() done, defined at a.py:1>"
            " exception=ValueError()>\nplain line\n" % n)
open(sys.argv[1] + "/full-a.log", "w").write("".join(ev("Task-a%d" % i) for i in range(10000)))
open(sys.argv[1] + "/full-b.log", "w").write(
    "".join(ev("Task-b%d" % i) for i in range(10000)) + ev("Task-a1") * 5)
PY
mkdir "$tmp/spill"
"$bin" -j 1 -g task --format json --fail-on never "$tmp/full-a.log" \
	"$tmp/full-b.log" >"$tmp/full1.json"
TMPDIR="$tmp/spill" TRACEHOUND_SPLIT_MIN=1 "$bin" -j 2 -S 64K -g task \
	--format json --fail-on never "$tmp/full-a.log" "$tmp/full-b.log" \
	>"$tmp/full2.json" 2>/dev/null
TMPDIR="$tmp/spill" "$bin" -j 1 --buffer-size=64K -g task --format json \
	--fail-on never "$tmp/full-a.log" "$tmp/full-b.log" >"$tmp/full3.json"
groups=$(grep -c '"task": "Task-' "$tmp/full1.json")
[ "$groups" = 20000 ] && ok "20,000 groups: none dropped" ||
	not_ok "20,000 groups: none dropped ($groups)"
cmp -s "$tmp/full1.json" "$tmp/full2.json" &&
	ok "groups spilled in a cut scan: the report of a serial one in memory" ||
	not_ok "groups spilled in a cut scan: the report of a serial one in memory"
cmp -s "$tmp/full1.json" "$tmp/full3.json" &&
	ok "groups spilled in a serial scan: the report in memory" ||
	not_ok "groups spilled in a serial scan: the report in memory"
[ -z "$(ls -A "$tmp/spill")" ] && ok "spilled runs leave no file behind" ||
	not_ok "spilled runs leave no file behind: $(ls -A "$tmp/spill")"

# A group with more than 20 exception types keeps the first 20 in its
# list (README.md, "Memory and temporary files"): with a long first input
# and short ones after it, the short ones end first and wait, spilled;
# they must still be added after the long one, so that -j N gives -j 1's
# list, on every run.
python3 - "$tmp" <<'PY'
import sys
def ev(exc):
    return ("2024-05-01 10:00:00,000 ERROR Task exception was never retrieved\n"
            "future: <Task finished name='Task-1' coro=<fetch() done, defined at a.py:1>"
            " exception=%s()>\n" % exc)
open(sys.argv[1] + "/types-0.log", "w").write(
    "".join(ev("Early%dError" % (i % 10)) for i in range(60000)))
for f in range(1, 31):
    open(sys.argv[1] + "/types-%d.log" % f, "w").write(ev("Late%dError" % f))
PY
types=$(for f in $(seq 0 30); do echo "$tmp/types-$f.log"; done)
# shellcheck disable=SC2086
"$bin" -j 1 --format json --fail-on never $types >"$tmp/types1.json"
same=0
for run in 1 2 3 4 5; do
	# shellcheck disable=SC2086
	"$bin" -j 4 --format json --fail-on never $types >"$tmp/types4.json"
	cmp -s "$tmp/types1.json" "$tmp/types4.json" && same=$((same + 1))
done
[ "$same" = 5 ] &&
	ok "more than 20 exception types: -j 4 lists those of -j 1, 5 runs of 5" ||
	not_ok "more than 20 exception types: -j 4 lists those of -j 1, $same runs of 5"
grep -q '"Early0Error"' "$tmp/types1.json" &&
	ok "the first input's exception types make the list" ||
	not_ok "the first input's exception types make the list"

nd=$("$bin" --format ndjson --fail-on never "$tmp/mixed.log" | grep -c '"coroutine":"fetch"')
rt=$("$bin" rules test "$tmp/mixed.log" | grep -c 'end    -> coroutine=fetch ')
[ "$nd" = "$rt" ] && ok "mixed writers: rules test and the scan agree ($nd)" ||
	not_ok "mixed writers: rules test and the scan agree ($nd vs $rt)"

# Issue 13: Docker json-file entries without "\n" in their log text are
# pieces of one line, joined with the next entry of their stream or, at
# the end of the input, taken as they are. A piece waiting at a cut (its
# rest in a later range, or none) or at the end must give the serial
# report: the rest of the file is scanned again in one piece rather than
# end the piece early.
docker() { # STREAM TEXT (JSON-escaped)
	printf '{"log":"%s","stream":"%s","time":"2024-05-01T10:00:09.1Z"}\n' "$2" "$1"
}
{
	cat sample-logs/py3.12/*.log
	docker stderr 'Task exception was never ret'
	cat sample-logs/py3.12/*.log
	docker stderr 'rieved\n'
	printf 'Traceback (most recent call last):\n  File "/a.py", line 3, in joined\nKeyError: 1\n'
	cat sample-logs/py3.12/*.log
	docker stdout "Executing <Task pending name='Task-77' coro=<stalls() running at /a.py:9>> took 0.5 seconds"
	cat sample-logs/py3.12/*.log
	docker stderr 'Task exception was never retrieved'
} >"$tmp/pieces.log"
"$bin" -j 1 --format json --fail-on never "$tmp/pieces.log" >"$tmp/pieces1.json"
for j in 2 3 8; do
	TRACEHOUND_SPLIT_MIN=1 "$bin" -j "$j" --format json --fail-on never \
		"$tmp/pieces.log" >"$tmp/pieces$j.json" 2>"$tmp/pieces$j.err"
	grep -q "pieces.log: cut into" "$tmp/pieces$j.err" &&
		cmp -s "$tmp/pieces1.json" "$tmp/pieces$j.json" &&
		ok "Docker pieces waiting at cuts and at the end: -j $j gives the serial report" ||
		not_ok "Docker pieces waiting at cuts and at the end: -j $j gives the serial report" \
			"$(diff "$tmp/pieces1.json" "$tmp/pieces$j.json" | head -5)"
done

# Container runtime files (CRI, Docker json-file) are cut too, before a
# line that opens a log record in its stream, when no other stream has an
# event or a piece of a line open there (README.md, the option -j). Two
# streams interleaved in chunks, each chunk of sample logs ending with a
# record of its own, long lines split into pieces: cut scans give the
# serial report and are not scanned again. Interleaved line by line, the
# cuts fall inside the other stream's events: scanned again in one piece
# from the range before the first such cut, with the serial report again.
python3 - "$tmp" sample-logs/py3.*/*.log sample-logs/next/py3.1*/*.log <<'PY'
import json, random, sys
tmp, logs = sys.argv[1], sys.argv[2:]
rng = random.Random(7)
lines = [l.rstrip("\n") for f in logs for l in open(f, errors="replace")]
def cri(stream, text):
    out = []
    while len(text) > 60 and rng.random() < 0.3:
        out.append("2024-05-01T10:00:00.0Z %s P %s" % (stream, text[:40]))
        text = text[40:]
    return out + ["2024-05-01T10:00:00.0Z %s F %s" % (stream, text)]
def docker(stream, text):
    pieces = []
    while len(text) > 60 and rng.random() < 0.3:
        pieces.append(text[:40])
        text = text[40:]
    pieces.append(text + "\n")
    return [json.dumps({"log": p, "stream": stream,
                        "time": "2024-05-01T10:00:00.0Z"},
                       separators=(",", ":")) for p in pieces]  # as dockerd
for name, wrap in (("cri", cri), ("docker", docker)):
    chunked, mixed, i = [], [], 0
    while i < len(lines):
        stream = rng.choice(("stdout", "stderr"))
        n = rng.randint(20, 400)
        for l in lines[i:i + n] + ["2024-05-01 10:00:00,000 INFO chunk %d" % i]:
            chunked += wrap(stream, l)
        i += n
    for k, l in enumerate(lines):
        mixed += wrap(("stdout", "stderr")[rng.random() < 0.5], l)
    open("%s/%s-chunked.log" % (tmp, name), "w").write("\n".join(chunked) + "\n")
    open("%s/%s-mixed.log" % (tmp, name), "w").write("\n".join(mixed) + "\n")
PY
for f in cri-chunked docker-chunked cri-mixed docker-mixed; do
	"$bin" -j 1 --format json --fail-on never "$tmp/$f.log" >"$tmp/$f.1.json"
	grep -q '"events": [1-9]' "$tmp/$f.1.json" || not_ok "$f: no events at all"
	for j in 2 3 8; do
		TRACEHOUND_SPLIT_MIN=1 "$bin" -j "$j" --format json --fail-on never \
			"$tmp/$f.log" >"$tmp/$f.$j.json" 2>"$tmp/$f.$j.err"
		case $f in
		*-chunked) want="cut into" ;;
		*) want="scanned again" ;;
		esac
		if ! grep -q "$f.log: cut into" "$tmp/$f.$j.err" ||
			! grep -q "$f.log: $want" "$tmp/$f.$j.err" ||
			{ [ "$want" = "cut into" ] && grep -q "scanned again" "$tmp/$f.$j.err"; }; then
			not_ok "$f: cut for -j $j ($want)" "$(cat "$tmp/$f.$j.err")"
		elif cmp -s "$tmp/$f.1.json" "$tmp/$f.$j.json"; then
			ok "$f: cut for -j $j ($want), the serial report"
		else
			not_ok "$f: cut for -j $j, the serial report" \
				"$(diff "$tmp/$f.1.json" "$tmp/$f.$j.json" | head -5)"
		fi
	done
done

tap_end
