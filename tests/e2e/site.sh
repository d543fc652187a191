#!/usr/bin/env bash
# site.sh - site rules, the logcheck habit: the *.yaml and *.yml files of
# the system's rules.d (TRACEHOUND_SYSTEM_RULES_DIR here, so that the test
# never touches /etc) and of $XDG_CONFIG_HOME/tracehound/rules.d (else
# $HOME/.config/...) are loaded after the defaults and before --rules, in
# byte order of their names, other names skipped; an ignore rule there
# changes the report, --no-site-rules skips them, --no-default-rules does
# not; a bad file stops the run naming file:line:column, a directory that
# is missing says nothing, one that cannot be read is a warning; `rules
# check` lists the files it loaded. Prints TAP. Needs TH_BIN.
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

etc=$tmp/etc/tracehound/rules.d
xdg=$tmp/xdg
home=$tmp/home
mkdir -p "$etc" "$xdg/tracehound/rules.d" "$home/.config/tracehound/rules.d"
export TRACEHOUND_SYSTEM_RULES_DIR=$etc XDG_CONFIG_HOME=$xdg HOME=$home

# run ARGS...: tracehound with $out, $err and $status
run() {
	out=$("$bin" "$@" 2>"$tmp/err")
	status=$?
	err=$(cat "$tmp/err")
}
# expect NAME STATUS WANT: the last run exited STATUS and its output holds
# WANT (a fixed string), or lacks it with STATUS !WANT
expect() {
	local name=$1 want_status=$2 want=$3
	local has=yes wanted=yes
	[[ $out == *"${want#!}"* ]] || has=no
	[[ $want == !* ]] && wanted=no
	if [ "$status" -eq "$want_status" ] && [ $has = $wanted ]; then
		ok "$name"
	else
		not_ok "$name" "status $status (want $want_status), want '$want'" \
			"out: $(head -c 300 <<<"$out")" "err: $(head -c 300 <<<"$err")"
	fi
}

# two groups: fetch_user's ConnectionError and health_check's TimeoutError
ev() {
	printf 'Task exception was never retrieved\n'
	printf "future: <Task finished name='Task-1' coro=<%s() done, defined at /app/x.py:10> exception=%s('x')>\n" "$1" "$2"
	printf 'Traceback (most recent call last):\n  File "/app/x.py", line 12, in %s\n    raise %s("x")\n%s: x\n' "$1" "$2" "$2"
}
{ ev fetch_user ConnectionError; ev health_check TimeoutError; } >"$tmp/app.log"

run -f json "$tmp/app.log"
expect "without site rule files, both groups are reported" 1 '"health_check"'
[ -z "$err" ] && ok "empty and missing site directories say nothing" ||
	not_ok "empty and missing site directories say nothing" "$err"

# an administrator drops an ignore rule into the system's directory
cat >"$etc/50-health.yaml" <<'EOF'
ignore:
  - id: site.health-timeouts
    coroutine: '^health_check$'
EOF
run -f json "$tmp/app.log"
expect "a site ignore rule drops the health check" 1 '!"health_check"'
expect "and the report counts it under the site rule's id" 1 '"site.health-timeouts": 1'
run -f json --no-site-rules "$tmp/app.log"
expect "--no-site-rules skips the site's rules" 1 '"health_check"'
run rules check
expect "rules check lists the site file with what it defined" 0 \
	"  $etc/50-health.yaml: 0 rules, 1 ignore rules, 0 prefixes"
run rules check --no-site-rules
expect "rules check --no-site-rules does not list it" 0 "!$etc/50-health.yaml"
run rules test --no-site-rules "$tmp/app.log"
expect "rules test takes --no-site-rules" 0 "!site.health-timeouts"

# leftovers of dpkg and editors, hidden files and READMEs are not rule files
for name in 60-x.yaml.dpkg-old 60-x.yaml.dpkg-dist 60-x.yaml.dpkg-new \
	60-x.yaml~ .60-x.yaml README; do
	printf 'not: [yaml\n' >"$etc/$name"
done
run rules check
expect "dpkg's and editors' leftovers, hidden files and a README are skipped" 0 \
	"$etc/50-health.yaml"

