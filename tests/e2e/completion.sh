#!/usr/bin/env bash
# completion.sh - the shell completions of completions/. The bash one is
# driven as bash would on Tab (COMP_WORDS, COMP_CWORD, then the function
# `complete -p tracehound` names): it offers the options of each
# subcommand's --help and no other, the values the program accepts for
# --format, --group-by, --fail-on and --color (read from its own error
# message for a bad value), rule files, logs and directories; and
# bash-completion's loader finds it by the command's name. fish's is
# driven with `complete -C`, zsh's through compinit in a zpty; both must
# parse, and zsh's name every option. Prints TAP. Needs TH_BIN and TH_SOURCE_ROOT.
set -u
. "$(dirname "$0")/tap.sh"
bin=$TH_BIN
src=$TH_SOURCE_ROOT/completions
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# same NAME GOT WANT: two lists (one item a line) hold the same items
same() {
	local name=$1 got want
	got=$(sort -u <<<"$2" | sed '/^$/d')
	want=$(sort -u <<<"$3" | sed '/^$/d')
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name" "offered: $(tr '\n' ' ' <<<"$got")" \
			"expected: $(tr '\n' ' ' <<<"$want")"
	fi
}

# nothing NAME GOT: an empty list
nothing() {
	if [ -z "$(sed '/^$/d' <<<"$2")" ]; then
		ok "$1"
	else
		not_ok "$1" "offered: $(tr '\n' ' ' <<<"$2")"
	fi
}

# help_options ARGS...: the options `tracehound ARGS --help` lists, short
# and long, one a line
help_options() {
	"$bin" "$@" --help 2>/dev/null |
		sed -nE 's/^ {2,6}(-[[:alnum:]], )?(--[a-z][a-z-]*).*/\1 \2/p' |
		tr -d ',' | tr ' ' '\n' | sed '/^$/d'
}

# accepted ARGS...: the values listed in the error message for a bad one,
# "... unknown key 'x' (a, b, c or d)"
accepted() {
	"$bin" "$@" 2>&1 >/dev/null </dev/null |
		sed -nE 's/.*\(([^()]*)\)$/\1/p' | sed 's/ or /, /' |
		tr ',' '\n' | tr -d ' '
}

# comp [-u] LINE: what the bash completion offers at the end of LINE, one
# a line. = is a word of its own, as with bash's COMP_WORDBREAKS; with -u,
# --opt=value stays one word (a COMP_WORDBREAKS without =).
comp() {
	local split=1 line w
	if [ "$1" = -u ]; then
		split=0
		shift
	fi
	line=$1
	COMP_WORDS=()
	set -f
	for w in $line; do
		if ((split)) && [[ $w == -*=* ]]; then
			COMP_WORDS+=("${w%%=*}" "=")
			[ -n "${w#*=}" ] && COMP_WORDS+=("${w#*=}")
		else
			COMP_WORDS+=("$w")
		fi
	done
	set +f
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	"$func" tracehound "${COMP_WORDS[COMP_CWORD]}" \
		"${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
	printf '%s\n' "${COMPREPLY[@]}"
}

# --- bash
# shellcheck source=/dev/null
. "$src/tracehound.bash"
spec=$(complete -p tracehound 2>/dev/null)
if [[ $spec =~ ^complete\ -F\ ([^ ]+)\ tracehound$ ]] &&
	declare -F "${BASH_REMATCH[1]}" >/dev/null; then
	ok "complete -p tracehound names a completion function"
	func=${BASH_REMATCH[1]}
else
	not_ok "complete -p tracehound names a completion function" "got: $spec"
	func=false
fi

loader=/usr/share/bash-completion/bash_completion
if [ -r "$loader" ]; then
	# installed as completions/tracehound, bash-completion loads it on the
	# first Tab after tracehound
	mkdir -p "$tmp/data/bash-completion/completions"
	cp "$src/tracehound.bash" "$tmp/data/bash-completion/completions/tracehound"
	got=$(XDG_DATA_DIRS=$tmp/data bash --norc --noprofile -c \
		". $loader; __load_completion tracehound; complete -p tracehound" \
		</dev/null 2>&1)
	same "bash-completion's loader finds it by the command's name" \
		"$got" "$spec"
