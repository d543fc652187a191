#!/usr/bin/env bash
# Regenerate tracehound's sample logs and their expected facts by really
# running the scenario programs in this directory under real CPythons.
#
#   gen/samples/regenerate.sh [SCENARIO...]
#
# Writes   sample-logs/py3.X/<scenario>.log
#          tests/e2e/expected/py3.X/<scenario>.json
# (sample-logs/next/py3.X/<scenario>.log and
# tests/e2e/expected-next/py3.X/<scenario>.json for the scenarios whose
# program says "# expected: next": kept out of the sample-logs/py3.X
# directories whose whole report tests assert; gen/samples/README.md)
# for every installed version in $VERSIONS (default: 3.6 .. 3.13 under
# $PYENV_ROOT/versions); a version that is not installed is skipped with a
# message.  Idempotent: old outputs of a (scenario, version) are replaced.
#
# The programs are copied to a fixed staging directory ($TH_STAGE, default
# /tmp/app) and run there as "python3 <scenario>.py", so the paths in the
# logs do not depend on where the repository is checked out (3.6-3.8 print
# the relative script name, 3.9+ make it absolute: /tmp/app/<scenario>.py).
# The environment is explicit (env -i): PYTHONHASHSEED=0, no
# PYTHONASYNCIODEBUG, no PYTHONTRACEMALLOC, no PYTHONDEVMODE, no
# PYTHONWARNINGS, PYTHON_COLORS=0; each program switches debug mode,
# tracemalloc and warning filters on itself where its scenario needs them.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYENV_ROOT=${PYENV_ROOT:-/root/.pyenv}
VERSIONS=${VERSIONS:-"3.6.15 3.7.16 3.8.18 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0"}
STAGE=${TH_STAGE:-/tmp/app}
ALL_SCENARIOS="never_retrieved future_never_retrieved destroyed_pending never_awaited callback_error uncaught taskgroup debug_mode many_tasks sentry_wrapper culprit unraisable trigger_text framework_handlers adjacent adjacent_groups group_box record_traceback transport_errors unclosed_session aiohttp_real slow_callback unittest_glued research_shapes loguru_handlers structlog_dicts structlog_kv uvloop_loop rich_traceback prefix_times"
SCENARIOS=${*:-$ALL_SCENARIOS}

# exit status each scenario is expected to end with
expected_rc() {
    case "$1" in
        uncaught|taskgroup|adjacent|adjacent_groups|group_box|rich_traceback) echo 1 ;;
        *) echo 0 ;;
    esac
}

# staging directory: only ever remove one we created ourselves
exec 9>"$STAGE.lock"
flock 9
if [ -e "$STAGE" ] && [ ! -e "$STAGE/.tracehound-stage" ]; then
    echo "regenerate: $STAGE exists and is not a tracehound staging dir; set TH_STAGE" >&2
    exit 2
fi
rm -rf "$STAGE"
mkdir -p "$STAGE"
touch "$STAGE/.tracehound-stage"
cp "$HERE"/*.py "$STAGE"/
cp -R "$HERE"/site-packages "$STAGE"/

failures=0

run_one() {  # version-dir pyver scenario logname [extra env...]
    local py=$1 pyver=$2 scen=$3 name=$4
    shift 4
    local logrel="sample-logs/py$pyver" expdir="$ROOT/tests/e2e/expected/py$pyver"
    if grep -q '^# expected: next$' "$HERE/$scen.py"; then
        logrel="sample-logs/next/py$pyver"
        expdir="$ROOT/tests/e2e/expected-next/py$pyver"
    fi
    local logdir="$ROOT/$logrel"
    local log="$logdir/$name.log" exp="$expdir/$name.json"
    mkdir -p "$logdir" "$expdir"
    rm -f "$log" "$exp"
    local rc=0
    (cd "$STAGE" && env -i PATH=/usr/bin:/bin HOME="${HOME:-/root}" \
        LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=dumb \
        PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
        PYTHON_COLORS=0 \
        TH_EXPECT="$exp" TH_LOG="$logrel/$name.log" \
        "$@" "$py" "$scen.py" >"$log" 2>&1) || rc=$?
    local want
    want=$(expected_rc "$scen")
    if [ "$rc" != "$want" ] || [ ! -s "$exp" ]; then
        echo "  FAIL $name (py$pyver): exit $rc, expected $want; see $log" >&2
        failures=$((failures + 1))
        return
    fi
    printf '  %-24s py%-5s %5d lines  %s events\n' "$name" "$pyver" \
        "$(wc -l <"$log")" "$(sed -n 's/^  "events": \([0-9]*\),$/\1/p' "$exp")"
}

for v in $VERSIONS; do
    py="$PYENV_ROOT/versions/$v/bin/python3"
    if [ ! -x "$py" ]; then
        echo "skip: Python $v is not installed ($py)" >&2
        continue
    fi
    pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    echo "Python $v"
    for scen in $SCENARIOS; do
        if [ ! -f "$HERE/$scen.py" ]; then
            echo "unknown scenario: $scen" >&2
            exit 2
        fi
        if grep -q '^# interpreter: ' "$HERE/$scen.py"; then
            continue  # run once, below, with its own interpreter
        fi
        req=$(sed -n 's/^# requires: \([0-9.]*\)$/\1/p' "$HERE/$scen.py")
        if [ -n "$req" ] && ! "$py" -c "import sys; sys.exit(sys.version_info[:2] < tuple(map(int, '$req'.split('.'))))"; then
            echo "  skip $scen: needs Python $req"
            rm -f "$ROOT/sample-logs/py$pyver/$scen.log" "$ROOT/tests/e2e/expected/py$pyver/$scen.json" \
                "$ROOT/sample-logs/next/py$pyver/$scen.log" "$ROOT/tests/e2e/expected-next/py$pyver/$scen.json"
            continue
        fi
        run_one "$py" "$pyver" "$scen" "$scen"
        # 3.13+ can color tracebacks: a second, colored run of "uncaught"
        if [ "$scen" = uncaught ] && "$py" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 13))'; then
            run_one "$py" "$pyver" "$scen" uncaught_color PYTHON_COLORS=1
        fi
    done
done

# scenarios tied to one interpreter ("# interpreter: PATH"), e.g. the
# system CPython for which Debian packages aiohttp
for scen in $SCENARIOS; do
    interp=$(sed -n 's/^# interpreter: \(.*\)$/\1/p' "$HERE/$scen.py")
    [ -n "$interp" ] || continue
    mod=$(sed -n 's/^# needs-module: \(.*\)$/\1/p' "$HERE/$scen.py")
    if [ ! -x "$interp" ] || { [ -n "$mod" ] && ! "$interp" -c "import $mod" 2>/dev/null; }; then
        echo "skip $scen: $interp${mod:+ with $mod} is not available" >&2
        continue
    fi
    pyver=$("$interp" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    echo "$interp ($("$interp" -c 'import platform; print(platform.python_version())'))"
    run_one "$interp" "$pyver" "$scen" "$scen"
done

rm -rf "$STAGE"

# independent cross-check of the expectations against the produced logs
if ! python3 "$HERE/crosscheck.py" "$ROOT"; then
    failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
    echo "regenerate: $failures failure(s)" >&2
    exit 1
fi
echo "regenerate: done"
