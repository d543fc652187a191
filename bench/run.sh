#!/usr/bin/env bash
# tracehound benchmark: see bench/README.md.  One command: bench/run.sh
#
# Workloads (ONLY selects some, in this order):
#   sparse    plain log, one event block per 20,000 lines
#   dense     plain log, one per 200 lines
#   crashloop plain log, nearly every line in an event
#   docker    the dense generator's log as Docker json-file lines
#   cri       the same as Kubernetes CRI lines, long lines cut into P pieces
#   gz zst    the dense log compressed (gzip -6, zstd -3), against the
#             decompressor alone
#   xz bz2    the same with xz -6 and bzip2 -9
#   groups    every event names a task, millions of distinct task names,
#             scanned with --group-by task and checked with sort | uniq -c
#
# Environment (defaults in brackets):
#   SPARSE_SIZE [1G]  DENSE_SIZE [256M]  CRASH_SIZE [256M]  WRAP_SIZE [128M]
#                     sizes of the generated logs (docker and cri wrap a
#                     WRAP_SIZE log of the dense generator; gz, zst, xz and
#                     bz2 compress the dense log)
#   SPARSE_EVERY [20000]  DENSE_EVERY [200]  CRASH_EVERY [1]
#                     one event block per N lines
#   CRI_MAX_LINE [2048] cri: lines longer than this are cut into P pieces
#   GROUPS_TASKS [5000000] groups: distinct task names
#   SEED [1]          generator seed
#   RUNS [5]          hyperfine runs per command (after 1 warmup run)
#   GROUPS_RUNS [RUNS] hyperfine runs on the groups log
#   SLOW_RUNS [3, or RUNS if fewer] runs on xz and bz2, the decompressor
#                     and tracehound (no warmup: bzip2 -dc alone takes 10 s)
#   PEER_RUNS [3]     runs of the Python peer (no warmup: it is slow)
#   PEER_SPARSE [0]   1: also time the peer on the sparse file
#   REREAD [1 as root, else 0]  1: on the text workloads, drop the page
#                     cache, read the file back once, and time rg -c and
#                     tracehound again: the kernel may then hold the file
#                     in large folios, where rg's mapped reads are fastest
#   ALLOW_MISMATCH [0] 1: keep measuring when tracehound disagrees with the truth
#   ONLY [sparse dense crashloop docker cri gz zst xz bz2 groups]
#   PREPARE_ONLY [0]  1: build and make the inputs, then stop (to measure
#                     later on a quieter machine)
#   INSTALL [0]       1: apt-get install the missing tools (else run.sh
#                     names them, prints the apt-get line and stops)
#   DATA [bench/data] where logs, the build and hyperfine exports go
#   RESULTS [bench/results.md]
#   PATH              the first rg on it is timed: Debian 12's is 13.0.0;
#                     bench/ripgrep14.sh DIR puts Debian 13's 14.1.1 in
#                     DIR, then PATH=DIR:$PATH bench/run.sh times that one
#   TH_REV [unset]    build this git revision (git archive into DATA/src-REV)
#                     instead of the working tree, e.g. TH_REV=HEAD while
#                     src/ is being edited
set -euo pipefail