else
	echo "ok $((n += 1)) - bash-completion's loader finds it # SKIP bash-completion is not installed"
fi

same "tracehound - offers the options of tracehound --help" \
	"$(comp 'tracehound -')" "$(help_options)"
same "tracehound rules test - offers the options of its --help" \
	"$(comp 'tracehound rules test -')" "$(help_options rules test)"
if "$bin" rules check --help 2>/dev/null | head -1 |
	grep -q '^Usage: tracehound rules check'; then
	same "tracehound rules check - offers the options of its --help" \
		"$(comp 'tracehound rules check -')" "$(help_options rules check)"
fi
same "tracehound merge - offers the options of its --help" \
	"$(comp 'tracehound merge -')" "$(help_options merge)"
same "tracehound rules offers the subcommands" \
	"$(comp 'tracehound rules ')" "$(printf 'check\ntest')"

formats=$(accepted --format=bogus)
same "--format offers the formats the program accepts" \
	"$(comp 'tracehound --format ')" "$formats"
same "-f offers them too" "$(comp 'tracehound -f ')" "$formats"
same "--format= (= a word of its own) offers them" \
	"$(comp 'tracehound --format=')" "$formats"
same "--format=js (one word) completes to --format=json" \
	"$(comp -u 'tracehound --format=js')" "--format=json"
merge_formats=$("$bin" merge --help | sed -nE 's/^ .*--format=FORMAT +//p' |
	sed 's/(default)//; s/ or /, /' | tr ',' '\n' | tr -d ' ')
same "merge --format offers the formats merge --help names" \
	"$(comp 'tracehound merge --format ')" "$merge_formats"
same "--group-by offers the keys the program accepts" \
	"$(comp 'tracehound --group-by ')" "$(accepted --group-by=bogus)"
same "--group-by completes the key after the last comma" \
	"$(comp 'tracehound -g rule,coroutine,ex')" "rule,coroutine,exception"
same "--fail-on offers the levels the program accepts" \
	"$(comp 'tracehound --fail-on ')" "$(accepted --fail-on=bogus)"
same "merge --fail-on offers them too" \
	"$(comp 'tracehound merge --fail-on=')" "$(accepted --fail-on=bogus)"
same "--color offers the values the program accepts" \
	"$(comp 'tracehound --color ')" "$(accepted --color=bogus)"
nothing "--jobs offers nothing (a number)" "$(comp 'tracehound -j ')"

mkdir -p "$tmp/cwd/logs" "$tmp/cwd/rules.d/sub"
: >"$tmp/cwd/logs/app.log"
: >"$tmp/cwd/logs/app.log.1.gz"
: >"$tmp/cwd/rules.d/site.yaml"
: >"$tmp/cwd/rules.d/old.yml"
: >"$tmp/cwd/rules.d/README.md"
cd "$tmp/cwd" || exit 2
same "tracehound offers the subcommands, files and directories" \
	"$(comp 'tracehound ')" "$(printf 'rules\nmerge\nlogs\nrules.d')"
same "a path completes to the files it starts" \
	"$(comp 'tracehound logs/app')" "$(printf 'logs/app.log\nlogs/app.log.1.gz')"
same "--rules offers rule files and directories, not other files" \
	"$(comp 'tracehound --rules rules.d/')" \
	"$(printf 'rules.d/site.yaml\nrules.d/old.yml\nrules.d/sub')"
same "rules check offers files and directories" \
	"$(comp 'tracehound rules check rules.d/s')" \
	"$(printf 'rules.d/site.yaml\nrules.d/sub')"
same "merge offers files" "$(comp 'tracehound merge logs/app.log.')" \
	"logs/app.log.1.gz"
same "--state offers files" "$(comp 'tracehound --state logs/app.log.')" \
	"logs/app.log.1.gz"
cd - >/dev/null || exit 2

# --- zsh and fish
all_long=$( (help_options; help_options rules test; help_options merge) |
	grep -- '^--' | sort -u)
