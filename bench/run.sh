#!/usr/bin/env bash
# tracehound benchmark: see bench/README.md.  One command: bench/run.sh
#
# Environment (defaults in brackets):
#   SPARSE_SIZE [1G]  DENSE_SIZE [256M]   sizes of the two generated logs
#   SPARSE_EVERY [20000]  DENSE_EVERY [200]  one event block per N lines
#   SEED [1]          generator seed
#   RUNS [5]          hyperfine runs per command (after 1 warmup run)
#   PEER_RUNS [3]     runs of the Python peer (no warmup: it is slow)
#   PEER_SPARSE [0]   1: also time the peer on the sparse file
#   ALLOW_MISMATCH [0] 1: keep measuring when tracehound disagrees with the truth
#   ONLY [sparse dense] which files to measure
#   DATA [bench/data] where logs, the build and hyperfine exports go
#   RESULTS [bench/results.md]
#   TH_REV [unset]    build this git revision (git archive into DATA/src-REV)
#                     instead of the working tree, e.g. TH_REV=HEAD while
#                     src/ is being edited
set -euo pipefail

cd "$(dirname "$0")/.."
SPARSE_SIZE=${SPARSE_SIZE:-1G}
DENSE_SIZE=${DENSE_SIZE:-256M}
SPARSE_EVERY=${SPARSE_EVERY:-20000}
DENSE_EVERY=${DENSE_EVERY:-200}
SEED=${SEED:-1}
RUNS=${RUNS:-5}
PEER_RUNS=${PEER_RUNS:-3}
PEER_SPARSE=${PEER_SPARSE:-0}
ALLOW_MISMATCH=${ALLOW_MISMATCH:-0}
ONLY=${ONLY:-sparse dense}
DATA=${DATA:-bench/data}
RESULTS=${RESULTS:-bench/results.md}
TH_REV=${TH_REV:-}
if [ -n "$TH_REV" ]; then
    REV_ID=$(git rev-parse --short "$TH_REV^{commit}") || { echo "bench: no revision $TH_REV" >&2; exit 1; }
    SRC=$DATA/src-$REV_ID
    BUILD=$DATA/build-$REV_ID
else
    SRC=.
    BUILD=$DATA/build
fi
TH=$BUILD/tracehound
ALT='never retrieved|Traceback \(most recent call last\)|was never awaited|destroyed but it is pending|Exception in callback'

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf '\nbench: FAILED: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
say "tools"
need=()
command -v rg >/dev/null || need+=(ripgrep)
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
command -v python3 >/dev/null || need+=(python3)
command -v meson >/dev/null || need+=(meson)
command -v ninja >/dev/null || need+=(ninja-build)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "installing: ${need[*]}" >&2
    $SUDO apt-get install -y --no-install-recommends "${need[@]}" ||
        { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends "${need[@]}"; }
fi
if ! pkg-config --exists libpcre2-8 yaml-0.1 2>/dev/null; then
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "installing the build dependencies of tools/debian-packages.txt" >&2
    $SUDO apt-get update && xargs -a tools/debian-packages.txt $SUDO apt-get install -y --no-install-recommends
fi

# ---------------------------------------------------------------- build
say "build (release) in $BUILD"
mkdir -p "$DATA"
if [ -n "$TH_REV" ] && [ ! -f "$SRC/meson.build" ]; then
    mkdir -p "$SRC.tmp"
    git archive "$REV_ID" | tar -x -C "$SRC.tmp"
    mv "$SRC.tmp" "$SRC"
fi
if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" "$SRC" --buildtype=release -Dtests=false >&2
fi
ninja -C "$BUILD" >&2
[ -x "$TH" ] || die "no $TH after the build"

# ---------------------------------------------------------------- data
file_for() {  # label -> path
    case $1 in
        sparse) echo "$DATA/sparse-$SPARSE_SIZE-every$SPARSE_EVERY-seed$SEED.log" ;;
        dense)  echo "$DATA/dense-$DENSE_SIZE-every$DENSE_EVERY-seed$SEED.log" ;;
    esac
}
say "logs (reused when present with the same seed, size, rate and generator)"
for label in $ONLY; do
    f=$(file_for "$label")
    case $label in
        sparse) python3 bench/gen_log.py --reuse --size "$SPARSE_SIZE" --every "$SPARSE_EVERY" --seed "$SEED" --out "$f" ;;
        dense)  python3 bench/gen_log.py --reuse --size "$DENSE_SIZE" --every "$DENSE_EVERY" --seed "$SEED" --out "$f" ;;
        *) die "unknown file label $label (ONLY takes sparse and/or dense)" ;;
    esac
done

