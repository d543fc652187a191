#!/usr/bin/env bash
# cli.sh - the command line as users meet it: exit statuses, formats,
# inputs (files, directories, stdin, gzip, zstd) and bad-rule messages.
# Prints TAP. Needs TH_BIN (the built binary); jq is not required.
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

# check NAME WANT_STATUS CMD...: runs CMD, keeps stdout/stderr in $out/$err
check() {
	local name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	if [ "$got" -eq "$want" ]; then ok "$name"; else not_ok "$name" "exit $got, want $want" "stderr: $err"; fi
}
contains() { # NAME HAYSTACK NEEDLE
	case $2 in *"$3"*) ok "$1" ;; *) not_ok "$1" "missing: $3" "in: ${2:0:400}" ;; esac
}

cat >"$tmp/error.log" <<'LOG'
2024-05-01 10:00:00,000 INFO [app] starting
2024-05-01 10:00:01,123 ERROR [asyncio] Task exception was never retrieved
future: <Task finished name='Task-2' coro=<fetch_user() done, defined at app.py:41> exception=ConnectionError('down')>
Traceback (most recent call last):
  File "app.py", line 43, in fetch_user
    raise ConnectionError("down")
ConnectionError: down
2024-05-01 10:00:02,000 INFO [app] done
LOG
cat >"$tmp/warning.log" <<'LOG'
app.py:9: RuntimeWarning: coroutine 'refresh' was never awaited
  refresh()
LOG
printf 'INFO all quiet\nINFO still quiet\n' >"$tmp/clean.log"

echo "TAP version 13"

check "a clean log exits 0" 0 "$bin" "$tmp/clean.log"
check "an error event exits 1" 1 "$bin" "$tmp/error.log"
check "a warning fails by default" 1 "$bin" "$tmp/warning.log"
check "--fail-on error lets a warning pass" 0 "$bin" --fail-on error "$tmp/warning.log"
check "--fail-on never always passes" 0 "$bin" --fail-on never "$tmp/error.log"
check "--fail-on info fails on anything" 1 "$bin" --fail-on=info "$tmp/warning.log"

check "json report" 1 "$bin" --format json "$tmp/error.log"
contains "json has the schema" "$out" '"schema": "tracehound.report/1"'
contains "json groups by coroutine" "$out" '"coroutine": "fetch_user"'
contains "json takes the time from the logging prefix" "$out" '"time": "2024-05-01T10:00:01.123"'

check "ndjson" 1 "$bin" --format ndjson "$tmp/error.log" "$tmp/warning.log"
lines=$(printf '%s\n' "$out" | grep -c '^{')
[ "$lines" -eq 2 ] && ok "ndjson prints one line per event" || not_ok "ndjson prints one line per event" "got $lines lines"

check "stdin is read when no path is given" 1 "$bin" --format json <"$tmp/error.log"
contains "stdin is named -" "$out" '"name": "-"'

gzip -c "$tmp/error.log" >"$tmp/error.log.gz"
check "gzip input is decompressed" 1 "$bin" --format json "$tmp/error.log.gz"
contains "gzip input finds the event" "$out" '"ConnectionError": 1'
gzip -c "$tmp/error.log" >"$tmp/renamed.txt"
check "gzip is recognised by content, not name" 1 "$bin" --format json - <"$tmp/renamed.txt"
contains "gzip on stdin finds the event" "$out" '"ConnectionError": 1'
if command -v zstd >/dev/null; then
	zstd -q -c "$tmp/error.log" >"$tmp/error.log.zst"
	check "zstd input is decompressed" 1 "$bin" --format json "$tmp/error.log.zst"
	contains "zstd input finds the event" "$out" '"ConnectionError": 1'
fi
head -c 100 "$tmp/error.log.gz" >"$tmp/cut.gz"
check "a corrupt input is an error, the others are still scanned" 2 "$bin" --format json "$tmp/cut.gz" "$tmp/error.log"
contains "the corrupt input is named on stderr" "$err" "cut.gz"
contains "the good input is still reported" "$out" '"ConnectionError": 1'
check "a missing input is an error" 2 "$bin" "$tmp/nope.log"
contains "the missing input is named" "$err" "nope.log"

mkdir -p "$tmp/dir/sub" && cp "$tmp/error.log" "$tmp/dir/sub/a.log" && cp "$tmp/warning.log" "$tmp/dir/b.log"
check "directories are searched recursively" 1 "$bin" --format json "$tmp/dir"
contains "files under a directory are scanned" "$out" 'sub/a.log'

