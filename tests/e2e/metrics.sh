#!/usr/bin/env bash
# metrics.sh - --metrics FILE: two --state runs with a rotation between
# write counters that only go up (and count each event once), the group
# series are bounded, log text in label values stays valid, a failed run
# still says so, and every file passes `promtool check metrics` (Debian
# package prometheus). Prints TAP. promtool missing: its checks are
# skipped, but fail in CI (CI or TH_PACKAGE_TEST set), where it must be.
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
export TRACEHOUND_SETTLE_SECONDS=0 # the logs below are written and done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1" "expected: $2" "got:      $3"
	fi
}
# A traceback whose innermost function (the group's coroutine) is NAME.
ev() {
	printf 'Traceback (most recent call last):\n'
	printf '  File "/app/x.py", line 1, in %s\n    boom()\n' "$1"
	printf 'ValueError: %s failed\n' "$1"
}
# The value of series SERIES (name and labels, as written) in FILE.
value() { # FILE SERIES (through the environment: awk -v reads escapes)
	S=$2 awk 'substr($0, 1, length(ENVIRON["S"]) + 1) == ENVIRON["S"] " " {
		print $NF }' "$1"
}
# Every series of FILE1 that FILE2 also has and holds less there.
went_down() { # FILE1 FILE2
	awk '/^#/ || /_last_run_|_new_groups / { next }
	     NR == FNR { v[$1] = $2; next }
	     ($1 in v) && $2 + 0 < v[$1] + 0 { print $1 " " v[$1] " -> " $2 }' \
		"$1" "$2"
}
have_promtool=yes
command -v promtool >/dev/null || have_promtool=no
promcheck() { # NAME FILE
	if [ $have_promtool = no ]; then
		if [ -n "${CI:-}${TH_PACKAGE_TEST:-}" ]; then
			not_ok "$1" "promtool is missing (Debian package prometheus)"
		else
			ok "$1 # SKIP promtool is not installed (Debian package prometheus)"
		fi
		return
	fi
	if out=$(promtool check metrics <"$2" 2>&1); then ok "$1"; else
		not_ok "$1" "$out"
	fi
}

echo "TAP version 13"
cd "$tmp" || exit 1

# ---- two runs, a rotation between ---------------------------------------------
{ ev a; ev a; ev b; } >app.log
"$bin" --fail-on never --state s --metrics m1.prom app.log >/dev/null
check "a --state run with --metrics succeeds" 0 $?
check "the events of a rule" 3 \
	"$(value m1.prom 'tracehound_events_total{rule="python.traceback",severity="error"}')"
check "a rule that found nothing has its series at 0" 0 \
	"$(value m1.prom 'tracehound_events_total{rule="asyncio.slow-callback",severity="info"}')"
check "the events of a group" 2 \
	"$(value m1.prom 'tracehound_group_events_total{coroutine="a"}')"
check "the other groups, none yet" 0 \
	"$(value m1.prom 'tracehound_group_events_total{group="other"}')"
check "new groups" 2 "$(value m1.prom tracehound_new_groups)"
check "bytes read" "$(wc -c <app.log | tr -d ' ')" \
	"$(value m1.prom tracehound_read_bytes_total)"
check "the run succeeded" 1 "$(value m1.prom tracehound_last_run_success)"
now=$(date +%s)
stamp=$(value m1.prom tracehound_last_run_timestamp_seconds)
[ $((now - stamp)) -ge 0 ] && [ $((now - stamp)) -lt 60 ] &&
	ok "the run's time is now" || not_ok "the run's time is now" "$stamp"
check "the file is readable by all (node_exporter)" 644 "$(stat -c %a m1.prom)"
promcheck "promtool check metrics passes" m1.prom

ev a >>app.log # the end of the old file, read after the rotation
mv app.log app.log.1
{ ev c; ev a; } >app.log
"$bin" --fail-on never --state s --metrics m2.prom app.log >/dev/null
check "after a rotation: the rotated tail and the new file are counted" 6 \
	"$(value m2.prom 'tracehound_events_total{rule="python.traceback",severity="error"}')"
check "a group's counter adds up both runs" 4 \
	"$(value m2.prom 'tracehound_group_events_total{coroutine="a"}')"
check "a group the second run did not see keeps its counter" 1 \
	"$(value m2.prom 'tracehound_group_events_total{coroutine="b"}')"
