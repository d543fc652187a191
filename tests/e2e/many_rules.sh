#!/usr/bin/env bash
# many_rules.sh - loading and scanning with 50,000 rules grows linearly
# with the rules (docs/performance.md). Prints TAP. Needs TH_BIN, python3 and
# TH_SOURCE_ROOT (for bench/gen_rules.py).
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

check() { # NAME WANT_STATUS CMD...: keeps stdout in $out
	local name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	out=$(cat "$tmp/out")
	if [ "$got" -eq "$want" ]; then ok "$name"; else not_ok "$name" "exit $got, want $want" "stderr: $(head -c 400 "$tmp/err")"; fi
}
contains() { # NAME HAYSTACK NEEDLE
	case $2 in *"$3"*) ok "$1" ;; *) not_ok "$1" "missing: $3" "in: ${2:0:400}" ;; esac
}

echo "TAP version 13"
# Issue 13: 100,000 rules took 266 s to load (every literal compared with
# every other, ids looked up one by one) and a scan tried every literal at
# every block. 16,000 took 9 s before in a release build, growing with the
# square; the timeout is generous for sanitizer builds on a busy machine:
# 50,000 now take a few seconds.
python3 "${TH_SOURCE_ROOT:-.}/bench/gen_rules.py" 50000 5000 >"$tmp/many.yaml"
printf 'rules:\n  - id: late.stall\n    start: worker 42 stalled on queue\n' >"$tmp/late.yaml"
printf 'worker 49999 stalled on queue q1\nworker 5 stalled on queue q5\nworker 6 stalled on queue q7\nworker 42 stalled on queue q0\n' >"$tmp/many.log"
check "50,000 rules and 5,000 ignore rules load in seconds" 0 timeout 60 "$bin" rules check --rules "$tmp/many.yaml"
contains "all of them" "$out" "rules ok: 50011 rules, 5000 ignore rules"
check "a scan with them takes seconds too" 1 timeout 60 "$bin" -f json --rules "$tmp/many.yaml" --rules "$tmp/late.yaml" "$tmp/many.log"
contains "the last rule's line is found" "$out" '"bench.stall-49999": 1'
contains "an ignore rule naming its rule drops its line" "$out" '"bench.quiet-5": 1'
contains "and keeps the line it does not match" "$out" '"bench.stall-6": 1'
contains "of two rules with one literal the first wins" "$out" '"bench.stall-42": 1'

tap_end