check "group by exception" 1 "$bin" --format json --group-by exception "$tmp/error.log"
contains "key holds the group-by field" "$out" '"exception": "ConnectionError"'
check "group by two keys" 1 "$bin" --format json -g rule,coroutine "$tmp/error.log"
contains "both keys are in the key" "$out" '"rule": "asyncio.exception-never-retrieved"'

check "text report" 1 "$bin" --color never "$tmp/error.log"
contains "text names the coroutine" "$out" "fetch_user"
case $out in *$'\033['*) not_ok "no color when not asked for" ;; *) ok "no color when not asked for" ;; esac
check "text report in color" 1 "$bin" --color=always "$tmp/error.log"
contains "color when asked for" "$out" $'\033['

# the text table fits the terminal; COLUMNS stands for its width, also on a
# pipe; without it a pipe gets the whole table as it always was
samples=${TH_SOURCE_ROOT:?}/sample-logs/py3.12
# table_lines FILE: the table of a text report, color codes left out
table_lines() { sed -n '3,/^$/p' "$1" | sed $'s/\033\\[[0-9;]*m//g'; }
widest() { # the most code points on a line of stdin
	local LC_ALL=C.UTF-8 line max=0
	while IFS= read -r line; do [ "${#line}" -gt "$max" ] && max=${#line}; done
	echo "$max"
}
for w in 60 80 120; do
	for color in never always; do
		COLUMNS=$w "$bin" --color=$color "$samples" >"$tmp/w.txt"
		got=$(table_lines "$tmp/w.txt" | widest)
		[ "$got" -gt 40 ] && [ "$got" -le "$w" ] && ok "COLUMNS=$w --color=$color: the table fits ($got)" ||
			not_ok "COLUMNS=$w --color=$color: the table fits" "widest table line: $got code points" "$(table_lines "$tmp/w.txt" | head -3)"
	done
	if [ "$w" -ge 80 ]; then # narrower, the line can only come close
		got=$(grep '^  timeline    ' "$tmp/w.txt" | widest)
		[ "$got" -le "$w" ] && ok "COLUMNS=$w: detail timelines fit ($got)" || not_ok "COLUMNS=$w: detail timelines fit" "widest: $got"
	fi
	contains "COLUMNS=$w keeps count, severity, coroutine, exceptions" "$(sed -n 3p "$tmp/w.txt")" "COUNT  SEVERITY  COROUTINE            EXCEPTIONS"
done
COLUMNS=80 "$bin" "$samples" >"$tmp/w80.txt"
contains "COLUMNS=80 keeps the largest group's row" "$(cat "$tmp/w80.txt")" "  120  error     fetch_user           ConnectionError"
env -u COLUMNS "$bin" "$samples" >"$tmp/piped.txt"
COLUMNS=100000 "$bin" "$samples" >"$tmp/wide.txt"
cmp -s "$tmp/piped.txt" "$tmp/wide.txt" && ok "a pipe without COLUMNS gets the whole table" || not_ok "a pipe without COLUMNS gets the whole table" "$(diff "$tmp/piped.txt" "$tmp/wide.txt" | head -5)"
[ "$(sed -n 3p "$tmp/piped.txt")" = "COUNT  SEVERITY  COROUTINE            EXCEPTIONS                            RULES                              FIRST                                       LAST                                        TIMELINE" ] &&
	ok "the whole table has every column" || not_ok "the whole table has every column" "$(sed -n 3p "$tmp/piped.txt")"
# the time of the largest group's first event, as its log line has it
# (regenerated sample logs have new times)
first76=$(sed -n '76s/^\(.\{19\}\).*/\1/p' "$samples/many_tasks.log")
contains "the whole table keeps the times of first and last" "$(cat "$tmp/piped.txt")" "many_tasks.log:76 $first76"
for bad in 0 abc ""; do
	COLUMNS=$bad "$bin" "$samples" >"$tmp/bad.txt"
	cmp -s "$tmp/piped.txt" "$tmp/bad.txt" && ok "COLUMNS='$bad' is ignored" || not_ok "COLUMNS='$bad' is ignored"
done

check "unknown option" 2 "$bin" --frobnicate "$tmp/clean.log"
contains "unknown option is named" "$err" "--frobnicate"
check "bad format value" 2 "$bin" --format xml "$tmp/clean.log"
contains "bad format is named" "$err" "xml"
check "bad group-by key" 2 "$bin" --group-by colour "$tmp/clean.log"
check "a misspelt option" 2 "$bin" --grup-by=rule "$tmp/clean.log"
contains "the closest option is suggested" "$err" "(did you mean '--group-by'?)"
check "rules --help" 0 "$bin" rules --help
contains "rules --help names both subcommands" "$out" "tracehound rules test [OPTION]"
check "rules check --help" 0 "$bin" rules check --help
contains "rules check has a help of its own" "$out" "Usage: tracehound rules check"
check "a misspelt subcommand" 2 "$bin" rules chek
contains "the closest subcommand is suggested" "$err" "(did you mean 'rules check'?)"
if command -v script >/dev/null; then
	# a terminal on standard input (script gives one): a hint, not a wait
	check "bare tracehound at a terminal" 2 timeout 10 script -eqc "'$bin'" /dev/null
	contains "says there is no input" "$out" "no input: name log files"
	check "an explicit - still reads the terminal" 124 timeout 1 script -eqc "'$bin' -" /dev/null
else
	for c in "bare tracehound at a terminal" "says there is no input" "an explicit - still reads"; do
		n=$((n + 1))
		echo "ok $n - $c # SKIP script (bsdutils) is not installed"
	done
fi
if [ -w /dev/full ]; then
	for f in text json ndjson markdown; do
		check "a report that cannot be written ($f)" 2 sh -c "'$bin' -f $f '$tmp/error.log' >/dev/full"
		contains "and why is said ($f)" "$err" "error writing the report: No space left on device"
	done
else
	n=$((n + 1))
	echo "ok $n - a report that cannot be written # SKIP no /dev/full"
fi
check "--help" 0 "$bin" --help
contains "help lists --group-by" "$out" "--group-by"
check "--version" 0 "$bin" --version
contains "version" "$out" "tracehound 0.1.0"

# bad rule files: file:line:column, the line, a caret, exit 2, nothing read
printf 'rules:\n  - id: x.bad\n    start: "unclosed ("\n' >"$tmp/badre.yaml"
check "a regex that does not compile is refused" 2 "$bin" --rules "$tmp/badre.yaml" "$tmp/error.log"
contains "the position of the bad regex is given" "$err" "badre.yaml:3:"
contains "the offending line is shown" "$err" 'start: "unclosed ("'
contains "a caret points at it" "$err" "^"
[ -z "$out" ] && ok "nothing is scanned with bad rules" || not_ok "nothing is scanned with bad rules"
printf 'rules:\n  - id: x.bad\n    serverity: error\n    start: "x"\n' >"$tmp/badkey.yaml"
check "an unknown key is refused" 2 "$bin" --rules "$tmp/badkey.yaml" "$tmp/error.log"
contains "the unknown key is at its line and column" "$err" "badkey.yaml:3:5"
printf 'rules:\n  - id: x.a\n    start: "x"\n   bad: [\n' >"$tmp/syntax.yaml"
check "a YAML syntax error is refused" 2 "$bin" --rules "$tmp/syntax.yaml" "$tmp/error.log"
contains "the YAML error names the file" "$err" "syntax.yaml:"
printf 'rules:\n  - id: python.traceback\n    start: "x"\n' >"$tmp/dup.yaml"
check "a duplicate id is refused" 2 "$bin" --rules "$tmp/dup.yaml" "$tmp/error.log"
contains "the duplicate id is named" "$err" "python.traceback"
check "rules check accepts the default rules" 0 "$bin" rules check
check "rules check refuses a bad file" 2 "$bin" rules check "$tmp/badkey.yaml"
printf 'rules:\n  - id: asyncio.exception-never-retrieved\n    override: true\n    enabled: false\n' >"$tmp/off.yaml"
check "a default rule can be disabled" 1 "$bin" --format json --rules "$tmp/off.yaml" "$tmp/error.log"
case $out in *'"asyncio.exception-never-retrieved"'*) not_ok "a disabled rule finds nothing" ;; *) ok "a disabled rule finds nothing" ;; esac
contains "its traceback is then an ordinary traceback" "$out" '"python.traceback": 1'
check "--no-default-rules with no rules is refused" 2 "$bin" --no-default-rules "$tmp/error.log"