cd "$(dirname "$0")/.."
SPARSE_SIZE=${SPARSE_SIZE:-1G}
DENSE_SIZE=${DENSE_SIZE:-256M}
CRASH_SIZE=${CRASH_SIZE:-256M}
WRAP_SIZE=${WRAP_SIZE:-128M}
SPARSE_EVERY=${SPARSE_EVERY:-20000}
DENSE_EVERY=${DENSE_EVERY:-200}
CRASH_EVERY=${CRASH_EVERY:-1}
CRI_MAX_LINE=${CRI_MAX_LINE:-2048}
GROUPS_TASKS=${GROUPS_TASKS:-5000000}
SEED=${SEED:-1}
RUNS=${RUNS:-5}
GROUPS_RUNS=${GROUPS_RUNS:-$RUNS}
SLOW_RUNS=${SLOW_RUNS:-$(( RUNS < 3 ? RUNS : 3 ))}
PEER_RUNS=${PEER_RUNS:-3}
PEER_SPARSE=${PEER_SPARSE:-0}
if [ -w /proc/sys/vm/drop_caches ]; then REREAD=${REREAD:-1}; else REREAD=${REREAD:-0}; fi
ALLOW_MISMATCH=${ALLOW_MISMATCH:-0}
ALL="sparse dense crashloop docker cri gz zst xz bz2 groups"
ONLY=${ONLY:-$ALL}
INSTALL=${INSTALL:-0}
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
# rg -c is given the triggers of the rules tracehound loads by default:
# each rule's start regex, one a line (bench/triggers.py), written once
# the build is there. ALT, the five triggers of the first rules (2026-11),
# is kept as a second yardstick ("rg -c, five triggers"): the rules grew
# to eleven on 2026-12-03 and the benchmark's rg went on searching five.
TRIGGERS=$DATA/triggers.txt
ALT='never retrieved|Traceback \(most recent call last\)|was never awaited|destroyed but it is pending|Exception in callback'

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf '\nbench: FAILED: %s\n' "$*" >&2; exit 1; }
selected() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
for label in $ONLY; do
    case " $ALL " in *" $label "*) ;; *) die "unknown workload $label (ONLY takes: $ALL)" ;; esac
done

# ---------------------------------------------------------------- tools
say "tools"
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO="sudo "
need=()
missing=()
want() {  # package, then the commands that need it
    local pkg=$1 c
    shift
    for c in "$@"; do
        if ! command -v "$c" >/dev/null; then
            need+=("$pkg"); missing+=("$c"); return
        fi
    done
}
want ripgrep rg
want hyperfine hyperfine
want time /usr/bin/time
want python3 python3
want meson meson
want ninja-build ninja
want pkg-config pkg-config
if selected gz; then want isal igzip; want gzip gzip zcat; fi
if selected zst; then want zstd zstd; fi
if selected xz; then want xz-utils xz; fi
if selected bz2; then want bzip2 bzip2; fi
if ! command -v pkg-config >/dev/null ||
   ! pkg-config --exists libpcre2-8 yaml-0.1 zlib libzstd jansson libxxhash 2>/dev/null; then
    missing+=("the build dependencies of tools/packages-build.txt")
    while read -r pkg; do [ -z "$pkg" ] || need+=("$pkg"); done < tools/packages-build.txt
