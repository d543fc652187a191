#!/usr/bin/env bash
# Regenerate the held-out logs (gen/holdout/README.md) by really running
# the scenario programs of this directory under real CPythons.
#
#   gen/holdout/regenerate.sh [SCENARIO...]
#
# Writes   sample-logs/holdout/py3.X/<scenario>.log
#          tests/e2e/expected-holdout/py3.X/<scenario>.json
# for every installed version in $VERSIONS (default 3.6 .. 3.13 under
# $PYENV_ROOT/versions).  Modelled on gen/samples/regenerate.sh: the same
# explicit environment, a fixed staging directory ($TH_STAGE, default
# /tmp/hold) so that paths in the logs do not depend on the checkout, the
# facts written by the programs themselves (gen/samples/samplekit.py,
# copied next to them).  A program may say
#   # requires: 3.11          (skipped on older versions)
#   # exit: 1 130             (the exit statuses it may end with; default 0)
#   # interpreter: PATH       (run once, with that interpreter only)
#   # needs-module: NAME      (skipped where NAME cannot be imported)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYENV_ROOT=${PYENV_ROOT:-/root/.pyenv}
VERSIONS=${VERSIONS:-"3.6.15 3.7.16 3.8.18 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0"}
STAGE=${TH_STAGE:-/tmp/hold}
ALL_SCENARIOS=$(cd "$HERE" && for f in *.py; do
    if grep -q '^# expected: holdout$' "$f"; then echo "${f%.py}"; fi; done)
SCENARIOS=${*:-$ALL_SCENARIOS}

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
cp "$HERE"/../samples/samplekit.py "$STAGE"/
cp -R "$HERE"/billing "$HERE"/site-packages "$STAGE"/
rm -f "$STAGE"/score.py "$STAGE"/frame_logs.py

failures=0

run_one() {  # interpreter pyver scenario
    local py=$1 pyver=$2 scen=$3
    local logrel="sample-logs/holdout/py$pyver"
    local expdir="$ROOT/tests/e2e/expected-holdout/py$pyver"
    local logdir="$ROOT/$logrel"
    local log="$logdir/$scen.log" exp="$expdir/$scen.json"
    mkdir -p "$logdir" "$expdir"
    rm -f "$log" "$exp"
    local rc=0
    (cd "$STAGE" && env -i PATH=/usr/bin:/bin HOME="${HOME:-/root}" \
        LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=dumb \
        PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
        PYTHON_COLORS=0 \
        TH_EXPECT="$exp" TH_LOG="$logrel/$scen.log" \
        "$py" "$scen.py" >"$log" 2>&1) || rc=$?
    local want
    want=$(sed -n 's/^# exit: \(.*\)$/\1/p' "$HERE/$scen.py")
    want=${want:-0}
    if ! [[ " $want " == *" $rc "* ]] || [ ! -s "$exp" ]; then
        echo "  FAIL $scen (py$pyver): exit $rc, expected $want; see $log" >&2
        failures=$((failures + 1))
        return
    fi
    printf '  %-20s py%-5s %5d lines  %s events\n' "$scen" "$pyver" \
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
        grep -q '^# interpreter: ' "$HERE/$scen.py" && continue
        req=$(sed -n 's/^# requires: \([0-9.]*\)$/\1/p' "$HERE/$scen.py")
        if [ -n "$req" ] && ! "$py" -c "import sys; sys.exit(sys.version_info[:2] < tuple(map(int, '$req'.split('.'))))"; then
            echo "  skip $scen: needs Python $req"
            rm -f "$ROOT/sample-logs/holdout/py$pyver/$scen.log" \
                "$ROOT/tests/e2e/expected-holdout/py$pyver/$scen.json"
            continue
        fi
        run_one "$py" "$pyver" "$scen"
    done
done

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
    run_one "$interp" "$pyver" "$scen"
done

rm -rf "$STAGE"

# the framed variants (gen/holdout/frame_logs.py) of the logs just made
python3 "$HERE/frame_logs.py"

if [ "$failures" -ne 0 ]; then
    echo "regenerate: $failures failure(s)" >&2
    exit 1
fi
echo "regenerate: done"