check "only the new group is new" 1 "$(value m2.prom tracehound_new_groups)"
check "inputs add up (the rotated file is one)" 3 \
	"$(value m2.prom tracehound_inputs_read_total)"
check "no counter went down" "" "$(went_down m1.prom m2.prom)"
promcheck "promtool check metrics passes after the rotation" m2.prom
"$bin" --fail-on never --state s --metrics m3.prom app.log >/dev/null
check "a run with nothing new changes no counter" \
	"$(grep -v -e _last_run_ -e _new_groups -e _inputs_read m2.prom)" \
	"$(grep -v -e _last_run_ -e _new_groups -e _inputs_read m3.prom)"
check "no temp file is left beside it" "m1.prom m2.prom m3.prom" \
	"$(echo *.prom*)"

# ---- without --state: this run's counts ----------------------------------------
"$bin" --fail-on never --metrics once.prom app.log >/dev/null
check "without --state the counters are the run's" 2 \
	"$(value once.prom 'tracehound_events_total{rule="python.traceback",severity="error"}')"
check "and there is no new_groups gauge" "" \
	"$(value once.prom tracehound_new_groups)"

# ---- bounded series, label values from log text ----------------------------------
for i in $(seq 0 104); do
	for _ in $(seq 0 $((i % 7))); do ev "g$i"; done
done >many.log
for _ in $(seq 10); do # the most events: their groups have a series
	ev 'we"ird\name'
	printf 'Traceback (most recent call last):\n  File "/app/x.py", line 1, in bad\xff\xfebytes\n    x()\nValueError: v\n'
done >>many.log
"$bin" --fail-on never --state s2 --metrics many.prom many.log >/dev/null
check "at most 100 group series and the other one" 101 \
	"$(grep -c '^tracehound_group_events_total' many.prom)"
total=$(value many.prom 'tracehound_events_total{rule="python.traceback",severity="error"}')
sum=$(awk '/^tracehound_group_events_total/ { s += $NF } END { print s }' many.prom)
check "the group series and other add up to every event" "$total" "$sum"
check "a quote and a backslash in a label value are escaped" 10 \
	"$(value many.prom 'tracehound_group_events_total{coroutine="we\"ird\\name"}')"
grep -q "coroutine=\"bad$(printf '\xef\xbf\xbd\xef\xbf\xbd')bytes\"" many.prom
check "invalid UTF-8 in a label value becomes U+FFFD" 0 $?
promcheck "promtool check metrics passes on log text" many.prom

# ---- --metrics-label ---------------------------------------------------------------
"$bin" --fail-on never --state s4 --metrics lab.prom \
	--metrics-label 'log=/var/log/"app".log' --metrics-label host=h1 app.log \
	>/dev/null
check "--metrics-label puts its labels on every series" 0 \
	"$(grep -v '^#' lab.prom | grep -vc '^[a-z_]*{log="/var/log/\\"app\\".log",host="h1"')"
promcheck "promtool check metrics passes with the labels" lab.prom
"$bin" --metrics x.prom --metrics-label rule=x app.log >/dev/null 2>"$tmp/err"
check "a label a series has already is refused" 2 $?
"$bin" --metrics-label log=x app.log >/dev/null 2>&1
check "--metrics-label without --metrics is refused" 2 $?

# ---- failures ---------------------------------------------------------------------
echo '{"schema": "tracehound.state/2", "files": [' >bad
"$bin" --state bad --metrics fail.prom app.log >/dev/null 2>"$tmp/err"
check "a state that will not load is exit 2" 2 $?
check "and the metrics say the run failed" 0 \
	"$(value fail.prom tracehound_last_run_success)"
promcheck "promtool check metrics passes on a failed run" fail.prom
"$bin" --metrics fail2.prom missing.log >/dev/null 2>&1
check "an unreadable input fails the run" 0 \
	"$(value fail2.prom tracehound_last_run_success)"
check "and is counted" 1 "$(value fail2.prom tracehound_input_errors_total)"
"$bin" --state s3 --metrics "$tmp/no/such/dir/t.prom" app.log >/dev/null \
	2>"$tmp/err"
check "a metrics file that cannot be written is exit 2" 2 $?
grep -q "no/such/dir/t.prom: cannot write the metrics" "$tmp/err" &&
	ok "naming it" || not_ok "naming it" "$(cat "$tmp/err")"
"$bin" --state s --dry-run --metrics x.prom app.log >/dev/null 2>&1
check "--dry-run with --metrics is refused" 2 $?
tap_end
