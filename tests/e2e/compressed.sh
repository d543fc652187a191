#!/usr/bin/env bash
# compressed.sh - compressed inputs are read by content, whatever their
# name: every sample log compressed with gzip, zstd, xz and bzip2 (whole,
# and as two concatenated members, the way logrotate + cat make them)
# gives the very report of the plain log, from a file and on stdin; a
# whole member before a damaged one is scanned; a compression tracehound does
# not read (lz4, lzip) or a cut or damaged stream is an error naming the
# input, the other inputs are still reported, and the exit status is 2;
# so is an xz stream that needs more than 128 MiB to decode.
# Prints TAP. Needs TH_BIN and TH_SOURCE_ROOT.
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
root=${TH_SOURCE_ROOT:?TH_SOURCE_ROOT must name the source tree}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

compressors=(gzip zstd xz bzip2)
for c in "${compressors[@]}"; do
	command -v "$c" >/dev/null || { echo "Bail out! $c is not installed"; exit 1; }
done
pack() { # COMPRESSOR: stdin to stdout
	# without meson's MALLOC_PERTURB_, which makes xz fill its 94 MiB
	# of encoder tables byte by byte on every call
	case $1 in
	zstd) env -u MALLOC_PERTURB_ zstd -q -c ;;
	*) env -u MALLOC_PERTURB_ "$1" -c ;;
	esac
}

# report DIR: the JSON report of every log in DIR, run from DIR so that
# the inputs have the same names whatever their content; "exit N" last
report() {
	(cd "$1" && "$bin" --format json -- *.log 2>&1
		echo "exit $?")
}
same() { # NAME WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1" "$(diff <(echo "$2") <(echo "$3") | head -8)"
	fi
}

echo "TAP version 13"

mkdir -p "$tmp/plain"
for log in "$root"/sample-logs/py3.7/*.log "$root"/sample-logs/py3.12/*.log \
	"$root"/sample-logs/shapes/*.log; do
	cp "$log" "$tmp/plain/$(basename "$(dirname "$log")")-${log##*/}"
done
want=$(report "$tmp/plain")
for c in "${compressors[@]}"; do
	mkdir -p "$tmp/$c" "$tmp/$c-two"
	for log in "$tmp"/plain/*.log; do
		name=${log##*/}
		pack "$c" <"$log" >"$tmp/$c/$name"
		half=$(($(wc -l <"$log") / 2))
		{ head -n "$half" "$log" | pack "$c"
			tail -n +"$((half + 1))" "$log" | pack "$c"; } >"$tmp/$c-two/$name"
	done
	same "$c: every sample log reads as the plain log" "$want" \
		"$(report "$tmp/$c")"
	same "$c: in two concatenated members, as the plain log" "$want" \
		"$(report "$tmp/$c-two")"
done

log=$root/sample-logs/py3.12/callback_error.log
want=$("$bin" --format json - <"$log")
for c in "${compressors[@]}"; do
	got=$(pack "$c" <"$log" | "$bin" --format json -)
	[ "$got" = "$want" ] && ok "$c on stdin reads as the plain log" ||
		not_ok "$c on stdin reads as the plain log"
done

# errors: each is named, the good input is still reported, exit 2
cp "$log" "$tmp/good.log"
printf '\x04\x22\x4d\x18\x64\x40\xa7 not read\n' >"$tmp/app.log.lz4"
printf 'LZIP\x01\x0c not read\n' >"$tmp/app.log.lz"
pack xz <"$log" | head -c 300 >"$tmp/cut.log.xz"
pack bzip2 <"$log" | head -c 300 >"$tmp/cut.log.bz2"
pack xz <"$log" >"$tmp/bad.log.xz"
printf '\x55' | dd of="$tmp/bad.log.xz" bs=1 seek=200 conv=notrunc status=none
# a whole member, then one whose CRC-32 is wrong: the first is still read
pack gzip <"$log" >"$tmp/crc.gz"
size=$(stat -c %s "$tmp/crc.gz")
printf '\x55' | dd of="$tmp/crc.gz" bs=1 seek=$((size - 6)) conv=notrunc status=none
{ pack gzip <"$log"; cat "$tmp/crc.gz"; } >"$tmp/mid.log.gz"
# issue 13: 64 bytes that made liblzma allocate 1.5 GiB (`ulimit -v` and
# the whole scan aborted)
printf 'hello\n' | env -u MALLOC_PERTURB_ xz --lzma2=dict=1536MiB -c >"$tmp/dict.log.xz"
cases=("app.log.lz4:lz4 compressed data cannot be read"
	"app.log.lz:lzip compressed data cannot be read"
	"cut.log.xz:xz data is truncated" "cut.log.bz2:bzip2 data is truncated"
	"bad.log.xz:xz data is corrupt"
	"mid.log.gz:gzip data is corrupt (incorrect data check)"
	"dict.log.xz:xz data needs more than 128 MiB of memory to decode")
for case in "${cases[@]}"; do
	file=${case%%:*} msg=${case#*:}
	for jobs in 1 2; do
		"$bin" -j "$jobs" --format json "$tmp/$file" "$tmp/good.log" \
			>"$tmp/out" 2>"$tmp/err"
		st=$?
		[ "$st" -eq 2 ] && ok "$file -j $jobs: exit 2" ||
			not_ok "$file -j $jobs: exit 2" "exit $st"
		grep -qF "$tmp/$file: $msg" "$tmp/err" &&
			ok "$file -j $jobs: named with why on stderr" ||
			not_ok "$file -j $jobs: named with why on stderr" \
				"stderr: $(cat "$tmp/err")"
		grep -q '"name": ".*good.log"' "$tmp/out" &&
			grep -q '"ValueError"' "$tmp/out" &&
			ok "$file -j $jobs: the good input is still reported" ||
			not_ok "$file -j $jobs: the good input is still reported"
	done
done
"$bin" --format json "$tmp/mid.log.gz" >"$tmp/out" 2>/dev/null
grep -q '"input": ".*mid.log.gz"' "$tmp/out" &&
	ok "mid.log.gz: the member before the damaged one is scanned" ||
	not_ok "mid.log.gz: the member before the damaged one is scanned"
tap_end
