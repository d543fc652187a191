#!/usr/bin/env bash
# state.sh - incremental runs (--state): only what is new is read, files
# rotated the way logrotate rotates them (rename + create, copytruncate,
# compress, delaycompress, dateext, zstd, xz, bzip2) lose and repeat
# nothing, a half-written traceback is read whole by the next run, a run
# killed with SIGKILL at any point loses no event, two runs cannot hold one
# state, a damaged state is refused, and new groups are marked. Prints TAP.
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
# Files written a moment ago count as still being written (an event at
# their end may go on: it waits for the next run). Most cases below write
# and read at once and mean "the writer is done": say so. The case that
# checks the waiting sets it back.
export TRACEHOUND_SETTLE_SECONDS=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		echo "#   expected: $2"
		echo "#   got:      $3"
	fi
}

# A traceback whose innermost function (the group's coroutine) is NAME.
ev() { # NAME >>FILE
	printf 'Traceback (most recent call last):\n'
	printf '  File "/app/x.py", line 1, in %s\n' "$1"
	printf '    boom()\n'
	printf 'ValueError: %s failed\n' "$1"
}
# The groups one --state run reports: "name:count" sorted, space-separated.
run() { # STATE PATH... (more options before)
	"$bin" --fail-on never -f json --state "$@" >"$tmp/out.json" 2>"$tmp/err"
	echo $? >"$tmp/rc"
	jq -r '[.groups[] | "\(.key.coroutine):\(.count)"] | sort | join(" ")' \
		"$tmp/out.json" 2>/dev/null
}

echo "TAP version 13"
d=$tmp/d
mkdir "$d"
cd "$d" || exit 1

# ---- offsets ---------------------------------------------------------------
{ ev a1; ev a2; } >app.log
check "a first run reads the whole file" "a1:1 a2:1" "$(run s app.log)"
check "a second run reads nothing" "" "$(run s app.log)"
ev a3 >>app.log
check "an appended event is read, and only it" "a3:1" "$(run s app.log)"
check "line numbers go on from the committed line" "9" \
	"$(jq '.groups[0].first.line' "$tmp/out.json")"

# ---- a traceback half-written when the run starts ---------------------------
printf 'Traceback (most recent call last):\n  File "/app/x.py", line 1, in half\n' >>app.log
check "an open traceback is not counted yet" "" "$(run s app.log)"
printf '    boom()\nKeyError: half\nINFO done\n' >>app.log
check "the next run reads it whole" "half:1" "$(run s app.log)"
check "and finds its exception" "KeyError" \
	"$(jq -r '.groups[0].exceptions | keys[0]' "$tmp/out.json")"
printf 'Traceback (most recent call l' >>app.log
check "a line still being written is not read" "" "$(run s app.log)"
printf 'ast):\n  File "/app/x.py", line 1, in partial\n    x()\nValueError: p\nINFO\n' >>app.log
check "it is read whole once it ends" "partial:1" "$(run s app.log)"

# ---- one file, however it is named -------------------------------------------
ev spelled >>app.log
check "an appended event, the file named ./app.log" "spelled:1" \
	"$(run s ./app.log)"
check "the same file as \$PWD/app.log: nothing new" "" "$(run s "$PWD/app.log")"
mkdir -p sub && ln -s "$PWD" link
check "through ../ and a linked directory: nothing new" "" \
	"$(cd sub && run ../s ../link/app.log)"
check "the state names it by its absolute path" "$(pwd -P)/app.log" \
	"$(jq -r '.files[0].path' s)"

# ---- --dry-run: what is new, the state left as it was --------------------------
ev dry >>app.log
cp s s.before
check "a dry run reports what is new" "dry:1" "$(run s --dry-run app.log)"
cmp -s s s.before && ok "and leaves the state byte for byte" ||
	not_ok "and leaves the state byte for byte"
check "the next real run reads the same again" "dry:1" "$(run s app.log)"
"$bin" --dry-run app.log >/dev/null 2>"$tmp/err"
check "--dry-run without --state is refused (exit 2)" "2" "$?"