# a closed pipe ends quietly
for i in $(seq 200); do cat "$tmp/error.log"; done >"$tmp/many.log"
"$bin" --format ndjson "$tmp/many.log" 2>"$tmp/err" | head -n 1 >/dev/null
grep -q . "$tmp/err" && not_ok "a closed pipe ends quietly" "$(cat "$tmp/err")" || ok "a closed pipe ends quietly"


# rules test: line by line, which rule started, continued and ended each event
check "rules test finds the event" 0 "$bin" rules test "$tmp/error.log"
contains "rules test shows the start line and its rule" "$out" "     2 start  asyncio.exception-never-retrieved | 2024-05-01 10:00:01,123 ERROR [asyncio] Task exception was never retrieved"
contains "rules test shows the lines the event continues with" "$out" "     3 cont   | future: <Task finished"
contains "rules test shows the end and the fields taken" "$out" "     7 end    -> coroutine=fetch_user exception=ConnectionError message=down task=Task-2 defined_at=app.py:41 culprit=\"app.py:43 in fetch_user\" time=2024-05-01T10:00:01.123"
contains "rules test prints a summary" "$out" "summary: 8 lines read from 1 input, 1 event found, 0 dropped by ignore rules"
contains "rules test counts events per rule" "$out" "      1        0           0  asyncio.exception-never-retrieved"
case $out in *"INFO [app] starting"*) not_ok "rules test hides lines outside events" ;; *) ok "rules test hides lines outside events" ;; esac
check "rules test -v" 0 "$bin" rules test -v "$tmp/error.log"
contains "rules test -v shows lines outside events" "$out" "     1        | 2024-05-01 10:00:00,000 INFO [app] starting"
check "rules test exits 1 when no rule found anything" 1 "$bin" rules test "$tmp/clean.log"
contains "rules test still prints the summary" "$out" "0 events found"
printf 'ignore:\n  - id: no-conn\n    exception: "^ConnectionError$"\n' >"$tmp/ignore.yaml"
check "rules test with an ignore rule" 0 "$bin" rules test --rules "$tmp/ignore.yaml" "$tmp/error.log"
contains "rules test names the ignore rule that dropped an event" "$out" "     7 ignore -> dropped by no-conn: coroutine=fetch_user"
contains "rules test counts per ignore rule" "$out" "      1  no-conn"
check "rules test reads stdin" 0 "$bin" rules test <"$tmp/error.log"
contains "rules test names stdin -" "$out" "==> - <=="
check "rules test with an unreadable input" 2 "$bin" rules test "$tmp/nope.log" "$tmp/error.log"
contains "rules test names the unreadable input" "$err" "nope.log"
check "rules test refuses options of the scan" 2 "$bin" rules test --format json "$tmp/error.log"
contains "the refused option is named" "$err" "--format"
check "rules test refuses bad rules" 2 "$bin" rules test --rules "$tmp/badkey.yaml" "$tmp/error.log"
check "rules test --help" 0 "$bin" rules test --help
contains "rules test --help says what the exit status means" "$out" "Exit status (like grep)"
check "an unknown rules subcommand" 2 "$bin" rules frob
contains "the rules subcommands are named" "$err" "'rules test'"


