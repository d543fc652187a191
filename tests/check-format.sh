#!/usr/bin/env bash
# check-format.sh - fails when a C file under src/ or tests/ differs from
# what clang-format (with the committed .clang-format) would write.
set -eu
cd "$(dirname "$0")/.."
find src tests -name '*.[ch]' -print0 | xargs -0 clang-format --dry-run --Werror
