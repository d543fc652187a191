#!/usr/bin/env bash
# Regenerate the input-shape sample logs (issue 3) and their expected facts.
#
#   gen/shapes/regenerate.sh [SHAPE...]   # all shapes, or those named
#
# Writes   sample-logs/shapes/<shape>.log
#          tests/e2e/expected/shapes/<shape>.json
# Two kinds (see gen/shapes/README.md):
#   * real runs: the scenario programs of gen/samples/ (and escapes.py from
#     here) run under CPython 3.12 / 3.13 with their logging switched to a
#     JSON, colored or tab-separated formatter by logfmt/sitecustomize.py
#     (TH_LOG_FORMAT); the expected facts are the programs' own (samplekit);
#   * wrapped: committed real logs of sample-logs/py3.X/ put into the
#     framings of container runtimes, journald, kubectl, docker compose...
#     by wrap.py (deterministic), facts = union of the sources' facts.
# Idempotent: every output is rewritten.  The wrapped logs are identical
# from run to run; the real runs differ only in timestamps and 0x addresses,
# their expected facts not at all.  Finally check.py re-derives the facts
# from the logs with an independent parser.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYENV_ROOT=${PYENV_ROOT:-/root/.pyenv}
PY312=${PY312:-$PYENV_ROOT/versions/3.12.1/bin/python3}
PY313=${PY313:-$PYENV_ROOT/versions/3.13.0/bin/python3}
PYTHON=${PYTHON:-python3}          # runs wrap.py / check.py (3.7+)
STAGE=${TH_STAGE:-/tmp/app}
LOGS=sample-logs/shapes
EXP=tests/e2e/expected/shapes

ONLY=" $* "
cd "$ROOT"
mkdir -p "$LOGS" "$EXP"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0

# wanted SHAPE: whether SHAPE is to be made (no names given: every one)
wanted() {
    [ "$ONLY" = "  " ] || [[ "$ONLY" == *" $1 "* ]]
}

# --------------------------------------------------------------- real runs
# Same staging directory and protocol as gen/samples/regenerate.sh, so the
# paths in the logs (/tmp/app/<scenario>.py) are the same as in the bare
# samples.
exec 9>"$STAGE.lock"
flock 9
if [ -e "$STAGE" ] && [ ! -e "$STAGE/.tracehound-stage" ]; then
    echo "regenerate: $STAGE exists and is not a tracehound staging dir; set TH_STAGE" >&2
    exit 2