fi
if [ ${#need[@]} -gt 0 ]; then
    mapfile -t need < <(printf '%s\n' "${need[@]}" | awk '!seen[$0]++')
    line="${SUDO}apt-get install -y --no-install-recommends ${need[*]}"
    if [ "$INSTALL" != 1 ]; then
        printf 'bench: missing: %s\n' "${missing[*]}" >&2
        printf 'bench: install them with\n    %s\n' "$line" >&2
        printf 'bench: (after %sapt-get update), or run bench/run.sh with INSTALL=1\n' "$SUDO" >&2
        exit 1
    fi
    echo "bench: INSTALL=1: $line" >&2
    $line || { ${SUDO}apt-get update && $line; }
fi

# ---------------------------------------------------------------- build
say "build (release: LTO, profile of the sample logs; tools/build-release.sh) in $BUILD"
mkdir -p "$DATA"
if [ -n "$TH_REV" ] && [ ! -f "$SRC/meson.build" ]; then
    mkdir -p "$SRC.tmp"
    git archive "$REV_ID" | tar -x -C "$SRC.tmp"
    mv "$SRC.tmp" "$SRC"
fi
# A revision's build is made once; the working tree's again each run (a
# profile trained on other sources is refused: tools/build-release.sh).
if [ -z "$TH_REV" ] || [ ! -f "$BUILD/build.ninja" ]; then
    tools/build-release.sh "$BUILD" "$SRC" -Dtests=false >&2
fi
ninja -C "$BUILD" >&2
[ -x "$TH" ] || die "no $TH after the build"
python3 bench/triggers.py "$SRC/patterns" > "$TRIGGERS.tmp" || die "bench/triggers.py $SRC/patterns"
mv "$TRIGGERS.tmp" "$TRIGGERS"
# site rules count: the timed runs load them too, and TRIGGERS has none
n_rules=$("$TH" rules check | sed -n 's/^rules ok: \([0-9]*\) rules.*/\1/p') ||
    die "$TH rules check failed"
[ "$(wc -l < "$TRIGGERS")" = "$n_rules" ] ||
    die "$TRIGGERS has $(wc -l < "$TRIGGERS") triggers, tracehound loads ${n_rules:-?} rules (a site's rules, a disabled rule?)"
rc=0; rg -c -f "$TRIGGERS" /dev/null >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || die "rg refuses $TRIGGERS (exit status $rc)"
RG="rg -c -f $TRIGGERS"

# ---------------------------------------------------------------- data
plain() {  # the generated plain log behind a workload
    case $1 in
        sparse) echo "$DATA/sparse-$SPARSE_SIZE-every$SPARSE_EVERY-seed$SEED.log" ;;
        dense|gz|zst|xz|bz2) echo "$DATA/dense-$DENSE_SIZE-every$DENSE_EVERY-seed$SEED.log" ;;
        crashloop) echo "$DATA/crashloop-$CRASH_SIZE-every$CRASH_EVERY-seed$SEED.log" ;;
        docker|cri) echo "$DATA/dense-$WRAP_SIZE-every$DENSE_EVERY-seed$SEED.log" ;;
        groups) echo "$DATA/tasks-$GROUPS_TASKS-seed$SEED.log" ;;
    esac
}
file_for() {  # the file a workload reads
    case $1 in
        docker|cri) echo "$(plain "$1" | sed 's/\.log$//').$1.log" ;;
        gz|zst|xz|bz2) echo "$(plain "$1").$1" ;;
        *) plain "$1" ;;
    esac
}
compress() {  # label: the command that writes the compressed dense log
    case $1 in
        gz) echo "gzip -6 -n -c" ;;
        zst) echo "zstd -3 -q -c" ;;
        xz) echo "xz -6 -T1 -c" ;;
        bz2) echo "bzip2 -9 -c" ;;
    esac
}
# the decompressor a compressed input is measured against, and the others
decompressor() {
    case $1 in
        gz) echo "igzip -dc" ;;
        zst) echo "zstd -dc" ;;
        xz) echo "xz -dc" ;;
        bz2) echo "bzip2 -dc" ;;
    esac
}
say "logs (reused when present with the same seed, size, rate and generator)"
gen() {  # label
    local f
    f=$(plain "$1")
    case $1 in
        sparse) python3 bench/gen_log.py --reuse --size "$SPARSE_SIZE" --every "$SPARSE_EVERY" --seed "$SEED" --out "$f" ;;
        dense|gz|zst|xz|bz2) python3 bench/gen_log.py --reuse --size "$DENSE_SIZE" --every "$DENSE_EVERY" --seed "$SEED" --out "$f" ;;
        crashloop) python3 bench/gen_log.py --reuse --size "$CRASH_SIZE" --every "$CRASH_EVERY" --seed "$SEED" --out "$f" ;;
        docker|cri) python3 bench/gen_log.py --reuse --size "$WRAP_SIZE" --every "$DENSE_EVERY" --seed "$SEED" --out "$f" ;;
        groups) python3 bench/gen_log.py --reuse --tasks "$GROUPS_TASKS" --seed "$SEED" --out "$f" ;;
    esac
}
for label in $ONLY; do
    gen "$label"
    p=$(plain "$label")
    f=$(file_for "$label")
    case $label in
        docker) python3 bench/wrap_lines.py docker --reuse --in "$p" --out "$f" ;;
        cri) python3 bench/wrap_lines.py cri --max-line "$CRI_MAX_LINE" --reuse --in "$p" --out "$f" ;;
        gz|zst|xz|bz2)
            cmd=$(compress "$label")
            if [ ! -f "$f" ] || [ "$f" -ot "$p" ] || ! grep -qxF "$cmd" "$f.how" 2>/dev/null; then
                echo "bench: $cmd $p > $f" >&2
                $cmd "$p" > "$f.tmp"
                mv "$f.tmp" "$f"
                echo "$cmd" > "$f.how"
            fi
            # the truth of what it holds, named after it
            python3 - "$p.truth.json" "$f.truth.json" "$f" "$cmd" <<'EOF'
