#!/usr/bin/env bash
# bench/ripgrep14.sh DIR: puts Debian 13's ripgrep (14.1.1) in DIR/rg, to
# time tracehound against a newer ripgrep than Debian 12's 13.0.0 (see
# bench/README.md, "Which ripgrep").  Needs only Debian's packages: the
# trixie archive is read with a private apt state in DIR/apt (the
# machine's own sources and packages are not touched), and the binary,
# which needs glibc 2.39, is pointed at trixie's libc, libpcre2 and
# libgcc in DIR/lib with patchelf.  Then: PATH=DIR:$PATH bench/run.sh
# amd64 only (the libraries' directory and the loader are named here).
set -euo pipefail

[ $# = 1 ] || { echo "usage: bench/ripgrep14.sh DIR" >&2; exit 2; }
[ "$(dpkg --print-architecture)" = amd64 ] ||
    { echo "ripgrep14: amd64 only" >&2; exit 1; }
command -v patchelf >/dev/null ||
    { echo "ripgrep14: needs patchelf (apt-get update && apt-get install -y patchelf)" >&2; exit 1; }
mkdir -p "$1"
dir=$(cd "$1" && pwd)
apt=$dir/apt
# a run after a point release unpacks only the new packages
rm -rf "$apt/debs" "$dir/root"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" "$dir/root"
echo "deb http://deb.debian.org/debian trixie main" > "$apt/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
      -o APT::Sandbox::User=root)
apt-get "${opts[@]}" update -q >&2
(cd "$apt/debs" && apt-get "${opts[@]}" download ripgrep libc6 libpcre2-8-0 libgcc-s1 >&2)
for deb in "$apt"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
rm -rf "$dir/lib"
cp -a "$dir/root/usr/lib/x86_64-linux-gnu" "$dir/lib"
cp "$dir/root/usr/bin/rg" "$dir/rg"
patchelf --set-interpreter "$dir/lib/ld-linux-x86-64.so.2" --set-rpath "$dir/lib" "$dir/rg"
"$dir/rg" --version | head -1
