#!/usr/bin/env bash
# tests/fuzz/run.sh HARNESS SEEDS [libFuzzer flags...] - one time-boxed
# fuzzing run, as a test: the committed seeds are run first, then new
# inputs for TH_FUZZ_SECONDS (default 20). New inputs go to a scratch
# corpus, so the seeds stay as they are. A crash, leak, sanitizer report
# or broken invariant fails the test and prints the input (hex) so it can
# be replayed: save it and run `HARNESS FILE`.
set -u
harness=$1
seeds=$2
shift 2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/corpus"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# libFuzzer's own exit code for a finding is 77, which meson reads as
# "skipped": ask for 1
"$harness" -max_total_time="${TH_FUZZ_SECONDS:-20}" -print_final_stats=1 \
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