import json, os, sys
src, dst, path, how = sys.argv[1:]
with open(src) as f:
    t = json.load(f)
t["file"] = os.path.basename(path)
t["params"] = dict(t["params"], compressed=how)
with open(dst, "w") as f:
    json.dump(t, f, indent=1)
    f.write("\n")
EOF
            ;;
        groups)
            if [ ! -f "$f.counts" ] || [ "$f.counts" -ot "$f.tasks" ]; then
                LC_ALL=C sort -S 1G "$f.tasks" | uniq -c > "$f.counts.tmp"
                mv "$f.counts.tmp" "$f.counts"
            fi
            ;;
    esac
done

[ "${PREPARE_ONLY:-0}" != 1 ] || { echo "bench: PREPARE_ONLY=1: the inputs are ready" >&2; exit 0; }

# The inputs just written are on disk before anything is timed: the
# kernel's writeback of some 2 GB would otherwise share the two cores with
# the first measurements (bench/README.md, "The table").
sync

# ---------------------------------------------------------------- correctness
say "correctness: tracehound's JSON report against the truth"
CHECKS=$DATA/checks.txt
TRUTH=$DATA/truth.tsv
: > "$CHECKS"
: > "$TRUTH"
bad=0
verdict() { printf '%s\t%s\n' "$1" "$2" >> "$TRUTH"; }
for label in $ONLY; do
    f=$(file_for "$label")
    rc=0
    if [ "$label" = groups ]; then
        # the report may be gigabytes: checked as a stream, never stored
        set +e
        "$TH" --format json --group-by task "$f" 2> "$f.report.stderr" |
            python3 bench/check_groups.py --key task --label "tracehound $(basename "$f")" - "$f.counts" > "$f.check"
        st=("${PIPESTATUS[@]}")
        set -e
        tee -a "$CHECKS" < "$f.check" >&2
        if [ "${st[0]}" -gt 1 ]; then cat "$f.report.stderr" >&2; die "tracehound exited ${st[0]} on $f"; fi
        if [ "${st[1]}" -eq 0 ]; then verdict "$label" OK; else verdict "$label" MISMATCH; bad=1; fi
        continue
    fi
    "$TH" --format json "$f" > "$f.report.json" 2> "$f.report.stderr" || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
        cat "$f.report.stderr" >&2
        die "tracehound exited $rc on $f"
    fi
    if python3 bench/check_truth.py "$f.report.json" "$f.truth.json" | tee -a "$CHECKS" >&2; then
        verdict "$label" OK
    else
        verdict "$label" MISMATCH
        bad=1
    fi
done
if [ "$bad" -ne 0 ]; then
    if [ "$ALLOW_MISMATCH" = 1 ]; then
        echo "bench: WARNING: tracehound's report differs from the truth (ALLOW_MISMATCH=1: measuring anyway)" >&2
    else
        die "tracehound's report differs from the truth (above); ALLOW_MISMATCH=1 measures anyway"
    fi
fi

