# fish completion for tracehound(1): the subcommands, the options of each,
# the values of --format, --group-by, --fail-on and --color, rule files for
# --rules and files and directories for the rest. tests/e2e/completion.sh
# keeps the lists in step with the program.

# the subcommand on the command line: main, check, test or merge
function __tracehound_command
    set -l words (commandline -opc)
    switch "$words[2]"
        case merge
            echo merge
        case rules
            if contains -- "$words[3]" check test
                echo $words[3]
            else
                echo rules
            end
        case '*'
            echo main
    end
end

function __tracehound_is
    contains -- (__tracehound_command) $argv
end

# the --group-by keys after the last comma of the word being completed
function __tracehound_group_keys
    set -l token (commandline -ct | string replace -r -- '^(-g|--group-by=)' '')
    set -l done (string match -r -- '.*,' $token)
    for key in coroutine rule exception task input defined_at source culprit
        echo $done$key
    end
end

complete -c tracehound -f

# subcommands
complete -c tracehound -n '__fish_is_first_arg' -a rules -d 'check rule files or show how they read a log'
complete -c tracehound -n '__fish_is_first_arg' -a merge -d 'combine JSON reports'
complete -c tracehound -n '__tracehound_is rules' -a check -d 'check rule files'
complete -c tracehound -n '__tracehound_is rules' -a test -d 'show how the rules read a log'

# inputs
complete -c tracehound -n '__tracehound_is main check test merge' -F

# the scan
complete -c tracehound -n '__tracehound_is main' -s f -l format -x -a 'text json ndjson markdown github' -d 'the report'
complete -c tracehound -n '__tracehound_is main' -s g -l group-by -x -a '(__tracehound_group_keys)' -d 'group by these comma-separated keys'
complete -c tracehound -n '__tracehound_is main merge' -l fail-on -x -a 'error warning info never' -d 'exit 1 at this severity or worse'
complete -c tracehound -n '__tracehound_is main check test' -s r -l rules -r -F -d 'also load rules from a YAML file or directory'
complete -c tracehound -n '__tracehound_is main check test' -l no-default-rules -d 'do not load the default rules'
complete -c tracehound -n '__tracehound_is main check test' -l no-site-rules -d 'do not load the site rules of rules.d'
complete -c tracehound -n '__tracehound_is main' -l state -r -F -d 'incremental run with this state file'
complete -c tracehound -n '__tracehound_is main' -l fail-on-new -d 'with --state: exit 1 only for new groups'
complete -c tracehound -n '__tracehound_is main' -l dry-run -d 'with --state: report what is new, leave the state as it was'
complete -c tracehound -n '__tracehound_is main' -l metrics -r -F -d 'write Prometheus metrics to this file after the run'
complete -c tracehound -n '__tracehound_is main' -l metrics-label -x -d 'a label NAME=VALUE on every metrics series'
complete -c tracehound -n '__tracehound_is main' -l label -x -d 'name stdin and label the report (a host), for merge'
complete -c tracehound -n '__tracehound_is main' -s j -l jobs -x -d 'scan with N threads'
complete -c tracehound -n '__tracehound_is main' -s S -l buffer-size -x -d 'memory for groups before they spill to temporary files'
complete -c tracehound -n '__tracehound_is main test merge' -l color -x -a 'auto always never' -d 'color the report'
complete -c tracehound -n '__tracehound_is main' -l since -x -d 'only events at or after TIME'
complete -c tracehound -n '__tracehound_is main' -l until -x -d 'only events at or before TIME'
complete -c tracehound -n '__tracehound_is main merge' -l top -x -d 'only the N largest groups'
complete -c tracehound -n '__tracehound_is main merge' -l examples -x -d 'N example lines per group'
complete -c tracehound -n '__tracehound_is main merge' -l github-root -x -a '(__fish_complete_directories)' -d 'with --format github: paths relative to DIR'
complete -c tracehound -n '__tracehound_is main' -s F -l follow -d 'keep reading the files as they grow'
complete -c tracehound -n '__tracehound_is main' -s V -l version -d 'show the version'
complete -c tracehound -n '__tracehound_is main check test merge' -s h -l help -d 'show the help'

# rules test
complete -c tracehound -n '__tracehound_is test' -s v -l verbose -d 'also show the lines that are part of no event'

# merge
complete -c tracehound -n '__tracehound_is merge' -s f -l format -x -a 'text json markdown github' -d 'the result'
