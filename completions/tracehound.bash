# bash completion for tracehound(1)                        -*- shell-script -*-
# Completes the subcommands, the options of each, the values of --format,
# --group-by (each key of the comma-separated list), --fail-on and --color,
# rule files for --rules and files and directories for the rest.
# tests/e2e/completion.sh keeps the lists in step with the program.

# _tracehound_options COMMAND: the options COMMAND (main, check, test or
# merge) takes
_tracehound_options()
{
	case $1 in
	main)
		echo -f --format -g --group-by --fail-on -r --rules \
			--no-default-rules --no-site-rules --state --fail-on-new \
			--dry-run --metrics --metrics-label --label \
			-j --jobs -S --buffer-size --color --since --until \
			--top --examples --github-root -F --follow -h --help \
			-V --version
		;;
	check) echo -r --rules --no-default-rules --no-site-rules -h --help ;;
	test)
		echo -r --rules --no-default-rules --no-site-rules -v --verbose \
			--color -h --help
		;;
	merge)
		echo -f --format --fail-on --color --top --examples \
			--github-root -h --help
		;;
	esac
}

# _tracehound_value COMMAND OPTION CUR: fills COMPREPLY with the values of
# OPTION; returns 1 when OPTION takes no value
_tracehound_value()
{
	local command=$1 option=$2 cur=$3 values=
	case $option in
	-f | --format)
		values="text json ndjson markdown github"
		[[ $command == merge ]] && values="text json markdown github"
		;;
	--fail-on) values="error warning info never" ;;
	--color | --colour) values="auto always never" ;;
	-g | --group-by)
		# complete the key after the last comma, keeping the ones before
		local done= keys="coroutine rule exception task input defined_at source culprit"
		[[ $cur == *,* ]] && done=${cur%,*},
		COMPREPLY=($(compgen -P "$done" -W "$keys" -- "${cur##*,}"))
		compopt -o nospace 2>/dev/null
		return 0
		;;
	-r | --rules)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur")
			$(compgen -f -X '!*.y*ml' -- "$cur"))
		return 0
		;;
	--state | --metrics)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	--github-root)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	-j | --jobs | -S | --buffer-size | --since | --until | --top | --examples | \
		--metrics-label | --label)
		COMPREPLY=() # a number, a time or a name: nothing to offer
		return 0
		;;
	*) return 1 ;;
	esac
	COMPREPLY=($(compgen -W "$values" -- "$cur"))
	return 0
}

_tracehound()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= i command=main first=1
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	# the subcommand, and where its arguments start
	case ${COMP_WORDS[1]-} in
	merge) command=merge first=2 ;;
	rules)
		if ((COMP_CWORD == 2)); then
			COMPREPLY=($(compgen -W "check test" -- "$cur"))
			return 0
		fi
		case ${COMP_WORDS[2]-} in
		check | test) command=${COMP_WORDS[2]} first=3 ;;
		*) return 0 ;;
		esac
		;;
	esac

	# --option=value, however COMP_WORDBREAKS split it
	if [[ $cur == --*=* ]]; then
		# = is not a word break here: the values keep the option before them
		if _tracehound_value "$command" "${cur%%=*}" "${cur#*=}"; then
			COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
			return 0
		fi
	elif [[ $cur == = && $prev == -* ]]; then
		_tracehound_value "$command" "$prev" "" && return 0
	elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		_tracehound_value "$command" "${COMP_WORDS[COMP_CWORD - 2]}" \
			"$cur" && return 0
	elif [[ $prev == -* ]] && ((COMP_CWORD > first)); then
		_tracehound_value "$command" "$prev" "$cur" && return 0
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_tracehound_options "$command")" \
			-- "$cur"))
		return 0
	fi
	if [[ $command == main ]] && ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "rules merge" -- "$cur"))
	fi
	# the inputs: files (logs, rule files, reports) and directories
	compopt -o filenames 2>/dev/null
	COMPREPLY+=($(compgen -f -- "$cur"))
	return 0
}
complete -F _tracehound tracehound
