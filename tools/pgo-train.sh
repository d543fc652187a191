#!/bin/sh
# tools/pgo-train.sh TRACEHOUND SAMPLE_LOGS - runs a tracehound built with
# -Db_pgo=generate over the sample logs, so that gcc can lay the release
# build out by where the time goes (tools/build-release.sh, debian/rules;
# docs/performance.md, "Release builds"). Every log is read as users read
# them: the text report and JSON, one file and the whole directory.
# holdout/ is left out; one thread, so the counts, and so the build, are
# the same each time. Reports go nowhere; a run's exit status is not a
# failure of the training.
set -eu
[ $# -eq 2 ] || { echo "usage: tools/pgo-train.sh TRACEHOUND SAMPLE_LOGS" >&2; exit 2; }
th=$1 logs=$2
[ -x "$th" ] || { echo "tools/pgo-train.sh: $th: not an executable" >&2; exit 2; }
find "$logs" -type f ! -path '*/holdout/*' | LC_ALL=C sort | while read -r f; do
	"$th" -j 1 --fail-on never --color=never "$f" >/dev/null 2>&1 || true
	"$th" -j 1 --fail-on never -f json "$f" >/dev/null 2>&1 || true
done
"$th" -j 1 --fail-on never --color=never "$logs" >/dev/null 2>&1 || true
# The collectors' framings (Docker json-file, CRI, journald, syslog,
# kubectl's prefixes) have a few hundred lines of shapes/ against the
# tens of thousands of plain lines: read them as often again, so their
# paths count as hot as the plain one's.
i=0
while [ $i -lt 40 ]; do
	for f in "$logs"/shapes/*; do
		"$th" -j 1 --fail-on never -f json "$f" >/dev/null 2>&1 || true
	done
	i=$((i + 1))
done

gen=$(dirname "$0")/../bench/gen_log.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for every in 1 200; do
	python3 "$gen" --size 8M --every "$every" --seed 1 \
		--out "$tmp/every$every.log" >/dev/null
	"$th" -j 1 --fail-on never -f json "$tmp/every$every.log" >/dev/null 2>&1 || true
	"$th" -j 1 --fail-on never --color=never "$tmp/every$every.log" >/dev/null 2>&1 || true
done