# merge: reports add up; the order and grouping of merges do not matter
"$bin" -f json --fail-on never "$tmp/error.log" >"$tmp/r1.json"
"$bin" -f json --fail-on never "$tmp/warning.log" >"$tmp/r2.json"
"$bin" -f json --fail-on never "$tmp/error.log" "$tmp/warning.log" >"$tmp/r12.json"
check "merge of two reports" 0 "$bin" merge -f json --fail-on never "$tmp/r2.json" "$tmp/r1.json"
# same_report A B: equal but for the input list and the tool, with first
# and last compared by time and line (each part counts its lines from 1)
same_report() {
	python3 - "$1" "$2" <<'PY'
import json, sys
def norm(path):
    r = json.load(open(path))
    r.pop("tool", None)
    r["scanned"].pop("inputs")
    for g in r["groups"]:
        for w in ("first", "last"):
            g[w].pop("input")
    return r
a, b = norm(sys.argv[1]), norm(sys.argv[2])
if a != b:
    print(json.dumps(a, indent=1, sort_keys=True)[:3000])
    print(json.dumps(b, indent=1, sort_keys=True)[:3000])
    sys.exit(1)
PY
}
printf '%s\n' "$out" >"$tmp/m12.json"
same_report "$tmp/m12.json" "$tmp/r12.json" && ok "merging two reports gives the report of both inputs" || not_ok "merging two reports gives the report of both inputs"
contains "the merged report lists both inputs" "$out" 'warning.log'
check "merge prints text by default" 1 "$bin" merge "$tmp/r1.json" "$tmp/r2.json"
contains "the merged text report names the coroutines" "$out" "fetch_user"
contains "the merged text report counts both inputs" "$out" "2 events in 2 groups, 2 inputs"
check "merge reads several reports one after another from stdin" 0 sh -c "cat '$tmp/r1.json' '$tmp/r2.json' | '$bin' merge -f json --fail-on never"
printf '%s\n' "$out" >"$tmp/m12s.json"
same_report "$tmp/m12s.json" "$tmp/r12.json" && ok "reports read from stdin merge alike" || not_ok "reports read from stdin merge alike"
gzip -c "$tmp/r1.json" >"$tmp/r1.json.gz"
check "merge reads compressed reports" 1 "$bin" merge -f json "$tmp/r1.json.gz"
contains "the compressed report is read" "$out" '"fetch_user"'
check "merge exits 1 when a merged group fails --fail-on" 1 "$bin" merge "$tmp/r1.json"
check "merge --fail-on never" 0 "$bin" merge --fail-on never "$tmp/r1.json"

