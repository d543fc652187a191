#!/usr/bin/env bash
# bench_triggers.sh - bench/triggers.py, which gives `rg -c` in the
# benchmark the default rules' own triggers (bench/README.md): one start
# regex for each rule tracehound loads, in ripgrep's dialect, and a stop,
# never a trigger left out, on a rule file it cannot read. Prints TAP.
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
root=${TH_SOURCE_ROOT:?TH_SOURCE_ROOT must name the source tree}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
triggers() { python3 "$root/bench/triggers.py" "$@"; }

echo "TAP version 13"
if triggers "$root/patterns" >"$tmp/triggers" 2>"$tmp/err"; then
	ok "the default rules' triggers are written"
else
	not_ok "the default rules' triggers are written" "$(cat "$tmp/err")"
fi
rules=$("$bin" rules check --no-site-rules |
	sed -n 's/^rules ok: \([0-9]*\) rules.*/\1/p')
lines=$(wc -l <"$tmp/triggers")
if [ -n "$rules" ] && [ "$lines" -eq "$rules" ]; then
	ok "one trigger for each of the $rules default rules"
else
	not_ok "one trigger for each default rule" \
		"$lines triggers, tracehound loads ${rules:-?} rules"
fi
# every start line of patterns/ is there, in the dialect rg reads
want=$(grep -c '^[[:space:]]*start:' "$root"/patterns/*.yaml |
	awk -F: '{ n += $2 } END { print n }')
if [ "$lines" -eq "$want" ] && ! grep -q '(?<[A-Za-z_]' "$tmp/triggers" &&
	grep -qxF "coroutine '(?P<coroutine>[^']+)' was never awaited" \
		"$tmp/triggers" &&
	grep -qxF 'Traceback \(most recent call last\):' "$tmp/triggers"; then
	ok "the start regexes as written, named groups as (?P<name>"
else
	not_ok "the start regexes as written, named groups as (?P<name>" \
		"$(cat "$tmp/triggers")"
fi
if python3 -c '
import re, sys
for line in open(sys.argv[1]):
    re.compile(line.rstrip("\n"))
' "$tmp/triggers" 2>"$tmp/err"; then
	ok "each trigger is a regex"
else
	not_ok "each trigger is a regex" "$(cat "$tmp/err")"
fi
# and ripgrep's, where it is installed (the benchmark's check)
if command -v rg >/dev/null; then
	rc=0
	rg -c -f "$tmp/triggers" /dev/null >/dev/null 2>"$tmp/err" || rc=$?
	if [ "$rc" = 1 ]; then
		ok "rg reads every trigger"
	else
		not_ok "rg reads every trigger" "exit status $rc" "$(cat "$tmp/err")"
	fi
fi

# the scalars rule files write: quoted both ways, and plain
mkdir "$tmp/forms"
cat >"$tmp/forms/a.yaml" <<'YAML'
rules:
  - id: a.single
    start: 'it''s \d+ (?<name>\w+) \(?<x'  # why
    extract:
      - regex: 'x'
        start: 'not a trigger'
  - id: a.double
    start: "say \"hi\" \\ there"
  - id: a.plain
    start: plain start  # a comment
prefixes:
  - id: p.one
    regex: 'no start here'
YAML
printf '%s\n' "it's \\d+ (?P<name>\\w+) \\(?<x" 'say "hi" \ there' \
	'plain start' >"$tmp/forms.want"
if triggers "$tmp/forms" >"$tmp/forms.got" 2>"$tmp/err" &&
	cmp -s "$tmp/forms.want" "$tmp/forms.got"; then
	ok "single-quoted, double-quoted and plain starts"
else
	not_ok "single-quoted, double-quoted and plain starts" \
		"$(cat "$tmp/forms.got" "$tmp/err")"
fi

# what it cannot read stops it
refused() {  # name, then the rule file's text
	mkdir -p "$tmp/bad-$1"
	printf '%s\n' "$2" >"$tmp/bad-$1/r.yaml"
	if triggers "$tmp/bad-$1" >/dev/null 2>"$tmp/err"; then
		not_ok "refused: $1" "exit status 0"
	elif grep -q "bench/triggers.py: " "$tmp/err"; then
		ok "refused: $1"
	else
		not_ok "refused: $1" "$(cat "$tmp/err")"
	fi
}
refused "a rule without a start" 'rules:
  - id: a.none
    body: traceback
  - id: a.next
    start: x'
refused "a block scalar" 'rules:
  - id: a.block
    start: >-
      Traceback'
refused "an escape in double quotes" 'rules:
  - id: a.escape
    start: "tab\there"'
refused "rule files without rules" '# nothing yet'
refused "a quoted start with more after it" "rules:
  - id: a.more
    start: 'Traceback' x"
refused "a start that goes on to the next line" "rules:
  - id: a.wrapped
    start: 'Traceback (most recent
      call last):'"
refused "a plain start that goes on" 'rules:
  - id: a.wrapped
    start: Traceback
      more'
tap_end