# the order: defaults, then the system's, then the user's, then --rules;
# within a directory, byte order of the names ("10-" before "9-")
sev() { # sev FILE SEVERITY: a file that sets python.traceback's severity
	printf 'rules:\n  - {id: asyncio.exception-never-retrieved, override: true, severity: %s}\n' "$2" >"$1"
}
sev "$etc/9-late.yaml" warning
sev "$etc/10-early.yaml" info
run -f json --fail-on never "$tmp/app.log"
expect "within a directory, files load in byte order (9- after 10-)" 0 '"severity": "warning"'
sev "$xdg/tracehound/rules.d/sev.yml" info
run -f json --fail-on never "$tmp/app.log"
expect "the user's directory comes after the system's" 0 '"severity": "info"'
sev "$tmp/cli.yaml" error
run -f json --fail-on never -r "$tmp/cli.yaml" "$tmp/app.log"
expect "--rules files come after the site's" 0 '"severity": "error"'
run rules check -r "$tmp/cli.yaml"
lines=$(grep -n "" <<<"$out" | sed -n 's/^\([0-9]*\):  \(\/.*\): .*/\1 \2/p' |
	grep -v '/patterns/' | tr '\n' ' ')
if [ "$lines" = "5 $etc/10-early.yaml 6 $etc/50-health.yaml 7 $etc/9-late.yaml 8 $xdg/tracehound/rules.d/sev.yml 9 $tmp/cli.yaml " ]; then
	ok "rules check lists the files in the order they were loaded"
else
	not_ok "rules check lists the files in the order they were loaded" "$lines" "$out"
fi
rm "$etc/9-late.yaml" "$etc/10-early.yaml" "$xdg/tracehound/rules.d/sev.yml"

# without XDG_CONFIG_HOME (or with a relative one, which the XDG
# specification says to ignore), ~/.config
sev "$home/.config/tracehound/rules.d/home.yaml" info
for x in unset relative; do
	if [ $x = unset ]; then
		out=$(env -u XDG_CONFIG_HOME "$bin" -f json --fail-on never "$tmp/app.log" 2>&1)
	else
		out=$(XDG_CONFIG_HOME=rel "$bin" -f json --fail-on never "$tmp/app.log" 2>&1)
	fi
	status=$?
	expect "XDG_CONFIG_HOME $x: ~/.config/tracehound/rules.d is read" 0 '"severity": "info"'
done
run -f json --fail-on never "$tmp/app.log"
expect "with XDG_CONFIG_HOME set, ~/.config is not" 0 '"severity": "error"'
rm "$home/.config/tracehound/rules.d/home.yaml"

# --no-default-rules skips only the defaults
printf 'rules:\n  - {id: site.only, start: "Task exception was never retrieved", body: asyncio}\n' \
	>"$xdg/tracehound/rules.d/own.yaml"
run rules check --no-default-rules
expect "--no-default-rules keeps the site's rules" 0 "rules ok: 1 rules, 1 ignore rules"
rm "$xdg/tracehound/rules.d/own.yaml"

# a bad site file: exit 2 before any input is read, at its line and column
printf 'ignore:\n  - id: site.bad\n    coroutin: x\n' >"$etc/70-bad.yaml"
run "$tmp/app.log"
expect "a bad site rule file exits 2" 2 "!fetch_user"
if [[ $err == *"$etc/70-bad.yaml:3:5: error: unknown key 'coroutin'"* ]]; then
	ok "its error names file, line and column"
else
	not_ok "its error names file, line and column" "$err"
fi
run --no-site-rules "$tmp/app.log"
expect "--no-site-rules gets past it" 1 "fetch_user"
rm "$etc/70-bad.yaml"

# a directory that cannot be read: a warning, and the run goes on
rm -r "$xdg/tracehound/rules.d"
: >"$xdg/tracehound/rules.d"
run -f json "$tmp/app.log"
expect "a site directory that cannot be read: the run goes on" 1 '"fetch_user"'
if [[ $err == *"warning: $xdg/tracehound/rules.d: cannot open rule directory: Not a directory"* ]]; then
	ok "it is named in a warning"
else
	not_ok "it is named in a warning" "$err"
fi
if [ "$(id -u)" -ne 0 ]; then
	rm "$xdg/tracehound/rules.d"
	mkdir -m 000 "$xdg/tracehound/rules.d"
	run -f json "$tmp/app.log"
	expect "a site directory without read permission: the run goes on" 1 '"fetch_user"'
	[[ $err == *"Permission denied"* ]] && ok "it is named in a warning" ||
		not_ok "it is named in a warning" "$err"
	chmod 755 "$xdg/tracehound/rules.d"
else
	echo "ok $((n += 1)) - a site directory without read permission # SKIP root reads it anyway"
fi
tap_end
