#!/usr/bin/env bash
# bench/shapes.sh - the plain (dense), Docker json-file and Kubernetes CRI
# workloads of bench/run.sh alone, which now makes and checks them (see
# bench/README.md); the table goes to bench/data/shapes.md unless RESULTS
# says otherwise.  Takes run.sh's environment variables (WRAP_SIZE,
# CRI_MAX_LINE, RUNS, TH_REV...).
set -euo pipefail
cd "$(dirname "$0")/.."
export ONLY=${ONLY:-dense docker cri}
export RESULTS=${RESULTS:-bench/data/shapes.md}
exec bench/run.sh "$@"
