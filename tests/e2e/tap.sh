# tap.sh - what every end-to-end script shares, sourced at its top: the
# TAP counters, ok NAME, not_ok NAME [NOTE...] (each NOTE a "#" line under
# it) and tap_end (the plan line; fails when a test failed).
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do echo "#   $l"; done
}
tap_end() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}