if command -v zsh >/dev/null; then
	if zsh -n "$src/_tracehound" 2>"$tmp/zsh.err"; then
		ok "zsh -n parses _tracehound"
	else
		not_ok "zsh -n parses _tracehound" "$(head -3 "$tmp/zsh.err")"
	fi
	# zsh's completion system, driven in a pseudo-terminal: every match
	# a compadd adds is printed, tagged, and the shell exits after the
	# first completion (each marker is computed, so that the echo of the
	# command that defines it does not match)
	zcomp() {
		# shellcheck disable=SC2016
		timeout 60 zsh -f -c '
		zmodload zsh/zpty
		zpty z zsh -f -i
		zpty -w z "bindkey -e; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D"
		zpty -w z '"'"'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a m; builtin compadd -A m "$@"; (( $#m )) && print -rl -- "${(@)m/#/MATCH$((1+1))}"; builtin compadd "$@"; }'"'"'
		zpty -w z '"'"'bindkey "^I" complete-word; done_() { print -r -- DONE$((2+2)); exit; }; comppostfuncs=(done_); print READY$((1))'"'"'
		zpty -r z out "*READY1*"
		zpty -n -w z "$2"$'"'"'\t'"'"'
		zpty -r z out "*DONE4*"
		print -r -- "$out" | tr -d "\r" | sed -n "s/^.*MATCH2//p"
		zpty -d z' zsh "$src" "$1" </dev/null
	}
	same "zsh: tracehound -- offers the long options of --help" \
		"$(zcomp 'tracehound --')" "$(help_options | grep -- '^--')"
	same "zsh: merge -- offers the long options of merge --help" \
		"$(zcomp 'tracehound merge --')" "$(help_options merge | grep -- '^--')"
	same "zsh: rules test -- offers the long options of its --help" \
		"$(zcomp 'tracehound rules test --')" \
		"$(help_options rules test | grep -- '^--')"
	same "zsh: --format= offers the formats the program accepts" \
		"$(zcomp 'tracehound --format=')" "$formats"
	same "zsh: --group-by completes the key after the last comma" \
		"$(zcomp 'tracehound --group-by=rule,t')" "task"
	cd "$tmp/cwd" || exit 2
	same "zsh: tracehound offers the subcommands, files and directories" \
		"$(zcomp 'tracehound ')" "$(printf 'rules\nmerge\nlogs\nrules.d')"
	cd - >/dev/null || exit 2
	missing=$(for o in $all_long; do
		grep -q -- "$o[]=[}]" "$src/_tracehound" || echo "$o"
	done)
	nothing "_tracehound names every option of the --helps" "$missing"
else
	echo "ok $((n += 1)) - zsh completion # SKIP zsh is not installed"
fi
if command -v fish >/dev/null; then
	if fish --no-config -n "$src/tracehound.fish" 2>"$tmp/fish.err"; then
		ok "fish -n parses tracehound.fish"
	else
		not_ok "fish -n parses tracehound.fish" "$(head -3 "$tmp/fish.err")"
	fi
	fcomp() {
		fish --no-config -c "source '$src/tracehound.fish'; complete -C '$1'" |
			cut -f1
	}
	same "fish: tracehound -- offers the long options of --help" \
		"$(fcomp 'tracehound --')" "$(help_options | grep -- '^--')"
	same "fish: merge -- offers the long options of merge --help" \
		"$(fcomp 'tracehound merge --')" "$(help_options merge | grep -- '^--')"
	same "fish: rules test -- offers the long options of its --help" \
		"$(fcomp 'tracehound rules test --')" \
		"$(help_options rules test | grep -- '^--')"
	same "fish: --format= offers the formats the program accepts" \
		"$(fcomp 'tracehound --format=' | sed 's/^--format=//')" "$formats"
	same "fish: --group-by completes the key after the last comma" \
		"$(fcomp 'tracehound --group-by=rule,t')" "--group-by=rule,task"
else
	echo "ok $((n += 1)) - fish completion # SKIP fish is not installed"
fi

tap_end
