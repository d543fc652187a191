#!/bin/sh
# tools/build-release.sh BUILD [SRC [MESON_ARGS...]] - the release build:
# optimised, linked with LTO, and, with gcc, laid out by a profile of
# tracehound reading the sample logs (-fprofile-use, trained by
# tools/pgo-train.sh; docs/performance.md, "Release builds"). The
# benchmark (bench/run.sh) and README's build from source use it;
# debian/rules makes the package the same way. Another compiler gets the
# same build without the profile.
set -eu
[ $# -ge 1 ] || { echo "usage: tools/build-release.sh BUILD [SRC [MESON_ARGS...]]" >&2; exit 2; }
build=$1
src=${2:-.}
if [ $# -ge 2 ]; then shift 2; else shift 1; fi

# gcc, not clang (which defines __GNUC__ too but reads other profiles)
macros=$("${CC:-cc}" -dM -E - </dev/null 2>/dev/null || true)
case $macros in
*__clang__*) pgo=false ;;
*__GNUC__*) pgo=true ;;
*) pgo=false ;;
esac

# A build made before is made again whole: its profile counts belong to
# the sources it was trained on, and gcc refuses them for changed ones.
wipe=
[ ! -f "$build/build.ninja" ] || wipe=--wipe

if [ "$pgo" = false ]; then
	meson setup $wipe "$build" "$src" --buildtype=release -Db_lto=true "$@"
	ninja -C "$build"
	exit 0
fi
# Code the training never ran (another instruction set's search, a
# framing no sample has) is optimised as without a profile, not for size.
CFLAGS="${CFLAGS:-} -fprofile-partial-training"
export CFLAGS
meson setup $wipe "$build" "$src" --buildtype=release -Db_lto=true \
	-Db_pgo=generate "$@"
ninja -C "$build" tracehound
"$(dirname "$0")/pgo-train.sh" "$build/tracehound" "$src/sample-logs"
meson configure "$build" -Db_pgo=use
ninja -C "$build"