# ---------------------------------------------------------------- measure
RSS=$DATA/rss.tsv
LOAD=$DATA/load.tsv
WORK=$DATA/workloads.tsv
FOLIOS=$DATA/folios.tsv
CORES=$DATA/cores.tsv
: > "$RSS"
: > "$FOLIOS"
: > "$CORES"
: > "$LOAD"
: > "$WORK"
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
    th_name="tracehound json"
    base="rg -c"
    runs=$RUNS
    warmup=1
    case $label in
        sparse|dense)
            names=(cat "grep -c -F" "grep -c -E, five triggers" "rg -c" "rg -c, five triggers"
                   "rg --no-mmap -c" "tracehound text" "tracehound json"
                   "tracehound json -j 1" "tracehound json, AVX2 search")
            cmds=(
                "cat $f >/dev/null"
                "grep -c -F 'exception was never retrieved' $f | cat"
                "grep -c -E '$ALT' $f | cat"
                "$RG $f | cat"
                "rg -c '$ALT' $f | cat"
                "rg --no-mmap -c -f $TRIGGERS $f | cat"
                "$TH --format text $f >/dev/null"
                "$TH --format json $f >/dev/null"
                "$TH -j 1 --format json $f >/dev/null"
                "TRACEHOUND_SCAN=fingerprint $TH --format json $f >/dev/null"
            ) ;;
        crashloop|docker|cri)
            names=(cat "rg -c" "rg -c, five triggers" "tracehound json" "tracehound json -j 1")
            cmds=(
                "cat $f >/dev/null"
                "$RG $f | cat"
                "rg -c '$ALT' $f | cat"
                "$TH --format json $f >/dev/null"
                "$TH -j 1 --format json $f >/dev/null"
            ) ;;
        gz|zst|xz|bz2)
            base=$(decompressor "$label")
            names=("$base")
            cmds=("$base $f >/dev/null")
            if [ "$label" = gz ]; then names+=(zcat); cmds+=("zcat $f >/dev/null"); fi
            if [ "$label" = gz ] || [ "$label" = zst ]; then
                names+=("rg -z -c"); cmds+=("rg -z -c -f $TRIGGERS $f | cat")
            fi
            names+=("tracehound json"); cmds+=("$TH --format json $f >/dev/null")
            if [ "$label" = xz ] || [ "$label" = bz2 ]; then
                # bzip2 -dc alone takes 10 s and more
                runs=$SLOW_RUNS
                warmup=0
            fi ;;
        groups)
            th_name="tracehound json -g task"
            runs=$GROUPS_RUNS
            names=(cat "rg -c" "tracehound json -g task")
            cmds=(
                "cat $f >/dev/null"
                "$RG $f | cat"
                "$TH --format json --group-by task $f >/dev/null"
            ) ;;
    esac
    printf '%s\t%s\t%s\t%s\n' "$label" "$f" "$base" "$th_name" >> "$WORK"
    args=()
    for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
    hyperfine --style basic -i --warmup "$warmup" --runs "$runs" \
        --export-json "$DATA/hyperfine-$label.json" "${args[@]}" >&2
    for i in "${!names[@]}"; do rss "$label" "${names[$i]}" "${cmds[$i]}"; done

    if [ "$label" = dense ] || { [ "$label" = sparse ] && [ "$PEER_SPARSE" = 1 ]; }; then
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

# After every workload's own measurement: the drop empties the whole page
# cache, so each file read back after it would be held the new way in the
# measurements above too.
for label in $ONLY; do
    rm -f "$DATA/hyperfine-$label-reread.json"
    case $REREAD:$label in
        1:sparse|1:dense|1:crashloop|1:docker|1:cri)
            f=$(file_for "$label")
            # a page cache read back at once may be held in large folios,
            # where rg's mapped reads are fastest (docs/performance.md,
            # "The page cache"): both states in one run
            sync
            echo 1 > /proc/sys/vm/drop_caches || die "REREAD=1 needs root (echo 1 > /proc/sys/vm/drop_caches)"
            cat "$f" > /dev/null
            printf '%s\t%s\n' "$label" "$(awk '/^FileHugePages:/ { print int($2 / 1024) }' /proc/meminfo)" >> "$FOLIOS"
            hyperfine --style basic -i --warmup 1 --runs "$RUNS" \
                --export-json "$DATA/hyperfine-$label-reread.json" \
                -n "rg -c, cache re-read" "$RG $f | cat" \
                -n "rg -c, five triggers, cache re-read" "rg -c '$ALT' $f | cat" \
                -n "tracehound json, cache re-read" "$TH --format json $f >/dev/null" >&2
            ;;
    esac