# ---------------------------------------------------------------- correctness
say "correctness: tracehound's JSON report against the truth"
CHECKS=$DATA/checks.txt
: > "$CHECKS"
bad=0
for label in $ONLY; do
    f=$(file_for "$label")
    rc=0
    "$TH" --format json "$f" > "$f.report.json" 2> "$f.report.stderr" || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
        cat "$f.report.stderr" >&2
        die "tracehound exited $rc on $f"
    fi
    if ! python3 bench/check_truth.py "$f.report.json" "$f.truth.json" | tee -a "$CHECKS" >&2; then
        bad=1
    fi
done
if [ "$bad" -ne 0 ]; then
    if [ "$ALLOW_MISMATCH" = 1 ]; then
        echo "bench: WARNING: tracehound's counts differ from the truth (ALLOW_MISMATCH=1: measuring anyway)" >&2
    else
        die "tracehound's counts differ from the truth (above); ALLOW_MISMATCH=1 measures anyway"
    fi
fi

# ---------------------------------------------------------------- measure
RSS=$DATA/rss.tsv
LOAD=$DATA/load.tsv
: > "$RSS"
: > "$LOAD"
rss() {  # label name command: peak RSS in KiB of one run (incl. children)
    local out
    out=$( { /usr/bin/time -v sh -c "$3" >/dev/null; } 2>&1 |
           sed -n 's/.*Maximum resident set size (kbytes): //p' || true)
    printf '%s\t%s\t%s\n' "$1" "$2" "${out:-?}" >> "$RSS"
}

for label in $ONLY; do
    f=$(file_for "$label")
    say "measure $label: $f ($(stat -c %s "$f") bytes)"
    cat "$f" > /dev/null; cat "$f" > /dev/null   # page cache
    printf '%s\tbefore\t%s\n' "$label" "$(cut -d' ' -f1 /proc/loadavg)" >> "$LOAD"
    names=(cat "grep -c -F" "grep -c -E" "rg -c" "rg --no-mmap -c" "tracehound text" "tracehound json"
           "tracehound json -j 1" "tracehound json, AVX2 search")
    cmds=(
        "cat $f >/dev/null"
        "grep -c -F 'exception was never retrieved' $f | cat"
        "grep -c -E '$ALT' $f | cat"
        "rg -c '$ALT' $f | cat"
        "rg --no-mmap -c '$ALT' $f | cat"
        "$TH --format text $f >/dev/null"
        "$TH --format json $f >/dev/null"
        "$TH -j 1 --format json $f >/dev/null"
        "TRACEHOUND_SCAN=fingerprint $TH --format json $f >/dev/null"
    )
    args=()
    for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
    hyperfine --style basic -i --warmup 1 --runs "$RUNS" \
        --export-json "$DATA/hyperfine-$label.json" "${args[@]}" >&2
    for i in "${!names[@]}"; do rss "$label" "${names[$i]}" "${cmds[$i]}"; done

    if [ "$label" = dense ] || [ "$PEER_SPARSE" = 1 ]; then
        pcmd="python3 bench/peer.py $f >/dev/null"
        hyperfine --style basic -i --runs "$PEER_RUNS" \
            --export-json "$DATA/hyperfine-$label-peer.json" -n "python peer.py" "$pcmd" >&2
        rss "$label" "python peer.py" "$pcmd"
        python3 bench/peer.py "$f" > "$f.peer.json" || true
        python3 bench/check_truth.py --label "peer.py" --quiet "$f.peer.json" "$f.truth.json" \
            | tee -a "$CHECKS" >&2 || true
    else
        rm -f "$DATA/hyperfine-$label-peer.json"
    fi
    printf '%s\tafter\t%s\n' "$label" "$(cut -d' ' -f1 /proc/loadavg)" >> "$LOAD"
done

# ---------------------------------------------------------------- report
say "report"
CMDLINE="SEED=$SEED SPARSE_SIZE=$SPARSE_SIZE DENSE_SIZE=$DENSE_SIZE SPARSE_EVERY=$SPARSE_EVERY DENSE_EVERY=$DENSE_EVERY RUNS=$RUNS PEER_RUNS=$PEER_RUNS PEER_SPARSE=$PEER_SPARSE bench/run.sh"
args=()
for label in $ONLY; do args+=("$label=$(file_for "$label")"); done
[ -z "$TH_REV" ] || CMDLINE="TH_REV=$TH_REV $CMDLINE"
python3 bench/report.py --data "$DATA" --rss "$RSS" --load "$LOAD" --checks "$CHECKS" \
    --command "$CMDLINE" --alt "$ALT" --tracehound "$TH" --rev "${TH_REV:+$REV_ID}" \
    "${args[@]}" > "$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
cat "$RESULTS"
echo "bench: table written to $RESULTS" >&2
