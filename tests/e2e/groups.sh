#!/usr/bin/env bash
# groups.sh - exact groups past the memory budget: a log whose events name
# 30,000 distinct tasks (bench/gen_log.py --tasks), scanned with
# --group-by task and a budget of 256 KiB so that groups spill to
# temporary files, serially and with -j 2; every group's count is the
# count `sort | uniq -c` gives for its task name (bench/check_groups.py,
# what the benchmark runs at 5 million tasks), and the spill directory is
# left empty. Prints TAP.
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

tap_end