fi
rm -rf "$STAGE"
mkdir -p "$STAGE/_logfmt"
touch "$STAGE/.tracehound-stage"
cp "$ROOT"/gen/samples/*.py "$HERE/escapes.py" "$STAGE"/
cp "$HERE/logfmt/sitecustomize.py" "$STAGE/_logfmt/"

expected_rc() {
    case "$1" in
        uncaught|taskgroup) echo 1 ;;
        *) echo 0 ;;
    esac
}

# run_one PYTHON FORMAT SCENARIO [ENV=VALUE...]: $WORK/<format>-<scenario>.{log,json}
run_one() {
    local py=$1 fmt=$2 scen=$3
    shift 3
    local out="$WORK/${fmt:-plain}-$scen"
    local rc=0
    (cd "$STAGE" && env -i PATH=/usr/bin:/bin HOME="${HOME:-/root}" \
        LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=dumb \
        PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
        PYTHON_COLORS=0 PYTHONPATH="$STAGE/_logfmt" TH_LOG_FORMAT="$fmt" \
        TH_EXPECT="$out.json" TH_LOG="" \
        "$@" "$py" "$scen.py" >"$out.log" 2>&1) || rc=$?
    if [ "$rc" != "$(expected_rc "$scen")" ] || [ ! -s "$out.json" ]; then
        echo "  FAIL $scen ($fmt, $py): exit $rc; see $out.log" >&2
        sed 's/^/    | /' "$out.log" | tail -5 >&2
        failures=$((failures + 1))
    fi
}

# runs SHAPE FRAMING PYTHON FORMAT "SCENARIOS" [ENV=VALUE...]
runs() {
    local shape=$1 framing=$2 py=$3 fmt=$4 scens=$5
    shift 5
    wanted "$shape" || return 0
    if [ ! -x "$py" ]; then
        echo "skip $shape: $py is not installed (set PY312 / PY313)" >&2
        return
    fi
    local pyver
    pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    local srcs=() labels=()
    for scen in $scens; do
        run_one "$py" "$fmt" "$scen" "$@"
        srcs+=("$WORK/${fmt:-plain}-$scen.log=$WORK/${fmt:-plain}-$scen.json")
        labels+=(--label "run: $scen.py, python $pyver${fmt:+, TH_LOG_FORMAT=$fmt}${*:+, $*}")
    done
    "$PYTHON" "$HERE/wrap.py" "$framing" --out "$LOGS/$shape.log" \
        --expected "$EXP/$shape.json" "${labels[@]}" "${srcs[@]}"
}

runs escapes-plain           concat      "$PY312" ""                 "escapes"
runs json-python-json-logger concat      "$PY312" python-json-logger "never_retrieved future_never_retrieved escapes"
runs json-structlog          concat      "$PY312" structlog          "callback_error taskgroup escapes"
runs ansi-colorlog           concat      "$PY313" colorlog           "never_retrieved uncaught taskgroup" PYTHON_COLORS=1
runs whitespace              trailing-ws "$PY312" tsv                "callback_error never_retrieved"

# syslog_runs SHAPE PYTHON TAG "SCENARIOS": the scenarios log through
# logging.handlers.SysLogHandler (TH_LOG_FORMAT=syslog) to a real
# rsyslogd, which writes each message as one line of its traditional
# file format, control characters escaped ("\n" as "#012"); its file,
# one per scenario, is the shape. The host is "web-1" (localHostname),
# so the log does not name the machine that made it.
syslog_runs() {
    local shape=$1 py=$2 tag=$3 scens=$4
    wanted "$shape" || return 0
    if ! command -v rsyslogd >/dev/null; then
        echo "skip $shape: rsyslogd is not installed (Debian's rsyslog)" >&2
        return
    fi
    if [ ! -x "$py" ]; then
        echo "skip $shape: $py is not installed (set PY312 / PY313)" >&2
        return
    fi
    local pyver srcs=() labels=()
    pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    for scen in $scens; do
        local out="$WORK/rsyslog-$scen.log" sock="$WORK/rsyslog.sock"
        rm -f "$out" "$sock"
        cat >"$WORK/rsyslog.conf" <<CONF
global(workDirectory="$WORK" localHostname="web-1")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$sock")
*.* action(type="omfile" file="$out" template="RSYSLOG_TraditionalFileFormat")
CONF
        rsyslogd -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslog.pid" &
        local rs=$!
        for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
        run_one "$py" syslog "$scen" TH_SYSLOG_SOCKET="$sock" \
            TH_SYSLOG_IDENT="$tag: "
        sleep 1 # rsyslogd writes its queue out
        kill "$rs"
        wait "$rs" || true
        srcs+=("$out=$WORK/syslog-$scen.json")
        labels+=(--label "run: $scen.py, python $pyver, logging.handlers.SysLogHandler to rsyslogd")
    done
    local names
    names=$(for _ in $scens; do printf '%s,' "$tag"; done)
    "$PYTHON" "$HERE/wrap.py" rsyslog --out "$LOGS/$shape.log" \
        --expected "$EXP/$shape.json" --names "${names%,}" \
        "${labels[@]}" "${srcs[@]}"
}

syslog_runs rsyslog-escaped "$PY312" billing "never_retrieved callback_error"

rm -rf "$STAGE"

# ------------------------------------------------------------ wrapped logs
S=sample-logs
wrap() {  # SHAPE FRAMING SEED [--names N] SOURCES...
    local shape=$1 framing=$2 seed=$3
    shift 3
    wanted "$shape" || return 0
    "$PYTHON" "$HERE/wrap.py" "$framing" --seed "$seed" \
        --out "$LOGS/$shape.log" --expected "$EXP/$shape.json" "$@"
}
wrap cri                       cri       101 $S/py3.12/never_retrieved.log $S/py3.12/callback_error.log
wrap docker-json               docker    102 $S/py3.12/taskgroup.log $S/py3.12/destroyed_pending.log
wrap syslog                    syslog    103 --names 'app[1234],app[1240]' \
    $S/py3.12/never_retrieved.log $S/py3.6/never_retrieved.log
wrap journal-short-iso         short-iso 104 --names 'worker[812],gateway[815]' \
    $S/py3.12/taskgroup.log $S/py3.12/future_never_retrieved.log
wrap kubectl-prefix            kubectl   105 --names api-7d9f8c6b5-x2xkq,api-7d9f8c6b5-q8wzn \
    $S/py3.12/callback_error.log $S/py3.12/sentry_wrapper.log
wrap kubectl-prefix-timestamps kubectl-ts 106 --names api-7d9f8c6b5-x2xkq,api-5c4b9d7f8-mz6tp \
    $S/py3.12/never_retrieved.log $S/py3.11/never_retrieved.log
wrap compose                   compose   107 --names api-1,worker-1 \
    $S/py3.12/uncaught.log $S/py3.12/taskgroup.log
wrap crlf-bom                  crlf-bom  108 $S/py3.12/future_never_retrieved.log $S/py3.12/destroyed_pending.log
wrap journal-json              journal-json 109 --names 'worker[812],api[977]' \
    $S/py3.12/never_retrieved.log $S/py3.13/uncaught_color.log
wrap journal-short-multiline   journal-short 110 --names 'billing[4242]' \
    "$LOGS/rsyslog-escaped.log=$EXP/rsyslog-escaped.json"

# -------------------------------------------------------------- cross-check
if ! "$PYTHON" "$HERE/check.py" "$ROOT"; then
    failures=$((failures + 1))
fi
if [ "$failures" -ne 0 ]; then
    echo "regenerate: $failures failure(s)" >&2
    exit 1
fi
echo "regenerate: done"
