#!/usr/bin/env bash
# systemd.sh - the units of systemd/: an instance of
# tracehound-audit@.service and .timer for a log passes systemd-analyze
# verify (the ExecStart binary is this build's, the documentation its man
# pages) and keeps a low exposure in systemd-analyze security; the audit
# its ExecStart runs reports a log's failures once, then nothing new.
# Prints TAP. Needs TH_BIN, TH_SOURCE_ROOT and TH_MAN_DIR; skipped only
# where systemd-analyze is missing (Debian package systemd).
set -u
. "$(dirname "$0")/tap.sh"
bin=$TH_BIN
src=$TH_SOURCE_ROOT/systemd
if ! command -v systemd-analyze >/dev/null; then
	echo "1..0 # SKIP systemd-analyze is not installed (Debian package systemd)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

log=$tmp/log/app.log
mkdir -p "$tmp/log" "$tmp/units" "$tmp/man/man1" "$tmp/man/man5" "$tmp/lib"
cp "$TH_SOURCE_ROOT/sample-logs/py3.12/never_retrieved.log" "$log"
instance=$(systemd-escape --path "$log")
# the template as meson configures it, with this build's directory as
# BINDIR, under an instance's name
sed "s|@BINDIR@|$(dirname "$bin")|g" "$src/tracehound-audit@.service.in" \
	>"$tmp/units/tracehound-audit@$instance.service"
cp "$src/tracehound-audit@.timer" "$tmp/units/tracehound-audit@$instance.timer"
for page in "$TH_MAN_DIR"/*.[15]; do
	[ -e "$page" ] && ln -s "$page" "$tmp/man/man${page##*.}/"
done
man=yes
[ -e "$TH_MAN_DIR/tracehound.1" ] || man=no # no scdoc: no pages to find

if out=$(MANPATH=$tmp/man systemd-analyze verify --man=$man \
	"$tmp/units/tracehound-audit@$instance.service" \
	"$tmp/units/tracehound-audit@$instance.timer" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify passes on the service and the timer"
else
	not_ok "systemd-analyze verify passes on the service and the timer" \
		"$out"
fi

if out=$(systemd-analyze security --offline=true --threshold=20 \
	"$tmp/units/tracehound-audit@$instance.service" 2>&1); then
	ok "the service's exposure is at most 2.0 (systemd-analyze security)"
else
	not_ok "the service's exposure is at most 2.0 (systemd-analyze security)" \
		"$(tail -1 <<<"$out")"
fi

# what the service runs, its specifiers expanded as systemd would: %S the
# state root, %i the instance, %f the unescaped path; the Environment=
# options split into words, like an unbraced $VAR in ExecStart
unit=$tmp/units/tracehound-audit@$instance.service
options=$(sed -nE 's/^Environment="TRACEHOUND_AUDIT_OPTIONS=(.*)"$/\1/p' "$unit")
command=$(sed -n 's/^ExecStart=//p' "$unit")
command=${command//%S/$tmp/lib}
command=${command//%i/$instance}
command=${command//%f/$log}
command=${command//\$TRACEHOUND_AUDIT_OPTIONS/$options}
mkdir -p "$tmp/lib/tracehound"
run() {
	set -f
	# shellcheck disable=SC2086
	$command >"$tmp/out" 2>"$tmp/err"
	status=$?
	set +f
}
run
if [ "$status" -eq 1 ] && grep -q NEW "$tmp/out" &&
	[ -e "$tmp/lib/tracehound/$instance.state" ]; then
	ok "the first audit reports the new groups and fails, keeping its state"
else
	not_ok "the first audit reports the new groups and fails, keeping its state" \
		"status $status for $command" "$(head -3 "$tmp/err")"
fi
run
if [ "$status" -eq 0 ]; then
	ok "the next audit, with nothing new in the log, succeeds"
else
	not_ok "the next audit, with nothing new in the log, succeeds" \
		"status $status" "$(head -3 "$tmp/err")"
fi
cat "$TH_SOURCE_ROOT/sample-logs/py3.12/callback_error.log" >>"$log"
run
if [ "$status" -eq 1 ] && grep -q NEW "$tmp/out"; then
	ok "an audit after new failures were appended fails again"
else
	not_ok "an audit after new failures were appended fails again" \
		"status $status" "$(head -3 "$tmp/err")"
fi

tap_end
