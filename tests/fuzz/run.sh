#!/usr/bin/env bash
# tests/fuzz/run.sh HARNESS SEEDS RUNS [libFuzzer flags...] - one fuzzing
# run, as a test: the committed seeds first, then RUNS new inputs from a
# fixed seed, so the run is the same on every machine and a CI result does
# not depend on luck (a code change still changes what is explored). With
# TH_FUZZ_SECONDS set, it explores for that long from a random seed
# instead. New inputs go to a scratch corpus, so the seeds stay as they
# are. A crash, leak, sanitizer report or broken invariant fails the test
# and prints the input (hex) so it can be replayed: save it and run
# `HARNESS FILE`.
set -u
harness=$1
seeds=$2
runs=$3
shift 3
if [ -n "${TH_FUZZ_SECONDS:-}" ]; then
	budget=(-max_total_time="$TH_FUZZ_SECONDS")
else
	budget=(-seed=1 -runs="$runs" -max_total_time=300)
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/corpus"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# libFuzzer's own exit code for a finding is 77, which meson reads as
# "skipped": ask for 1
"$harness" "${budget[@]}" -print_final_stats=1 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-artifact_prefix="$scratch/" "$@" "$scratch/corpus" "$seeds"
status=$?
for found in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* \
	"$scratch"/oom-*; do
	[ -e "$found" ] || continue
	echo "input that failed ($(basename "$found")), as hex:"
	od -An -tx1 -v "$found"
done
exit $status