# --label: standard input named after the host, the report labelled, and
# merge keeps the labels, per report and per group (README "Fleet reports")
check "--label names standard input" 1 "$bin" -f json --label web-1 <"$tmp/error.log"
flat=$(tr -d ' \n' <<<"$out")
contains "the labelled input is listed by its label" "$flat" '"inputs":[{"name":"web-1","lines":8'
contains "the first event's input is the label" "$flat" '"first":{"input":"web-1","line":2'
contains "the report's labels list it" "$flat" '},"labels":["web-1"],"scanned"'
contains "each group lists its labels" "$flat" '"labels":["web-1"],"labels_capped":false'
printf '%s\n' "$out" >"$tmp/web1.json"
check "--label names the ndjson events' input" 1 "$bin" -f ndjson --label web-1 <"$tmp/error.log"
contains "an ndjson event's input is the label" "$out" '"input":"web-1","line":2'
check "--label leaves named files their names" 1 "$bin" -f json --label web-1 "$tmp/error.log"
contains "a file keeps its name" "$out" "\"name\": \"$tmp/error.log\""
check "an empty --label is refused" 2 "$bin" --label "" "$tmp/error.log"
contains "the empty label is named" "$err" "--label: the name is empty"
"$bin" -f json --fail-on never --label db-1 <"$tmp/error.log" >"$tmp/db1.json"
"$bin" -f json --fail-on never --label web-2 <"$tmp/warning.log" >"$tmp/web2.json"
check "merge of labelled reports" 0 "$bin" merge -f json --fail-on never "$tmp/web1.json" "$tmp/web2.json" "$tmp/db1.json"
flat=$(tr -d ' \n' <<<"$out")
contains "the fleet report lists every label once, sorted" "$flat" '"labels":["db-1","web-1","web-2"],"scanned"'
contains "a group names the hosts it came from" "$flat" '"key":{"coroutine":"fetch_user"},"count":2'
contains "the fetch_user group came from db-1 and web-1" "$flat" '"labels":["db-1","web-1"],"labels_capped":false'
contains "the refresh group came from web-2" "$flat" '"labels":["web-2"],"labels_capped":false'
printf '%s\n' "$out" >"$tmp/fleet.json"
check "a fleet report merges again" 0 "$bin" merge -f json --fail-on never "$tmp/fleet.json" "$tmp/web1.json"
flat=$(tr -d ' \n' <<<"$out")
contains "merging again keeps the labels" "$flat" '"labels":["db-1","web-1","web-2"],"scanned"'
check "the text fleet report shows a group's labels" 1 "$bin" merge "$tmp/web1.json" "$tmp/db1.json"
contains "labels in the group's block" "$out" "labels      db-1, web-1"

# issue 13: a small gzip report of huge strings (60 groups, each example
# 4 MiB: 240 MiB of JSON in 250 KiB) was held whole and parsed whole,
# twice its size in memory; strings are now cut as they are read, past
# what any report holds, so the merge takes a few MiB and says the same
python3 - "$tmp/r1.json" "$tmp/huge.json.gz" <<'PY'
import copy, gzip, json, sys
r = json.load(open(sys.argv[1]))
one = r["groups"][0]
r["groups"] = []
for i in range(60):
    g = copy.deepcopy(one)
    g["key"]["coroutine"] = "huge_%02d" % i
    g["example"] = "\u00e9" * 8 + "x" * (4 << 20)
    r["groups"].append(g)
r["events"] = 60 * one["count"]
with gzip.open(sys.argv[2], "wt", compresslevel=1) as f:
    json.dump(r, f)
PY
# peak RSS in KiB of merging it (ASan's quarantine would hold what is
# freed: kept small so that the figure is the merge's); one merge gives
# both the figure and the report checked below (a merge is 2.7 s of CPU
# in the -O0 build, 6 s under ASan: it was run twice)
rss=$(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4 \
	python3 -c 'import resource, subprocess, sys
with open(sys.argv[1], "wb") as out:
    r = subprocess.run(sys.argv[2:], stdout=out)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)' \
	"$tmp/huge.out" "$bin" merge -f json --fail-on never "$tmp/huge.json.gz")