done

# Each core alone: a virtual machine's vCPUs may run at different speeds
# (one sharing its host core with another guest), and tracehound, which
# uses every core, then waits on the slowest while rg -c uses one
# (docs/performance.md, "Third session of 2026-12-06"). On the crash loop,
# else the dense or the sparse log: one thread pinned to each core in turn.
core_file=
for label in crashloop dense sparse; do
    case " $ONLY " in *" $label "*) core_file=$(file_for "$label"); break ;; esac
done
if [ -n "$core_file" ] && command -v taskset >/dev/null; then
    say "each core alone: $core_file"
    ncores=$(nproc)
    [ "$ncores" -le 8 ] || ncores=8
    for ((c = 0; c < ncores; c++)); do
        hyperfine --style basic -i --warmup 1 --runs 3 \
            --export-json "$DATA/hyperfine-core$c.json" \
            -n "tracehound json -j 1" "taskset -c $c $TH -j 1 --format json $core_file >/dev/null" \
            -n "rg -c" "taskset -c $c sh -c \"$RG $core_file | cat\"" >&2
        printf '%s\t%s\n' "$c" "$DATA/hyperfine-core$c.json" >> "$CORES"
    done
fi

# ---------------------------------------------------------------- report
say "report"
CMDLINE="SEED=$SEED SPARSE_SIZE=$SPARSE_SIZE DENSE_SIZE=$DENSE_SIZE CRASH_SIZE=$CRASH_SIZE WRAP_SIZE=$WRAP_SIZE SPARSE_EVERY=$SPARSE_EVERY DENSE_EVERY=$DENSE_EVERY CRASH_EVERY=$CRASH_EVERY CRI_MAX_LINE=$CRI_MAX_LINE GROUPS_TASKS=$GROUPS_TASKS RUNS=$RUNS GROUPS_RUNS=$GROUPS_RUNS SLOW_RUNS=$SLOW_RUNS PEER_RUNS=$PEER_RUNS PEER_SPARSE=$PEER_SPARSE REREAD=$REREAD"
[ "$ONLY" = "$ALL" ] || CMDLINE="ONLY='$ONLY' $CMDLINE"
[ "$ALLOW_MISMATCH" != 1 ] || CMDLINE="ALLOW_MISMATCH=1 $CMDLINE"
[ -z "$TH_REV" ] || CMDLINE="TH_REV=$TH_REV $CMDLINE"
# a ripgrep other than the system's (bench/ripgrep14.sh) is found first
# on PATH: the command says so
rg_dir=$(dirname "$(command -v rg)")
case $rg_dir in /usr/bin|/bin) ;; *) CMDLINE="PATH=$rg_dir:\$PATH $CMDLINE" ;; esac
CMDLINE="$CMDLINE bench/run.sh"
python3 bench/report.py --data "$DATA" --workloads "$WORK" --truth "$TRUTH" --rss "$RSS" \
    --load "$LOAD" --folios "$FOLIOS" --cores "$CORES" --checks "$CHECKS" --command "$CMDLINE" --alt "$ALT" --triggers "$TRIGGERS" --tracehound "$TH" \
    --rev "${TH_REV:+$REV_ID}" > "$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
cat "$RESULTS"
echo "bench: table written to $RESULTS" >&2
