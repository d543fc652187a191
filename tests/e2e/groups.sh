#!/usr/bin/env bash
# groups.sh - exact groups past the memory budget: a log whose events name
# 30,000 distinct tasks (bench/gen_log.py --tasks), scanned with
# --group-by task and a budget of 256 KiB so that groups spill to
# temporary files, serially and with -j 2; every group's count is the
# count `sort | uniq -c` gives for its task name (bench/check_groups.py,
# what the benchmark runs at 5 million tasks), and the spill directory is
# left empty. Then issue 13 (memory grew with the input under -j): a log
# of 4,000 tracebacks, each a group of its own, scanned with -j 2 and a
# budget of 128 KiB under `ulimit -n 32`; each spilled run had a
# descriptor (and a 64 KiB buffer) of its own, 200 of them, and the scan
# died. Prints TAP.
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
root=${TH_SOURCE_ROOT:?TH_SOURCE_ROOT must name the source tree}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

echo "TAP version 13"
cd "$root"
python3 bench/gen_log.py --tasks 30000 --seed 3 --out "$tmp/tasks.log" \
	2>/dev/null >/dev/null
LC_ALL=C sort "$tmp/tasks.log.tasks" | uniq -c >"$tmp/counts"
mkdir "$tmp/spill"
for j in 1 2; do
	TMPDIR="$tmp/spill" TRACEHOUND_SPLIT_MIN=1 "$bin" -j "$j" -S 256K \
		-g task --format json --fail-on never "$tmp/tasks.log" \
		2>/dev/null >"$tmp/report$j.json"
	if python3 bench/check_groups.py --key task --label "-j $j" \
		"$tmp/report$j.json" "$tmp/counts" >"$tmp/check$j" 2>&1; then
		ok "-j $j -S 256K: every task's count is sort | uniq -c's"
	else
		not_ok "-j $j -S 256K: every task's count is sort | uniq -c's: $(head -5 "$tmp/check$j")"
	fi
done
"$bin" -j 1 -g task --format json --fail-on never "$tmp/tasks.log" \
	>"$tmp/memory.json"
cmp -s "$tmp/memory.json" "$tmp/report1.json" &&
	ok "the spilled report is the report in memory, byte for byte" ||
	not_ok "the spilled report is the report in memory, byte for byte"
[ -z "$(ls -A "$tmp/spill")" ] && ok "no temporary file is left" ||
	not_ok "no temporary file is left: $(ls -A "$tmp/spill" | head -3)"

# Issue 13: the spilled runs of an aggregate share one file.
python3 bench/gen_distinct.py --events 4000 --seed 5 --out "$tmp/distinct.log"
"$bin" -j 1 --format json --fail-on never "$tmp/distinct.log" \
	>"$tmp/distinct1.json" 2>/dev/null
(
	ulimit -n 32
	TMPDIR="$tmp/spill" TRACEHOUND_SPLIT_MIN=1 "$bin" -j 2 -S 128K \
		--format json --fail-on never "$tmp/distinct.log" \
		>"$tmp/distinct2.json" 2>"$tmp/distinct2.err"
) 2>/dev/null
if cmp -s "$tmp/distinct1.json" "$tmp/distinct2.json"; then
	ok "issue 13: -j 2 -S 128K over 4,000 groups under ulimit -n 32 is -j 1's report"
else
	not_ok "issue 13: -j 2 -S 128K over 4,000 groups under ulimit -n 32 is -j 1's report" \
		"$(grep -v 'cut into' "$tmp/distinct2.err" | head -3)"
fi

# A container runtime's log file found under the kubelet's or dockerd's
# name gives its events the container as source (README.md, "Log
# shapes"); the same file under another name gives the stream.
hex=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
uid=0f8b2c1e-1111-4a2b-9c3d-123456789abc
mkdir -p "$tmp/containers" "$tmp/pods/shop_api-7d9f_$uid/app" "$tmp/docker/$hex"
cp sample-logs/shapes/cri.log "$tmp/containers/api-7d9f_shop_app-$hex.log"
cp sample-logs/shapes/cri.log "$tmp/pods/shop_api-7d9f_$uid/app/0.log.20240501-101010"
cp sample-logs/shapes/docker-json.log "$tmp/docker/$hex/$hex-json.log"
sources() {
	"$bin" -g source --format json --fail-on never "$@" |
		python3 -c 'import json, sys
print(" ".join("%s=%d" % (g["key"]["source"], g["count"]) for g in json.load(sys.stdin)["groups"]))'
}
cri_events=$("$bin" --format json --fail-on never sample-logs/shapes/cri.log |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["events"])')
got=$(sources "$tmp/containers/api-7d9f_shop_app-$hex.log" "$tmp/pods/shop_api-7d9f_$uid/app/0.log.20240501-101010")
[ "$got" = "shop/api-7d9f/app=$((2 * cri_events))" ] &&
	ok "kubelet log files: the container is the source ($got)" ||
	not_ok "kubelet log files: the container is the source" "got: $got"
got=$(sources "$tmp/docker/$hex/$hex-json.log")
case $got in
0123456789ab=[1-9]*) ok "a Docker json-file: the short container id is the source ($got)" ;;
*) not_ok "a Docker json-file: the short container id is the source" "got: $got" ;;
esac
got=$(sources sample-logs/shapes/cri.log)
[ "$got" = "stderr=$cri_events" ] &&
	ok "a CRI file under another name: the stream is the source" ||
	not_ok "a CRI file under another name: the stream is the source" "got: $got"

tap_end