if [ "${rss#* }" = 0 ] && [ "${rss% *}" -lt 204800 ]; then
	ok "merge of 240 MiB of strings in a gzip report takes less than 200 MiB"
else
	not_ok "merge of 240 MiB of strings in a gzip report takes less than 200 MiB" \
		"peak RSS KiB, exit status: $rss"
fi
python3 - "$tmp/huge.out" <<'PY' && ok "its examples are cut to 16 KiB, as a scan cuts them" || not_ok "its examples are cut to 16 KiB, as a scan cuts them"
import json, sys
gs = json.load(open(sys.argv[1]))["groups"]
assert len(gs) == 60, len(gs)
for g in gs:
    ex = g["example"].encode()
    assert ex == ("\u00e9" * 8).encode() + b"x" * (16384 - 16), len(ex)
PY

# property: a log split at record boundaries, each part scanned, the parts'
# reports merged in random orders and groupings = the report of the whole
# log (first/last compared as lines of the whole: parts are named in
# order, so input order is position order)
python3 - "$bin" "$tmp/split" "${TH_SOURCE_ROOT:-.}"/sample-logs/py3.12/*.log <<'PY' >"$tmp/prop" 2>&1
import json, os, random, subprocess, sys
bin, d, logs = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(d, exist_ok=True)
def run(*args, stdin=None):
    return subprocess.run([bin, *args], input=stdin, capture_output=True,
                          check=True).stdout
data = b""
for p in logs:
    t = open(p, "rb").read()
    data += t if t.endswith(b"\n") else t + b"\n"
whole_log = os.path.join(d, "whole.log")
open(whole_log, "wb").write(data)
whole = json.loads(run("-f", "json", "--fail-on", "never", whole_log))
events = [json.loads(l) for l in
          run("-f", "ndjson", "--fail-on", "never", whole_log).splitlines()]
inside = set()
for e in events:
    inside.update(range(e["line"], e["end_line"] + 1))
lines = data.split(b"\n")[:-1]
cuts_ok = [n for n in range(2, len(lines) + 1) if n not in inside]
def norm(r, offset):
    r = json.loads(json.dumps(r))
    r.pop("tool", None)
    r["scanned"].pop("inputs")
    for g in r["groups"]:
        for w in ("first", "last"):
            g[w]["line"] += offset[g[w].pop("input")]
    return r
want = norm(whole, {whole_log: 0})
rng = random.Random(5)
bad = 0
for rnd in range(5):
    k = rng.randint(2, 6)
    cuts = sorted(rng.sample(cuts_ok, k - 1))
    starts = [1] + cuts
    ends = cuts + [len(lines) + 1]
    offset, reports = {}, []
    for i, (s, e) in enumerate(zip(starts, ends)):
        part = os.path.join(d, "r%d-p%02d.log" % (rnd, i))
        open(part, "wb").write(b"".join(l + b"\n" for l in lines[s - 1:e - 1]))
        offset[part] = s - 1
        rep = part + ".json"
        open(rep, "wb").write(run("-f", "json", "--fail-on", "never", part))
        reports.append(rep)
    pool, step = reports[:], 0
    rng.shuffle(pool)
    while len(pool) > 1:
        take = rng.sample(pool, rng.randint(2, len(pool)))
        pool = [p for p in pool if p not in take]
        out = os.path.join(d, "r%d-m%d.json" % (rnd, step))
        step += 1
        if rng.random() < 0.3:  # as one stream on stdin
            stream = b"".join(open(p, "rb").read() for p in take)
            merged = run("merge", "-f", "json", "--fail-on", "never", stdin=stream)
        else:
            merged = run("merge", "-f", "json", "--fail-on", "never", *take)
        open(out, "wb").write(merged)
        pool.insert(rng.randrange(len(pool) + 1), out)
    got = norm(json.load(open(pool[0])), offset)
    if got != want:
        bad += 1
        print("round %d (cuts %s) differs" % (rnd, cuts))
        for key in want:
            if got.get(key) != want[key]:
                print(" ", key, json.dumps(got.get(key))[:600])
                print(" ", key, json.dumps(want[key])[:600])
print("%d of 5 rounds differ" % bad)
sys.exit(1 if bad else 0)
PY
[ $? -eq 0 ] && ok "merged reports of a log split at random = the report of the whole log" || not_ok "merged reports of a log split at random = the report of the whole log" "$(head -c 3000 "$tmp/prop")"

# malformed and foreign reports are refused, naming the report
printf 'not json\n' >"$tmp/notjson.json"
check "merge refuses a file that is not JSON" 2 "$bin" merge "$tmp/r1.json" "$tmp/notjson.json"
contains "the file that is not JSON is named" "$err" "notjson.json:1:"
printf '{"schema": "other/1"}\n' >"$tmp/foreign.json"
check "merge refuses a foreign report" 2 "$bin" merge "$tmp/foreign.json"
contains "the foreign report is named" "$err" "foreign.json: error: not a tracehound report"
sed 's/"count": 1/"count": "one"/' "$tmp/r1.json" >"$tmp/badcount.json"
check "merge refuses a field of the wrong type" 2 "$bin" merge "$tmp/r1.json" "$tmp/badcount.json"
contains "the field of the wrong type is named" "$err" "badcount.json: error: groups[0].count: expected a count"
"$bin" -f json -g rule --fail-on never "$tmp/error.log" >"$tmp/byrule.json"
check "merge refuses reports grouped by other keys" 2 "$bin" merge "$tmp/r1.json" "$tmp/byrule.json"
contains "the report grouped by other keys is named" "$err" "byrule.json: error: groups: grouped by rule, but"
check "merge names a missing report" 2 "$bin" merge "$tmp/r1.json" "$tmp/nope.json"
contains "the missing report is named" "$err" "nope.json"
[ -z "$out" ] && ok "nothing is printed when a report is refused" || not_ok "nothing is printed when a report is refused"
check "merge refuses ndjson" 2 "$bin" merge -f ndjson "$tmp/r1.json"
check "merge refuses options of the scan" 2 "$bin" merge -g rule "$tmp/r1.json"
check "merge --help" 0 "$bin" merge --help
contains "merge --help says what it does" "$out" "Combine JSON reports"

# the fleet recipe: tracehound on every host (here: every part, with GNU
# parallel), merge at the centre
if command -v parallel >/dev/null; then
	mkdir -p "$tmp/fleet"
	for h in 1 2 3; do cp "$tmp/error.log" "$tmp/fleet/host$h.log"; done
	cp "$tmp/warning.log" "$tmp/fleet/host4.log"
	parallel --will-cite -j 4 "'$bin' -f json --fail-on never {} > {}.json" ::: "$tmp"/fleet/host*.log
	check "fleet recipe: parallel, then merge of the reports" 0 "$bin" merge -f json --fail-on never "$tmp"/fleet/host*.log.json
	printf '%s\n' "$out" >"$tmp/fleet1.json"
	"$bin" -f json --fail-on never "$tmp"/fleet/host*.log >"$tmp/fleet-whole.json"
	same_report "$tmp/fleet1.json" "$tmp/fleet-whole.json" && ok "fleet recipe: the merged report is that of all hosts' logs" || not_ok "fleet recipe: the merged report is that of all hosts' logs"
	check "fleet recipe: parallel's output piped into merge" 0 sh -c "parallel --will-cite -j 4 \"'$bin' -f json --fail-on never {}\" ::: '$tmp'/fleet/host*.log | '$bin' merge -f json --fail-on never"
	printf '%s\n' "$out" >"$tmp/fleet2.json"
	same_report "$tmp/fleet2.json" "$tmp/fleet-whole.json" && ok "fleet recipe: piped reports merge alike" || not_ok "fleet recipe: piped reports merge alike"
else
	for c in "fleet recipe: parallel, then merge" "fleet recipe: merged report" "fleet recipe: piped" "fleet recipe: piped merge"; do
		n=$((n + 1))
		echo "ok $n - $c # SKIP GNU parallel is not installed (Debian package: parallel)"
	done
fi

# a FIFO is read like cat reads one: its writer is waited for, -j too
mkfifo "$tmp/in.fifo"
(sleep 0.3; cat "$tmp/error.log" >"$tmp/in.fifo") &
check "a FIFO is read as a pipe" 1 timeout 20 "$bin" "$tmp/in.fifo"
contains "what was written to it is read" "$out" "fetch_user"
(sleep 0.3; cat "$tmp/error.log" >"$tmp/in.fifo") &
check "a FIFO is read as a pipe with -j 2" 1 timeout 20 "$bin" -j 2 "$tmp/in.fifo"
contains "with -j 2 too" "$out" "fetch_user"
# a writer already waiting in its open is let in by the scan's open alone:
# a look at the path before it (is it worth cutting for -j?) must not open
# it, or the writer's bytes may go to that descriptor and be lost, and the
# scan then waits for a writer that never comes. A race: it took 1 run in
# 15 when the look opened the FIFO, so ten runs catch it about half the
# time
lost=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	cat "$tmp/error.log" >"$tmp/in.fifo" &
	writer=$!
	sleep 0.1
	timeout 20 "$bin" -j 2 -f json "$tmp/in.fifo" >"$tmp/out" 2>&1
	grep -q fetch_user "$tmp/out" || lost=$((lost + 1))
	kill "$writer" 2>/dev/null
	wait "$writer" 2>/dev/null
done
if [ "$lost" -eq 0 ]; then ok "a FIFO whose writer waits already is read whole with -j 2"; else not_ok "a FIFO whose writer waits already is read whole with -j 2" "lost in $lost of 10 runs"; fi
check "<(...) is read as a pipe" 1 "$bin" <(cat "$tmp/error.log")
contains "the same" "$out" "fetch_user"
wait

# ---- escape sequences from outside never reach the terminal raw ------------
# File names, the rule-file line under the caret and a fleet report's ids
# are cleaned as reports clean log text: no ESC or BEL byte on stderr
# (an OSC would set the terminal's title, CSI 2J clear the screen).
raw_free() { # NAME FILE: FILE holds no ESC, BEL or invalid UTF-8
	if LC_ALL=C grep -q "$(printf '[\033\007]')" "$2"; then
		not_ok "$1" "raw escape in: $(od -c "$2" | head -3)"
	elif ! iconv -f UTF-8 -t UTF-8 "$2" >/dev/null 2>&1; then
		not_ok "$1" "invalid UTF-8 in: $(od -c "$2" | head -3)"
	else ok "$1"; fi
}
mkdir "$tmp/esc"
ln -s nowhere "$tmp/esc/$(printf '\033]0;pwned\007').log"
ln -s nowhere "$tmp/esc/$(printf '\033[2J').log"
check "file names with escape sequences: the run goes on" 2 "$bin" "$tmp/esc"
raw_free "their names are cleaned on stderr" "$tmp/err"
contains "and shown escaped" "$err" 'esc/\x1b]0;pwned\x07.log: No such file'
raw_free "and in the report" "$tmp/out"
printf 'rules:\n  - id: x\n    \033[2Jbad: 1\n' >"$tmp/esc.yaml"
check "a rule file with an escape sequence is refused" 2 "$bin" --rules "$tmp/esc.yaml" "$tmp/clean.log"
raw_free "the line under the caret is cleaned" "$tmp/err"
contains "and the caret stays under the character" "$err" "$(printf '      \\x1b[2Jbad: 1\n      ^')"
"$bin" -f json --fail-on never "$tmp/error.log" >"$tmp/esc.json"
jq '.groups[0].rules = {"\u001b]0;pwned\u0007": 1}' "$tmp/esc.json" >"$tmp/esc-id.json"
check "merge: a hostile rule id is refused" 2 "$bin" merge "$tmp/esc-id.json"
raw_free "and cleaned on stderr" "$tmp/err"
long=a$(printf 'é%.0s' $(seq 100))
jq --arg k "$long" '.groups[0].rules = {($k): 1}' "$tmp/esc.json" >"$tmp/long-id.json"
check "merge: a long id that is no rule id is refused" 2 "$bin" merge "$tmp/long-id.json"
raw_free "cut on a character boundary" "$tmp/err"
contains "with an ellipsis" "$err" "ééé…' is not a rule id"

# Issue 13: a NUL byte in a coroutine name cut its group key there (two
# names fell into one group) while ndjson kept it whole. Every output now
# has the same value, the NUL made U+FFFD.
printf "app.py:9: RuntimeWarning: coroutine 'ab\\0cd' was never awaited\n  x()\napp.py:9: RuntimeWarning: coroutine 'ab\\0ef' was never awaited\n  x()\n" >"$tmp/nul.log"
check "a NUL in a coroutine name" 0 "$bin" --fail-on never -f json "$tmp/nul.log"
keys=$(printf '%s' "$out" | jq -c '[.groups[].key.coroutine]')
contains "whole in the group keys, so two names differing after it are two groups" \
	"$keys" "$(printf '["ab\357\277\275cd","ab\357\277\275ef"]')"
check "the same in ndjson" 0 "$bin" --fail-on never -f ndjson "$tmp/nul.log"
contains "the same value in ndjson" "$out" "$(printf '"coroutine":"ab\357\277\275ef"')"

tap_end
