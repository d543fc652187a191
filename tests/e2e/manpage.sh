#!/usr/bin/env bash
# manpage.sh - the man pages (man/*.scd, built by meson into TH_MAN_DIR)
# render with man -l without a warning, and stay in step with the program:
# every option a --help lists is described under OPTIONS in its page, with
# the same short form, and every option described there is in the --help;
# every key and value patterns/README.md's tables name is in
# tracehound-rules(5). Prints TAP. Needs TH_BIN, TH_MAN_DIR and
# TH_SOURCE_ROOT.
set -u
. "$(dirname "$0")/tap.sh"
bin=$TH_BIN
mandir=$TH_MAN_DIR
if ! command -v man >/dev/null; then
	echo "1..0 # SKIP man is not installed (Debian package man-db)"
	exit 0
fi
if [ ! -e "$mandir/tracehound.1" ]; then
	echo "1..0 # SKIP the man pages were not built (no scdoc)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# render PAGE: the page as text in $tmp/PAGE.txt, wide and unhyphenated so
# that every option and key stays whole on its line
render() {
	local page=$1
	if MANWIDTH=200 MAN_KEEP_FORMATTING= man --nh --nj --warnings \
		-l "$mandir/$page" >"$tmp/$page.txt" 2>"$tmp/$page.err" &&
		[ ! -s "$tmp/$page.err" ] && grep -q '^NAME' "$tmp/$page.txt"; then
		ok "$page renders without a warning"
	else
		not_ok "$page renders without a warning" "$(head -5 "$tmp/$page.err")"
	fi
}

# help_options ARGS...: "-f, --format" or "--fail-on", one a line, for each
# option the help of `tracehound ARGS --help` lists (the lines that start
# with an option, indented by at most 6 columns: not the wrapped text)
help_options() {
	"$bin" "$@" --help 2>/dev/null |
		sed -nE 's/^ {2,6}(-[[:alnum:]], )?(--[a-z][a-z-]*).*/\1\2/p'
}

# man_options PAGE: the same for the OPTIONS section of a rendered page,
# where each option opens a paragraph indented by 7 columns
man_options() {
	sed -n '/^OPTIONS/,/^[A-Z]/p' "$tmp/$1.txt" |
		sed -nE 's/^ {7}(-[[:alnum:]], )?(--[a-z][a-z-]*).*/\1\2/p'
}

# in_step PAGE HELP-FILE: the options of both, compared both ways
in_step() {
	local page=$1 help=$2
	sort -u "$help" >"$tmp/help.sorted"
	man_options "$page" | sort -u >"$tmp/man.sorted"
	if [ ! -s "$tmp/help.sorted" ]; then
		not_ok "$page: the --help lists options" "no option line found"
		return
	fi
	local missing extra
	missing=$(comm -23 "$tmp/help.sorted" "$tmp/man.sorted" | tr '\n' ' ')
	extra=$(comm -13 "$tmp/help.sorted" "$tmp/man.sorted" | tr '\n' ' ')
	if [ -z "$missing" ]; then
		ok "$page describes every option of its --help"
	else
		not_ok "$page describes every option of its --help" \
			"missing in man/$page.scd (or with another short form): $missing"
	fi
	if [ -z "$extra" ]; then
		ok "every option $page describes is in its --help"
	else
		not_ok "every option $page describes is in its --help" \
			"not in the --help: $extra"
	fi
}

for page in tracehound.1 tracehound-rules.1 tracehound-merge.1 \
	tracehound-rules.5; do
	render "$page"
done

help_options >"$tmp/main.help"
in_step tracehound.1 "$tmp/main.help"

# tracehound-rules(1) describes both subcommands; `rules check --help`
# counts once it prints a help of its own
help_options rules test >"$tmp/rules.help"
if "$bin" rules check --help 2>/dev/null | head -1 |
	grep -q '^Usage: tracehound rules check'; then
	help_options rules check >>"$tmp/rules.help"
fi
in_step tracehound-rules.1 "$tmp/rules.help"

help_options merge >"$tmp/merge.help"
in_step tracehound-merge.1 "$tmp/merge.help"

# the keys and values of the rule-file format: the first `word` of each
# table row of patterns/README.md
readme=$TH_SOURCE_ROOT/patterns/README.md
missing=""
for key in $(sed -nE 's/^\| `([a-z_.]+)`.*/\1/p' "$readme" | sort -u); do
	grep -qF -- "$key" "$tmp/tracehound-rules.5.txt" || missing="$missing $key"
done
if [ -n "$(sed -nE 's/^\| `([a-z_.]+)`.*/\1/p' "$readme")" ] && [ -z "$missing" ]; then
	ok "tracehound-rules.5 names every key of patterns/README.md's tables"
else
	not_ok "tracehound-rules.5 names every key of patterns/README.md's tables" \
		"missing:$missing"
fi

tap_end