# ---- rotation --------------------------------------------------------------
rotate_case() { # NAME SETUP-FUNCTION
	rm -rf "$d"/* && cd "$d" || exit 1
	ev before >app.log
	run s app.log >/dev/null
	ev tail >>app.log
	"$2"
	ev fresh >>app.log
	check "$1: the rotated tail, then the new file" "fresh:1 tail:1" \
		"$(run s app.log)"
	check "$1: nothing is read twice" "" "$(run s app.log)"
}
rename_create() { mv app.log app.log.1 && : >app.log; }
copytruncate() { cp app.log app.log.1 && : >app.log; }
compress() { mv app.log app.log.1 && gzip app.log.1 && : >app.log; }
zstd_compress() { mv app.log app.log.1 && zstd -q --rm app.log.1 && : >app.log; }
xz_compress() { mv app.log app.log.1 && env -u MALLOC_PERTURB_ xz app.log.1 && : >app.log; }
bzip2_compress() { mv app.log app.log.1 && bzip2 app.log.1 && : >app.log; }
dateext() { mv app.log app.log-20261124 && gzip app.log-20261124 && : >app.log; }
rotate_case "rename + create" rename_create
rotate_case "copytruncate" copytruncate
rotate_case "compress after rotate" compress
rotate_case "compress with zstd" zstd_compress
rotate_case "compress with xz" xz_compress
rotate_case "compress with bzip2" bzip2_compress
rotate_case "dateext" dateext

# delaycompress: the previous rotation is compressed at the next one.
rm -rf "$d"/* && cd "$d" || exit 1
ev d1 >app.log
run s app.log >/dev/null
ev d2 >>app.log
mv app.log app.log.1 && : >app.log && ev d3 >>app.log
check "delaycompress: first rotation" "d2:1 d3:1" "$(run s app.log)"
ev d4 >>app.log
gzip app.log.1 && mv app.log.1.gz app.log.2.gz
mv app.log app.log.1 && : >app.log && ev d5 >>app.log
check "delaycompress: second rotation, old one compressed" "d4:1 d5:1" \
	"$(run s app.log)"

# a file rotated and its copy gone: read from the start, with a warning
ev gone >>app.log
rm app.log.1 && mv app.log app.log.1 && rm app.log.1 && ev new >app.log
check "a lost rotated file: the new file from its start" "new:1" \
	"$(run s app.log)"
grep -q "rotated file was not found" "$tmp/err" && ok "and a warning says so" ||
	not_ok "and a warning says so"

# ---- copytruncate when the state knew an empty file, or the same start ------
# An empty file's fingerprint matches anything, and a file refilled with the
# same first lines looks grown: the copy written beside it since the last
# run says it was rotated.
rm -rf "$d"/* && cd "$d" || exit 1
: >app.log
run s app.log >/dev/null
ev tail >>app.log && cp app.log app.log.1 && : >app.log
check "copytruncate after an empty file: the copy is read" "tail:1" \
	"$(run s app.log)"
check "copytruncate after an empty file: nothing is read twice" "" \
	"$(run s app.log)"
rm -rf "$d"/* && cd "$d" || exit 1
: >app.log
run s app.log >/dev/null
ev tail >>app.log && cp app.log app.log.1 && : >app.log && ev fresh >>app.log
check "copytruncate after an empty file, then written: both are read" \
	"fresh:1 tail:1" "$(run s app.log)"
rm -rf "$d"/* && cd "$d" || exit 1
: >app.log
run s app.log >/dev/null
ev tail >>app.log && cp app.log app.log.1 && : >app.log && rm app.log.1
run s app.log >/dev/null
grep -q "rotated file was not found" "$tmp/err" &&
	ok "an empty file written and truncated, its copy gone: said" ||
	not_ok "an empty file written and truncated, its copy gone: said"
rm -rf "$d"/* && cd "$d" || exit 1
ev before >app.log
run s app.log >/dev/null
ev tail >>app.log && cp app.log app.log.1 && : >app.log
ev before >>app.log && ev fresh >>app.log
check "copytruncate, the new file starting as the old: all is read" \
	"before:1 fresh:1 tail:1" "$(run s app.log)"
check "and nothing is read twice" "" "$(run s app.log)"
# an older generation with the same start, written before the last run
rm -rf "$d"/* && cd "$d" || exit 1
ev before >app.log.1 && touch -d '2 minutes ago' app.log.1
ev before >app.log && touch -d '1 minute ago' app.log
run s app.log >/dev/null
ev more >>app.log
check "an older generation with the same start is not read again" \
	"more:1" "$(run s app.log)"

# ---- rotated more than once between two runs --------------------------------
# Each rotation shifts the older generations the way logrotate does
# (rotate 5); the run after two or three of them reads the unread tail of
# the file that held the offset, every generation rotated after it whole,
# then the new file, each once.
shift_up() { # SUFFIX: NAME.N$SUFFIX becomes NAME.N+1$SUFFIX
	local k
	for k in 4 3 2 1; do
		[ -e "app.log.$k$1" ] && mv "app.log.$k$1" "app.log.$((k + 1))$1"
	done
	return 0
}
rot_rename() { shift_up "" && mv app.log app.log.1 && : >app.log; }
rot_copytruncate() { shift_up "" && cp app.log app.log.1 && : >app.log; }
rot_compress() {
	shift_up .gz && mv app.log app.log.1 && gzip app.log.1 && : >app.log
}
rot_zstd() {
	shift_up .zst && mv app.log app.log.1 && zstd -q --rm app.log.1 &&
		: >app.log
}
rot_delaycompress() {
	shift_up .gz
	[ -e app.log.1 ] && mv app.log.1 app.log.2 && gzip app.log.2
	mv app.log app.log.1 && : >app.log
}
# copytruncate + compress + delaycompress, the usual logrotate stanza
rot_copy_delay() {
	shift_up .gz
	[ -e app.log.1 ] && mv app.log.1 app.log.2 && gzip app.log.2
	cp app.log app.log.1 && : >app.log
}
# a compressor that does not keep the mtime: NAME.2.gz looks newer than
# NAME.1, so only the names can say which generation came first
rot_delay_newmtime() {
	shift_up .gz
	if [ -e app.log.1 ]; then
		gzip <app.log.1 >app.log.2.gz && rm app.log.1
	fi
	mv app.log app.log.1 && : >app.log
}
day=20261124
rot_dateext() {
	mv app.log "app.log-$day" && gzip "app.log-$day" && : >app.log
	day=$((day + 1))
}
rot_dateext_delay() {
	for f in app.log-*; do
		case $f in *.gz | "app.log-*") ;; *) gzip "$f" ;; esac
	done
	mv app.log "app.log-$day" && : >app.log
	day=$((day + 1))
}
multi_case() { # NAME ROTATE-FUNCTION ROTATIONS
	rm -rf "$d"/* && cd "$d" || exit 1
	day=20261124
	ev before >app.log
	ev old >app.log.1 # an older generation, read before
	run s app.log >/dev/null
	ev tail >>app.log
	local want="fresh:1" i
	for i in $(seq "$3"); do
		"$2"
		[ "$i" -lt "$3" ] && ev "g$i" >>app.log && want="$want g$i:1"
	done
	ev fresh >>app.log
	check "$1, rotated $3 times: the tail, each generation, the new file" \
		"$want tail:1" "$(run s app.log)"
	[ -s "$tmp/err" ] && echo "#   stderr: $(cat "$tmp/err")"
	check "$1, rotated $3 times: nothing is read twice" "" "$(run s app.log)"
}
for r in 2 3; do
	multi_case "rename + create" rot_rename "$r"
	multi_case "copytruncate" rot_copytruncate "$r"
	multi_case "compress" rot_compress "$r"
	multi_case "zstd" rot_zstd "$r"
	multi_case "delaycompress" rot_delaycompress "$r"
	multi_case "copytruncate + delaycompress" rot_copy_delay "$r"
	multi_case "delaycompress, mtime not kept" rot_delay_newmtime "$r"
	multi_case "dateext" rot_dateext "$r"
	multi_case "dateext + delaycompress" rot_dateext_delay "$r"
done

# where each event was found: the generation's own file and line
rm -rf "$d"/* && cd "$d" || exit 1
ev before >app.log
run s app.log >/dev/null
ev tail >>app.log && rot_rename && ev g1 >>app.log && ev g1b >>app.log
rot_rename && ev fresh >>app.log
run s app.log >/dev/null
check "each generation is an input named by its path, lines its own" \
	"fresh:app.log:1 g1:./app.log.1:1 g1b:./app.log.1:5 tail:./app.log.2:5" \
	"$(jq -r '[.groups[] | "\(.key.coroutine):\(.first.input):\(.first.line)"] | sort | join(" ")' "$tmp/out.json")"
check "in order, oldest first" "./app.log.2 ./app.log.1 app.log" \
	"$(jq -r '[.scanned.inputs[].name] | join(" ")' "$tmp/out.json")"

# rotate 1: the file that held the offset is gone; the generation rotated
# after it was written after the last run, so it is read whole
rm -rf "$d"/* && cd "$d" || exit 1
ev old >app.log.1 && touch -d '2 minutes ago' app.log.1
ev before >app.log && touch -d '1 minute ago' app.log
run s app.log >/dev/null
ev tail >>app.log
rm app.log.1 && mv app.log app.log.1 && : >app.log && ev g1 >>app.log
rm app.log.1 && mv app.log app.log.1 && : >app.log && ev fresh >>app.log
check "rotate 1: the old file gone, the newer generation and the new file" \
	"fresh:1 g1:1" "$(run s app.log)"
grep -q "rotated file was not found.*reading the 1 rotated file written since then" \
	"$tmp/err" && ok "and a warning says the old file's end is lost" ||
	not_ok "and a warning says the old file's end is lost"
check "rotate 1: nothing is read twice" "" "$(run s app.log)"

# truncated in place: the older generations beside it were read before
rm -rf "$d"/* && cd "$d" || exit 1
ev old >app.log.1 && gzip app.log.1 && ev old2 >app.log.2
touch -d '2 minutes ago' app.log.1.gz app.log.2
{ ev before; ev before2; } >app.log && touch -d '1 minute ago' app.log
run s app.log >/dev/null
ev new >app.log
check "truncated in place: older generations are not read again" "new:1" \
	"$(run s app.log)"

# a state written before mtimes were kept still loads, and reads as before
rm -rf "$d"/* && cd "$d" || exit 1
ev before >app.log
run s app.log >/dev/null
jq 'del(.files[].mtime_ns)' s >s.old && mv s.old s
ev tail >>app.log && rot_rename && ev g1 >>app.log && rot_rename
ev fresh >>app.log
check "a state without mtime_ns: the generations are still found by name" \
	"fresh:1 g1:1 tail:1" "$(run s app.log)"
check "and mtime_ns is kept from then on" "true" \
	"$(jq '.files[0].mtime_ns > 0' s)"

# a generation compressed with xz is read like a gzip one
rm -rf "$d"/* && cd "$d" || exit 1
ev before >app.log
run s app.log >/dev/null
ev tail >>app.log && rot_rename && ev g1 >>app.log
rot_rename && env -u MALLOC_PERTURB_ xz app.log.1 && ev fresh >>app.log
check "an xz generation is read" "fresh:1 g1:1 tail:1" "$(run s app.log)"

# one in a compression tracehound does not read (lz4): said, not read as text
rm -rf "$d"/* && cd "$d" || exit 1
ev before >app.log
run s app.log >/dev/null
ev tail >>app.log && rot_rename && ev g1 >>app.log
rot_rename && printf '\x04\x22\x4d\x18 lz4 frame\n' >app.log.1.lz4 &&
	rm app.log.1 && ev fresh >>app.log
check "an lz4 generation is not read" "fresh:1 tail:1" "$(run s app.log)"
grep -q "app.log: 1 rotated file not read: compressed in a format" \
	"$tmp/err" && ok "and a warning names it" || not_ok "and a warning names it"

# more generations than one run reads: the newest, and a warning
rm -rf "$d"/* && cd "$d" || exit 1
ev before >app.log
run s app.log >/dev/null
ev tail >>app.log
for i in $(seq 17); do
	mv app.log "app.log-$((20261100 + i))" && ev "m$i" >app.log
done
got=$(run s app.log)
check "17 rotations: the newest 16 rotated files and the new file are read" \
	"$(seq 17 | sed 's/.*/m&:1/' | sort | tr '\n' ' ' | sed 's/ $//')" "$got"
grep -q "1 rotated file not read: more than 16" "$tmp/err" &&
	ok "and a warning says one was not" || not_ok "and a warning says one was not"

# ---- -j: state runs with threads report the same --------------------------
rm -rf "$d"/* && cd "$d" || exit 1
{ ev j1; ev j2; } >app.log && { ev k1; } >b.log
run s1 -j 1 app.log b.log >/dev/null
run s4 -j 4 app.log b.log >/dev/null
ev j3 >>app.log && ev k2 >>b.log && mv b.log b.log.1 && ev k3 >b.log
a=$(run s1 -j 1 app.log b.log)
b=$(run s4 -j 4 app.log b.log)
check "with -j 4 the same as with -j 1" "$a" "$b"
check "and right" "j3:1 k2:1 k3:1" "$b"

# ---- new groups ------------------------------------------------------------
rm -rf "$d"/* && cd "$d" || exit 1
ev n1 >app.log
"$bin" --state s --fail-on-new app.log >/dev/null 2>&1
check "--fail-on-new: a new group fails the run" 1 $?
ev n1 >>app.log
"$bin" --state s --fail-on-new app.log >"$tmp/text" 2>&1
check "--fail-on-new: a group seen before does not" 0 $?
ev n2 >>app.log && ev n1 >>app.log
run s --fail-on error --fail-on-new app.log >/dev/null
check "--fail-on-new: a new error group fails" 1 "$(cat "$tmp/rc")"
check "JSON marks new groups" "n1:false n2:true" \
	"$(jq -r '[.groups[] | "\(.key.coroutine):\(.new)"] | sort | join(" ")' "$tmp/out.json")"
ev n3 >>app.log
"$bin" --state s --fail-on never app.log >"$tmp/text"
grep -q 'n3.*NEW' "$tmp/text" && ok "the text table marks new groups" ||
	not_ok "the text table marks new groups"
ev n1 >>app.log
check "another --group-by has groups of its own" "true" \
	"$(run s -g exception,coroutine app.log >/dev/null; jq '.groups[0].new' "$tmp/out.json")"
"$bin" --fail-on-new app.log >/dev/null 2>&1
check "--fail-on-new without --state is refused" 2 $?

# ---- the state file --------------------------------------------------------
rm -rf "$d"/* && cd "$d" || exit 1
ev s1 >app.log
echo '{"schema": "tracehound.state/1", "files": [' >bad
run bad app.log >/dev/null
check "a corrupt state is exit 2" 2 "$(cat "$tmp/rc")"
grep -q "bad: not a readable state file" "$tmp/err" && ok "naming the file" ||
	not_ok "naming the file"
echo '{"schema": "tracehound.report/1"}' >foreign
run foreign app.log >/dev/null
check "a foreign state is exit 2" 2 "$(cat "$tmp/rc")"
check "and is left as it was" '{"schema": "tracehound.report/1"}' "$(cat foreign)"
run s app.log >/dev/null
check "the state names its schema" "tracehound.state/2" "$(jq -r .schema s)"
for field in lines offset size; do
	jq ".files[0].$field = -5" s >neg
	run neg app.log >/dev/null
	check "a negative $field in the state is exit 2" 2 "$(cat "$tmp/rc")"
	grep -q "neg: .*files\[0\].$field" "$tmp/err" &&
		ok "naming the entry and the field" ||
		not_ok "naming the entry and the field" "$(cat "$tmp/err")"
done

# Issue 13: the state loaded its files in quadratic time (150,000 entries:
# minutes) and kept the entry of every path ever given.
python3 - >many <<'PY'
import json
files = [{"path": "/nonexistent/gone-%d.log" % i, "dev": 1, "inode": i,
          "size": 10, "mtime_ns": 1, "fingerprint": "00000000000000ab",
          "fingerprint_bytes": 10, "offset": 10, "lines": 1}
         for i in range(150000)]
json.dump({"schema": "tracehound.state/2", "files": files, "groups": {}},
          open(1, "w"))
PY
timeout 60 "$bin" --fail-on never --state many app.log >/dev/null 2>"$tmp/err"
check "150,000 file entries load in seconds" 0 $?
check "the entries of files gone, not given to the run, are dropped" \
	"1 $(pwd -P)/app.log" "$(jq -r '"\(.files | length) \(.files[0].path)"' many)"
ev k1 >kept.log
ev g1 >gone.log
run p app.log kept.log gone.log >/dev/null
rm gone.log
run p app.log >/dev/null
check "a file still there stays when not given; one gone is dropped" \
	"$(pwd -P)/app.log $(pwd -P)/kept.log" \
	"$(jq -r '[.files[].path] | sort | join(" ")' p)"
ev r1 >r.log
run p r.log >/dev/null
mv r.log r.log.1
run p r.log >/dev/null
check "a file given but not there now keeps its entry" "1" \
	"$(jq "[.files[] | select(.path == \"$(pwd -P)/r.log\")] | length" p)"
ev r2 >>r.log.1
ev r3 >r.log
check "so the next run reads the renamed file's tail, then the new one" \
	"r2:1 r3:1" "$(run p r.log)"

flock s.lock sleep 3 &
holder=$!
sleep 0.3
TRACEHOUND_LOCK_WAIT=0.5 "$bin" --state s app.log >/dev/null 2>"$tmp/err"
check "a second run on a locked state fails" 2 $?
grep -q "locked by another tracehound run" "$tmp/err" && ok "saying why" ||
	not_ok "saying why"
ev s2 >>app.log
check "a run waits for the lock to be released" "s2:1" \
	"$(TRACEHOUND_LOCK_WAIT=10 run s app.log)"
wait "$holder"

# ---- files planted by another user -----------------------------------------
# A symbolic link at FILE.lock must not create its target, one at FILE
# must not be read (nor its content quoted), a FIFO must not hang the run.
rm -rf "$d"/* && cd "$d" || exit 1
ev p1 >app.log
ln -s "$d/created-by-lock" s.lock
run s app.log >/dev/null
check "a symbolic link at FILE.lock is refused" 2 "$(cat "$tmp/rc")"
[ ! -e created-by-lock ] && ok "and its target is not created" ||
	not_ok "and its target is not created"
grep -q "s.lock: a symbolic link" "$tmp/err" && ok "saying why" ||
	not_ok "saying why"
rm s.lock
printf 'secret-token-1234 and more\n' >secret
ln -s "$d/secret" s
run s app.log >/dev/null
check "a symbolic link at FILE is refused" 2 "$(cat "$tmp/rc")"
grep -q secret-token "$tmp/err" && not_ok "and its target is not quoted" ||
	ok "and its target is not quoted"
rm s
printf 'secret-token-1234 and more\n' >s
run s app.log >/dev/null
grep -q secret-token "$tmp/err" &&
	not_ok "a state that is not JSON: its content is not quoted" ||
	ok "a state that is not JSON: its content is not quoted"
rm s
mkfifo s
timeout 20 "$bin" --state s app.log >/dev/null 2>"$tmp/err"
check "a FIFO at FILE is refused, without hanging" 2 $?
rm -f s s.lock && mkfifo s.lock
timeout 20 "$bin" --state s app.log >/dev/null 2>"$tmp/err"
check "a FIFO at FILE.lock is refused, without hanging" 2 $?
rm s.lock
mkdir -m 0777 open
run open/s app.log >/dev/null
check "a state in a directory others can write is refused" 2 \
	"$(cat "$tmp/rc")"
grep -q "other users can write its directory" "$tmp/err" &&
	ok "saying where it belongs" || not_ok "saying where it belongs"
chmod 1777 open
check "a sticky one is used" "p1:1" "$(run open/s app.log)"
grep -q "warning: .*other users can write its directory" "$tmp/err" &&
	ok "with a warning" || not_ok "with a warning"

# ---- a log path that is not a regular file ---------------------------------
# A FIFO (or a link to a device) at a log path is left out with a warning,
# never read while the lock is held; a pipe handed over (<(...)) is read.
rm -rf "$d"/* && cd "$d" || exit 1
ev f1 >app.log
mkfifo planted.log
ln -s /dev/zero zero.log
got=$(timeout 20 "$bin" --fail-on never -f json --state s planted.log \
	zero.log app.log 2>"$tmp/err" |
	jq -r '[.groups[] | "\(.key.coroutine):\(.count)"] | join(" ")')
check "a FIFO or a device at a log path does not hang the run" "f1:1" "$got"
grep -q 'warning: planted.log: not a regular file (a FIFO)' "$tmp/err" &&
	ok "the FIFO is warned about" || not_ok "the FIFO is warned about"
grep -q 'warning: zero.log: not a regular file (a character device)' \
	"$tmp/err" && ok "the device is warned about" ||
	not_ok "the device is warned about"
rm planted.log && ev f2 >planted.log
check "a regular file there later is read" "f2:1" "$(run s planted.log)"
check "<(...) is read as a pipe" "f3:1" "$(run s <(ev f3))"

# ---- SIGKILL at every point ------------------------------------------------
for point in after-lock before-report after-report before-rename; do
	rm -rf "$d"/* && cd "$d" || exit 1
	ev k1 >app.log
	run s app.log >/dev/null
	ev k2 >>app.log
	TRACEHOUND_TEST_PAUSE=$point "$bin" --state s app.log >/dev/null 2>"$tmp/err" &
	pid=$!
	for _ in $(seq 100); do
		grep -q "paused at" "$tmp/err" && break
		sleep 0.05
	done
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	ev k3 >>app.log
	check "killed at $point: the next run loses nothing" "k2:1 k3:1" \
		"$(run s app.log)"
done

# a run killed while reading a large file: if it got to commit, its report
# had every event; if not, the next run has them all
rm -rf "$d"/* && cd "$d" || exit 1
awk 'BEGIN { for (i = 0; i < 200000; i++) {
	print "Traceback (most recent call last):"
	printf "  File \"/app/x.py\", line 1, in big%d\n    boom()\n", i % 50
	print "ValueError: big" } }' >app.log
"$bin" --state s -f json app.log >"$tmp/killed.json" 2>/dev/null &
pid=$!
sleep 0.1
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ -e s ]; then
	before=$(jq .events "$tmp/killed.json")
else
	before=0
fi
after=$(run s app.log >/dev/null; jq .events "$tmp/out.json")
check "killed while reading: no event is lost or counted twice" 200000 \
	"$((before + after))"

# An asyncio message whose traceback is still to come, written just now:
# not counted yet, then counted once, whole, with the traceback's type.
s2=$tmp/settle
mkdir -p "$s2"
printf 'Task exception was never retrieved\nfuture: <Task finished name='"'"'Task-1'"'"' coro=<fetch() done, defined at /app/x.py:3> exception=ValueError('"'"'x'"'"')>\n' >"$s2/a.log"
got=$(TRACEHOUND_SETTLE_SECONDS=3600 run "$s2/st" "$s2/a.log")
check "a message written just now waits for its traceback" "" "$got"
check "and a note says so, with its line" \
	"tracehound: note: $s2/a.log: the event at line 1 is still being written: it is left for the next run" \
	"$(cat "$tmp/err")"
printf 'Traceback (most recent call last):\n  File "/app/x.py", line 4, in fetch\nValueError: x\nINFO:app:next\n' >>"$s2/a.log"
got=$(TRACEHOUND_SETTLE_SECONDS=3600 run "$s2/st" "$s2/a.log")
check "then it is counted once, with its traceback" "fetch:1" "$got"
check "as one event of its rule" '{"asyncio.exception-never-retrieved":1}' \
	"$(jq -c '.groups[0].rules' "$tmp/out.json")"

tap_end
