#!/usr/bin/env bash
# bench/shapes.sh - tracehound against rg -c on the same log in three
# shapes: plain, Docker json-file and Kubernetes CRI. Takes the first
# SIZE bytes (default 64000000) of the dense log bench/run.sh makes (run
# that first), wraps every line as dockerd and containerd write them
# (bench/wrap_lines.py), checks that tracehound finds the same events in
# all three, and times `tracehound --format json` and `rg -c` with
# hyperfine (RUNS runs, default 10). Prints hyperfine's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-64000000}
RUNS=${RUNS:-10}
DATA=bench/data
# the build bench/run.sh made of this commit (TH_REV=HEAD), else its build
# of the working tree
TH=${TH:-$DATA/build-$(git rev-parse --short HEAD)/tracehound}
[ -x "$TH" ] || TH=$DATA/build/tracehound
DENSE=$(ls "$DATA"/dense-*.log 2>/dev/null | head -1)
[ -n "$DENSE" ] || { echo "shapes: no dense log in $DATA: run bench/run.sh first" >&2; exit 1; }
[ -x "$TH" ] || { echo "shapes: no $TH: run bench/run.sh first, or set TH" >&2; exit 1; }
ALT='never retrieved|Traceback \(most recent call last\)|was never awaited|destroyed but it is pending|Exception in callback'

plain=$DATA/shape-plain.log
# whole lines only
head -c "$SIZE" "$DENSE" | sed '$d' >"$plain"
python3 bench/wrap_lines.py docker <"$plain" >"$DATA/shape-docker.log"
python3 bench/wrap_lines.py cri <"$plain" >"$DATA/shape-cri.log"

events() { "$TH" --format json --fail-on never "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])'; }
want=$(events "$plain")
for shape in docker cri; do
    got=$(events "$DATA/shape-$shape.log")
    [ "$got" = "$want" ] || { echo "shapes: $shape: $got events, plain: $want" >&2; exit 1; }
done
echo "shapes: $want events in each shape; tracehound: $TH" >&2

args=()
for shape in plain docker cri; do
    f=$DATA/shape-$shape.log
    args+=(-n "tracehound json, $shape ($(stat -c %s "$f") bytes)" "$TH --format json $f >/dev/null")
    args+=(-n "rg -c, $shape" "rg -c '$ALT' $f | cat")
done
hyperfine --style basic -i --warmup 1 --runs "$RUNS" "${args[@]}"
