#!/usr/bin/env bash
# github.sh - --format github: on every sample log, one workflow command
# per group, each at its culprit: file= is the culprit's path relative to
# --github-root (the programs ran in /tmp/app, their sources are
# gen/samples/), and line= is a line of that source whose text the log's
# traceback shows under `File "...", line N`; a group whose culprit is
# outside the root has no file=. The current directory is the default
# root; a relative --github-root is resolved, a missing one is an error,
# and --github-root without --format github too. Prints TAP. Needs TH_BIN
# and TH_SOURCE_ROOT; python3 runs github_check.py.
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
src=${TH_SOURCE_ROOT:?TH_SOURCE_ROOT must name the source tree}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

# Every sample log's JSON report and annotations, then one check of them
# all (github_check.py: python starts once), a line per log
logs=("$src"/sample-logs/py3.*/*.log)
for i in "${!logs[@]}"; do
	"$bin" -f json "${logs[$i]}" >"$tmp/$i.json" 2>/dev/null
	"$bin" -f github --github-root /tmp/app --examples 0 "${logs[$i]}" \
		>"$tmp/$i.github" 2>/dev/null
done
python3 "$(dirname "${BASH_SOURCE[0]}")/github_check.py" "$tmp" \
	"$src/gen/samples" "${logs[@]}" >"$tmp/checked"
while IFS=$'\t' read -r -a wrong; do
	name="${wrong[0]#"$src"/sample-logs/}: one annotation per group, each at its culprit line"
	if [ "${#wrong[@]}" -eq 1 ]; then
		ok "$name"
	else
		not_ok "$name" "${wrong[@]:1:3}"
	fi
done <"$tmp/checked"
[ "$(wc -l <"$tmp/checked")" -eq "${#logs[@]}" ] ||
	not_ok "every sample log was checked" "$(tail -3 "$tmp/checked")"

# A repository checked out in $tmp/repo, its test log naming its files by
# absolute path, as pytest prints them.
mkdir -p "$tmp/repo/src" "$tmp/elsewhere"
cat >"$tmp/repo/test.log" <<EOF
Task exception was never retrieved
future: <Task finished name='Task-1' coro=<fetch() done, defined at $tmp/repo/src/client.py:10> exception=KeyError('k,1: x')>
Traceback (most recent call last):
  File "$tmp/repo/src/client.py", line 12, in fetch
    raise KeyError("k,1: x")
KeyError: 'k,1: x'
EOF
out=$(cd "$tmp/repo" && "$bin" -f github test.log)
want="::error file=src/client.py,line=12,title=tracehound%3A fetch (1 event)::asyncio.exception-never-retrieved: KeyError%0Aat $tmp/repo/src/client.py:12 in fetch%0Amessage: 'k,1: x'%0Aseen: test.log:1%0A%0ATask exception was never retrieved%0A"
if [[ $out == "$want"* ]]; then
	ok "the current directory is the root by default"
else
	not_ok "the current directory is the root by default" "$out"
fi
out=$(cd "$tmp/elsewhere" && "$bin" -f github ../repo/test.log)
if [[ $out == "::error title=tracehound%3A fetch (1 event)::"* ]]; then
	ok "a culprit outside the root: an annotation without file and line"
else
	not_ok "a culprit outside the root: an annotation without file and line" "$out"
fi
out=$(cd "$tmp/elsewhere" && "$bin" -f github --github-root ../repo/src ../repo/test.log)
if [[ $out == "::error file=client.py,line=12,"* ]]; then
	ok "a relative --github-root is resolved"
else
	not_ok "a relative --github-root is resolved" "$out"
fi
err=$("$bin" -f github --github-root "$tmp/none/x" "$tmp/repo/test.log" 2>&1 >/dev/null)
status=$?
if [ $status -eq 1 ]; then
	ok "an absolute --github-root is taken as written (another machine's)"
else
	not_ok "an absolute --github-root is taken as written" "status $status: $err"
fi
err=$(cd "$tmp" && "$bin" -f github --github-root none/x repo/test.log 2>&1 >/dev/null)
status=$?
if [ $status -eq 2 ] && [[ $err == *"--github-root: none/x: No such file or directory"* ]]; then
	ok "a relative --github-root that does not exist: exit 2, named"
else
	not_ok "a relative --github-root that does not exist: exit 2, named" "status $status: $err"
fi
err=$("$bin" --github-root / "$tmp/repo/test.log" 2>&1 >/dev/null)
status=$?
if [ $status -eq 2 ] && [[ $err == *"--github-root goes with --format github"* ]]; then
	ok "--github-root without --format github: exit 2"
else
	not_ok "--github-root without --format github: exit 2" "status $status: $err"
fi
# the annotations of merged reports: merge reads the culprits back
"$bin" -f json "$tmp/repo/test.log" >"$tmp/r.json"
out=$(cd "$tmp/repo" && "$bin" merge -f github "$tmp/r.json")
if [[ $out == "::error file=src/client.py,line=12,"* ]]; then
	ok "merge -f github: annotations at the culprits of the reports"
else
	not_ok "merge -f github: annotations at the culprits of the reports" "$out"
fi
tap_end
