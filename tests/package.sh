#!/usr/bin/env bash
# tests/package.sh - the Debian package, as an administrator gets it:
# dpkg-buildpackage -us -uc -b builds tracehound_*.deb from a copy of the
# tree (nothing reused from build/), which holds the binary, the rules, the
# man pages, the completions, the systemd units, the examples and the site
# rule directory /etc/tracehound/rules.d (its README a conffile); lintian
# finds no error in it; apt-get install ./tracehound_*.deb installs it, and
# /usr/bin/tracehound, run from another directory, finds its rules and the
# failures of a sample log, and applies a rule file dropped into
# /etc/tracehound/rules.d; man, bash-completion and systemd-analyze find
# what it installed. A package that was not installed before is removed
# at the end. Prints TAP; tests/run runs it when CI or TH_PACKAGE_TEST is
# set. Needs root, dpkg-buildpackage, debhelper and apt-get.
set -u
cd "$(dirname "$0")/.."
. tests/e2e/tap.sh
for tool in dpkg-buildpackage dh apt-get; do
	if ! command -v "$tool" >/dev/null; then
		echo "1..0 # SKIP no $tool (tools/packages-test.txt installs it)"
		exit 0
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP installing the package needs root"
	exit 0
fi
tmp=$(mktemp -d /tmp/tracehound-package.XXXXXX)
installed_before=$(dpkg-query -W -f '${Status}' tracehound 2>/dev/null)
cleanup() {
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- build, from the files git knows (committed or not, not ignored)
mkdir "$tmp/src"
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null |
		tar -C "$tmp/src" -xf -
else
	tar --exclude='./build*' --exclude=./.git -cf - . | tar -C "$tmp/src" -xf -
fi
if (cd "$tmp/src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 &&
	deb=$(ls "$tmp"/tracehound_*_*.deb 2>/dev/null | head -1) && [ -n "$deb" ]; then
	ok "dpkg-buildpackage -us -uc -b builds $(basename "$deb")"
else
	not_ok "dpkg-buildpackage -us -uc -b builds tracehound_*.deb" \
		"$(tail -15 "$tmp/build.log")"
	tap_end
	exit 1
fi

want="usr/bin/tracehound
usr/share/tracehound/patterns/asyncio.yaml
usr/share/tracehound/patterns/python.yaml
usr/share/man/man1/tracehound.1.gz
usr/share/man/man1/tracehound-rules.1.gz
usr/share/man/man1/tracehound-merge.1.gz
usr/share/man/man5/tracehound-rules.5.gz
usr/share/bash-completion/completions/tracehound
usr/share/zsh/vendor-completions/_tracehound
usr/share/fish/vendor_completions.d/tracehound.fish
lib/systemd/system/tracehound-audit@.service
lib/systemd/system/tracehound-audit@.timer
usr/share/doc/tracehound/copyright
usr/share/doc/tracehound/examples/never_retrieved.log
etc/tracehound/rules.d/README"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||' >"$tmp/contents"
missing=$(grep -vxF -f "$tmp/contents" <<<"$want" | tr '\n' ' ')
if [ -z "$missing" ]; then
	ok "the package holds the binary, rules, man pages, completions, units and examples"
else
	not_ok "the package holds the binary, rules, man pages, completions, units and examples" \
		"missing: $missing"
fi

if dpkg-deb -I "$deb" conffiles 2>/dev/null | grep -qx /etc/tracehound/rules.d/README; then
	ok "the site rule directory's README is a conffile"
else
	not_ok "the site rule directory's README is a conffile" \
		"$(dpkg-deb -I "$deb" conffiles 2>&1 | head -3)"
fi

# every package debian/control builds with is in the build list
depends=$(sed -n '/^Build-Depends:/,/^[A-Z][A-Za-z-]*:/p' debian/control |
	sed '$d; s/^Build-Depends://' | tr ',' '\n' |
	sed -E 's/\(.*\)//; s/[[:space:]]//g' | sed '/^$/d; /^debhelper-compat$/d')
missing=$(grep -vxF -f tools/packages-build.txt <<<"$depends" | tr '\n' ' ')
if [ -n "$depends" ] && [ -z "$missing" ]; then
	ok "debian/control's Build-Depends are in tools/packages-build.txt"
else
	not_ok "debian/control's Build-Depends are in tools/packages-build.txt" \
		"missing: $missing"
fi

if command -v lintian >/dev/null; then
	lintian --allow-root "${deb%.deb}.changes" >"$tmp/lintian" 2>&1
	errors=$(grep '^E: ' "$tmp/lintian")
	if [ -z "$errors" ]; then
		ok "lintian finds no error ($(grep -c '^W: ' "$tmp/lintian") warnings)"
		sed -n 's/^\([WI]: .*\)/# \1/p' "$tmp/lintian"
	else
		not_ok "lintian finds no error" "$errors"
	fi
else
	echo "ok $((n += 1)) - lintian finds no error # SKIP lintian is not installed"
fi

# --- install it as an administrator would
if apt-get install -y --reinstall --no-install-recommends -o DPkg::Lock::Timeout=600 \
	"$deb" >"$tmp/install.log" 2>&1 && [ -x /usr/bin/tracehound ]; then
	ok "apt-get install ./$(basename "$deb") installs /usr/bin/tracehound"
else
	not_ok "apt-get install ./$(basename "$deb") installs /usr/bin/tracehound" \
		"$(tail -5 "$tmp/install.log")"
	tap_end
	exit 1
fi
# remove what this test installed, not a package that was there before
[[ $installed_before == *" installed" ]] ||
	trap 'apt-get purge -y -o DPkg::Lock::Timeout=600 tracehound >/dev/null 2>&1; cleanup' EXIT

mkdir "$tmp/elsewhere"
cd "$tmp/elsewhere" || exit 2
/usr/bin/tracehound --format json \
	/usr/share/doc/tracehound/examples/never_retrieved.log >"$tmp/report" 2>"$tmp/err"
status=$?
if [ "$status" -eq 1 ] && grep -q '^  "events": [1-9]' "$tmp/report" &&
	grep -q '"asyncio.exception-never-retrieved"' "$tmp/report"; then
	ok "/usr/bin/tracehound, run from another directory, finds the failures of a sample log"
else
	not_ok "/usr/bin/tracehound, run from another directory, finds the failures of a sample log" \
		"status $status" "$(head -3 "$tmp/err")"
fi
# the knobs only tests use are not in the package: a pause at a point
# of a --state run, an endless lock wait
printf 'INFO quiet\n' >"$tmp/elsewhere/app.log"
TRACEHOUND_TEST_PAUSE=after-lock TRACEHOUND_LOCK_WAIT=inf timeout 10 \
	/usr/bin/tracehound --state "$tmp/elsewhere/s" "$tmp/elsewhere/app.log" \
	>/dev/null 2>"$tmp/err"
status=$?
if [ "$status" -eq 0 ] && ! grep -q 'paused at' "$tmp/err" &&
	! grep -qa 'TRACEHOUND_TEST_PAUSE' /usr/bin/tracehound; then
	ok "the installed binary has no test hooks (TRACEHOUND_TEST_PAUSE is not read)"
else
	not_ok "the installed binary has no test hooks (TRACEHOUND_TEST_PAUSE is not read)" \
		"status $status" "$(head -3 "$tmp/err")"
fi
out=$(/usr/bin/tracehound rules check 2>&1)
if [[ $out == "rules ok: "* ]] &&
	grep -q '^  /usr/share/tracehound/patterns/asyncio.yaml: ' <<<"$out"; then
	ok "the installed binary loads the installed rules ($(head -1 <<<"$out"))"
else
	not_ok "the installed binary loads the installed rules" "$out"
fi
# an administrator's ignore rule in /etc/tracehound/rules.d, for every run
site=/etc/tracehound/rules.d/zz-tracehound-package-test.yaml
if [ -d /etc/tracehound/rules.d ] && [ ! -e "$site" ]; then
	printf 'ignore:\n  - {id: site.package-test, rule: asyncio.exception-never-retrieved, coroutine: "."}\n' >"$site"
	out=$(/usr/bin/tracehound rules check 2>&1)
	/usr/bin/tracehound --format json \
		/usr/share/doc/tracehound/examples/never_retrieved.log >"$tmp/site-report" 2>&1
	rm -f "$site"
	if grep -qx "  $site: 0 rules, 1 ignore rules, 0 prefixes" <<<"$out" &&
		grep -q '"site.package-test": [1-9]' "$tmp/site-report"; then
		ok "a rule file in /etc/tracehound/rules.d is loaded and applied"
	else
		not_ok "a rule file in /etc/tracehound/rules.d is loaded and applied" \
			"$out" "$(grep -A2 '"ignored"' "$tmp/site-report")"
	fi
else
	not_ok "a rule file in /etc/tracehound/rules.d is loaded and applied" \
		"no /etc/tracehound/rules.d, or $site is there already"
fi
cd - >/dev/null || exit 2

pages=$(man -w tracehound tracehound-rules tracehound-merge 5 tracehound-rules 2>&1)
if [ "$(grep -c '^/usr/share/man/' <<<"$pages")" -eq 4 ]; then
	ok "man finds the four installed pages"
else
	not_ok "man finds the four installed pages" "$pages"
fi

loader=/usr/share/bash-completion/bash_completion
if [ -r "$loader" ]; then
	spec=$(bash --norc --noprofile -c \
		". $loader; __load_completion tracehound; complete -p tracehound" \
		</dev/null 2>&1)
	if [ "$spec" = "complete -F _tracehound tracehound" ]; then
		ok "bash-completion loads the installed completion"
	else
		not_ok "bash-completion loads the installed completion" "$spec"
	fi
fi

if command -v systemd-analyze >/dev/null; then
	instance=$(systemd-escape --path /var/log/app/app.log)
	mkdir "$tmp/units"
	for unit in service timer; do
		cp "/lib/systemd/system/tracehound-audit@.$unit" \
			"$tmp/units/tracehound-audit@$instance.$unit"
	done
	if out=$(systemd-analyze verify "$tmp/units/"* 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify passes on the installed units"
	else
		not_ok "systemd-analyze verify passes on the installed units" "$out"
	fi
fi

tap_end
