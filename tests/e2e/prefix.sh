#!/usr/bin/env bash
# prefix.sh - a line prefix of the user's own (rule files' `prefixes:`):
# its writers are kept apart, named as the events' source, and its time
# becomes the events' time.
# Prints TAP.
set -u
bin=${TH_BIN:?TH_BIN must name the tracehound binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
check() { # NAME HAYSTACK NEEDLE
	case $2 in
	*"$3"*) ok "$1" ;;
	*) not_ok "$1" "missing: $3" ;;
	esac
}

cat >"$tmp/nginx.yaml" <<'YAML'
prefixes:
  - id: local.nginx-like
    regex: '^\[(?<time>[^\]]+)\] (?<source>\S+) \| (?<message>.*)$'
    time_format: '%d/%b/%Y:%H:%M:%S %z'
YAML
# two writers, their tracebacks interleaved line by line
cat >"$tmp/custom.log" <<'LOG'
[24/Nov/2026:10:00:01 +0100] worker-3 | ERROR:asyncio:Task exception was never retrieved
[24/Nov/2026:10:00:01 +0100] worker-4 | Traceback (most recent call last):
[24/Nov/2026:10:00:01 +0100] worker-3 | future: <Task finished name='Task-9' coro=<refill() done, defined at shop.py:12> exception=KeyError('sku')>
[24/Nov/2026:10:00:01 +0100] worker-4 |   File "api.py", line 7, in handler
[24/Nov/2026:10:00:01 +0100] worker-3 | Traceback (most recent call last):
[24/Nov/2026:10:00:01 +0100] worker-3 |   File "shop.py", line 14, in refill
[24/Nov/2026:10:00:01 +0100] worker-4 | ValueError: bad
[24/Nov/2026:10:00:01 +0100] worker-3 | KeyError: 'sku'
[24/Nov/2026:10:00:02 +0100] worker-3 | INFO:app:done
LOG

echo "TAP version 13"
out=$("$bin" --rules "$tmp/nginx.yaml" --format ndjson --fail-on never "$tmp/custom.log")
check "the first writer's event is whole" "$out" '"rule":"asyncio.exception-never-retrieved","severity":"error","coroutine":"refill","exception":"KeyError","message":"'"'sku'"'","task":"Task-9"'
check "the second writer's event is whole" "$out" '"rule":"python.traceback","severity":"error","coroutine":"handler","exception":"ValueError"'
check "the prefix's time, converted to UTC, is the event's" "$out" '"time":"2026-11-24T09:00:01Z"'
check "the event text is the message without the prefix" "$out" '"text":"ERROR:asyncio:Task exception was never retrieved\nfuture:'
check "the first writer's event names it as its source" "$out" '"coroutine":"refill","exception":"KeyError","message":"'"'sku'"'","task":"Task-9","defined_at":"shop.py:12","created_at":null,"source":"worker-3"'
check "the second writer's event names it as its source" "$out" '"coroutine":"handler","exception":"ValueError","message":"bad","task":null,"defined_at":null,"created_at":null,"source":"worker-4"'
out=$("$bin" --rules "$tmp/nginx.yaml" --format json --group-by source --fail-on never "$tmp/custom.log" | tr -d ' \n')
check "--group-by source makes a group of each writer" "$out" '"key":{"source":"worker-3"},"count":1'
check "the group carries its first event's source" "$out" '"message":"bad","source":"worker-4"'
cat >"$tmp/quiet.yaml" <<'YAML'
ignore:
  - id: local.worker-4
    source: '^worker-4$'
YAML
out=$("$bin" --rules "$tmp/nginx.yaml" --rules "$tmp/quiet.yaml" --format json --group-by source --fail-on never "$tmp/custom.log" | tr -d ' \n')
check "an ignore rule drops a writer's events by source" "$out" '"ignored":{"local.worker-4":1}'
check "the other writer's event stays" "$out" '"events":1,"groups":[{"key":{"source":"worker-3"}'
out=$("$bin" rules check "$tmp/nginx.yaml" 2>&1)
check "rules check counts the prefix" "$out" "1 prefixes"
tap_end
