#!/usr/bin/env bash
# tools/compare-outputs.sh - prove that two tracehound binaries behave the
# same: run both over every sample log, every log shape and the benchmark
# files, in every format, with -j 1 and -j 2 (and through stdin, several
# inputs at once, every --group-by key, a time window, `rules test` and
# `merge`), and compare stdout, stderr and the exit status byte for byte.
#
#   tools/compare-outputs.sh OLD_BINARY NEW_BINARY
#
# Prints one line per difference and a last line "N runs, N differ";
# exits 1 when anything differs.  A refactoring is done when this prints
# no difference with the binary from before it as OLD (README, "Layout").
#
# Environment:
#   BENCH_DIR [bench/data]  where the benchmark logs are (made with
#                           bench/gen_log.py when missing)
#   BENCH [1]               0: leave the benchmark logs out (quick run)
#   SPARSE_SIZE [1G]  DENSE_SIZE [256M]  sizes of the benchmark logs
#   KEEP [unset]            a directory to keep the two outputs of each
#                           run that differs in
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
	echo "usage: tools/compare-outputs.sh OLD_BINARY NEW_BINARY" >&2
	exit 2
fi
OLD=$(realpath "$1")
NEW=$(realpath "$2")
BENCH=${BENCH:-1}
BENCH_DIR=${BENCH_DIR:-bench/data}
SPARSE_SIZE=${SPARSE_SIZE:-1G}
DENSE_SIZE=${DENSE_SIZE:-256M}
KEEP=${KEEP:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=0
differ=0

# run_both NAME STDIN ARGS...: run OLD and NEW with ARGS (STDIN is a file
# for standard input, or - for none) and compare what they print.
run_both() {
	local name=$1 stdin=$2
	shift 2
	local bin side
	for side in old new; do
		bin=$OLD
		[ "$side" = new ] && bin=$NEW
		if [ "$stdin" = - ]; then
			"$bin" "$@" </dev/null >"$work/$side.out" 2>"$work/$side.err"
		else
			"$bin" "$@" <"$stdin" >"$work/$side.out" 2>"$work/$side.err"
		fi
		echo "exit $?" >>"$work/$side.err"
		# each binary names the patterns/ of its own source tree
		# (messages, and `rules check`'s list of the files it read)
		sed -i -E 's#[^ (]*/patterns/#PATTERNS/#g' "$work/$side.err" \
			"$work/$side.out"
	done
	runs=$((runs + 1))
	if ! cmp -s "$work/old.out" "$work/new.out" ||
		! cmp -s "$work/old.err" "$work/new.err"; then
		differ=$((differ + 1))
		echo "differs: $name: $*"
		diff "$work/old.err" "$work/new.err" | head -n 5
		diff "$work/old.out" "$work/new.out" | head -n 10
		if [ -n "$KEEP" ]; then
			mkdir -p "$KEEP/$differ"
			cp "$work"/old.* "$work"/new.* "$KEEP/$differ/"
			echo "$name: $*" >"$KEEP/$differ/command"
		fi
	fi
}

# every_format NAME ARGS...: ARGS in each format, with -j 1 and -j 2.
every_format() {
	local name=$1 format jobs
	shift
	for format in text json ndjson markdown github; do
		for jobs in 1 2; do
			run_both "$name" - --color=never -j "$jobs" -f "$format" "$@"
		done
	done
}

bench_logs() {
	[ "$BENCH" = 1 ] || return 0
	mkdir -p "$BENCH_DIR"
	local sparse=$BENCH_DIR/sparse-$SPARSE_SIZE-every20000-seed1.log
	local dense=$BENCH_DIR/dense-$DENSE_SIZE-every200-seed1.log
	python3 bench/gen_log.py --reuse --size "$SPARSE_SIZE" --every 20000 \
		--seed 1 --out "$sparse" >&2 || exit 2
	python3 bench/gen_log.py --reuse --size "$DENSE_SIZE" --every 200 \
		--seed 1 --out "$dense" >&2 || exit 2
	printf '%s\n' "$sparse" "$dense"
}

mapfile -t samples < <(find sample-logs -type f -name '*.log' | sort)
mapfile -t bench < <(bench_logs)

# each input alone, every format and job count
for f in "${samples[@]}" "${bench[@]}"; do
	every_format "$f" "$f"
done

# all the samples at once, a directory walk, standard input, compressed
for format in text json ndjson markdown github; do
	run_both all-files - -f "$format" --color=never "${samples[@]}"
	run_both directory - -f "$format" --color=never -j 2 sample-logs
	run_both stdin sample-logs/py3.12/taskgroup.log -f "$format" -
done
gzip -c sample-logs/py3.11/never_retrieved.log >"$work/in.log.gz"
zstd -q -c sample-logs/py3.11/callback_error.log >"$work/in.log.zst"
every_format compressed "$work/in.log.gz" "$work/in.log.zst"

# every group-by key and a time window, over all samples
for key in coroutine rule exception task input defined_at \
	rule,exception coroutine,task; do
	run_both "group-by $key" - -f json -g "$key" "${samples[@]}"
	run_both "group-by $key" - -f text --color=never -g "$key" "${samples[@]}"
done
run_both window - -f json --since 2026-11-26T11:05:00 \
	--until 2026-11-26T11:06:00 "${samples[@]}"
run_both top - -f text --color=never --top 3 --examples 2 "${samples[@]}"
for level in error warning info never; do
	run_both fail-on - -f json --fail-on "$level" "${samples[@]}"
done

# rule files: the example of patterns/README.md, and bad ones (each error
# message, its position, caret and suggestion)
rules_dir=$work/rules
mkdir -p "$rules_dir"
sed -n '/^```yaml$/,/^```$/p' patterns/README.md | sed -n '2,/^```$/p' |
	sed '$d' >"$rules_dir/example.yaml"
printf 'rules:\n  - id: x.bad\n    start: "unclosed ("\n' >"$rules_dir/badre.yaml"
printf 'rules:\n  - id: x.bad\n    serverity: error\n    start: "x"\n' >"$rules_dir/badkey.yaml"
printf 'rules:\n  - id: x.a\n    start: "x"\n   bad: [\n' >"$rules_dir/syntax.yaml"
printf 'rules:\n  - id: python.traceback\n    start: "x"\n' >"$rules_dir/dup.yaml"
printf 'ignore:\n  - id: no-val\n    exception: "ValueError"\n  - id: no-flaky\n    coroutine: "^flaky$"\n' >"$rules_dir/ignore.yaml"
printf 'rules:\n  - id: x.sev\n    severity: fatal\n    start: "x"\n' >"$rules_dir/badsev.yaml"
printf 'prefixes:\n  - id: p\n    regex: "(?<time>x"\n' >"$rules_dir/badprefix.yaml"
for r in "$rules_dir"/*.yaml; do
	run_both "rules $r" - -f json --rules "$r" "${samples[@]}"
	run_both "rules check $r" - rules check "$r"
	run_both "rules test $r" - rules test --color=never --rules "$r" \
		sample-logs/py3.12/never_retrieved.log
done

# rules test and rules check
for f in "${samples[@]}"; do
	run_both "rules test" - rules test --color=never "$f"
done
run_both "rules check" - rules check --no-default-rules patterns

# merge: reports of each sample, merged in one go and in two halves
i=0
for f in "${samples[@]}"; do
	"$OLD" -f json "$f" >"$work/report-$i.json" 2>/dev/null
	i=$((i + 1))
done
for format in text json markdown github; do
	run_both merge - merge -f "$format" --color=never "$work"/report-*.json
done

echo "$runs runs, $differ differ"
[ "$differ" -eq 0 ]
