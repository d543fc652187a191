#!/usr/bin/env python3
"""The script a user would write instead of tracehound: read the log line by
line, look for the asyncio/traceback triggers with one regex per line,
collect the lines that follow (traceback frames, headers, the final
exception line), take the coroutine from coro=<...> or the culprit (the
innermost frame outside the standard library and site-packages) and the exception from the final line, group by coroutine and print JSON.

    python3 bench/peer.py FILE > report.json

Straightforward on purpose (one pass, a compiled regex, a dict of groups),
but not naive about the job: it follows chained tracebacks to the last one,
splits bare exception groups into leaves, strips ANSI colors and knows the
Sentry task wrapper, so that its counts can be compared with the truth.
The JSON has the same fields as tracehound's report for the parts it does
(events, scanned.lines/bytes, groups[].key.coroutine/count/rules/exceptions).
"""
import json
import re
import sys

TRIGGER = re.compile(
    r"(?:Task|Future|_GatheringFuture) exception was never retrieved"
    r"|Task was destroyed but it is pending!"
    r"|coroutine '([^']+)' was never awaited"
    r"|Exception in callback "
    r"|Traceback \(most recent call last\):")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FRAME = re.compile(r'^\s*(?:[|+]\s*)*File "([^"]*)", line \d+, in (\S+)')
TYPE = re.compile(r"^([A-Za-z_][\w.]*)(?::|$)")
CORO = re.compile(r"coro=<(\S+?)\(\)")
EXC_IN_REPR = re.compile(r"exception=([\w.]+)\(")
HEADERS = ("future: ", "task: ", "handle: ", "transport: ", "source_traceback:",
           "Traceback (most recent call last):", "Coroutine created at",
           "Object allocated at", "RuntimeWarning: Enable tracemalloc")
SEPARATORS = ("During handling of the above exception, another exception occurred:",
              "The above exception was the direct cause of the following exception:")
WRAPPER = "_coro_creating_hub_and_span"
BOX = re.compile(r"^\s*[|+]")
LIBRARY = re.compile(r"^<frozen |[/\\](?:site|dist)-packages[/\\]"
                     r"|/lib(?:64)?/python\d+\.\d+/|/lib/python3/|/lib/pypy\d+\.\d+/"
                     r"|(?i:\\(?:python[^\\]*|[^\\]*conda[^\\]*)\\lib\\)")
BOX_STRIP = re.compile(r"^(\s*)([|+])-*\+?-*(?: \d+ -*)?-* ?")


def rule_of(first):
    if "exception was never retrieved" in first:
        return "asyncio.exception-never-retrieved"
    if "Task was destroyed but it is pending!" in first:
        return "asyncio.task-destroyed-pending"
    if "was never awaited" in first:
        return "asyncio.coroutine-never-awaited"
    if "Exception in callback " in first:
        return "asyncio.exception-in-callback"
    if "Exception Group Traceback" in first:
        return "python.exception-group"
    return "python.traceback"


def last_traceback(lines):
    """(culprit's function, final type) of the last traceback of a chain:
    its innermost application frame, else its innermost frame."""
    func = app = exc = None
    for line in lines:
        if line.startswith("Traceback (most recent call last):"):
            func = app = exc = None
            continue
        m = FRAME.match(line)
        if m:
            func = m.group(2)
            if not LIBRARY.search(m.group(1)):
                app = func
            continue
        if line[:1] not in (" ", "") and not line.startswith(HEADERS) \
                and line not in SEPARATORS:
            t = TYPE.match(line)
            if t:
                exc = t.group(1)
    return app or func, exc


def group_leaves(lines):
    """One (function, type) per leaf of a printed exception group."""
    leaves = []
    body = []
    for line in lines:
        if not BOX.match(line):
            continue
        m = re.match(r"^(\s*)[|+](.*)$", line)
        depth, rest = len(m.group(1)), m.group(2)
        if line.lstrip().startswith("+") and rest.lstrip(" +").startswith("-"):
            body.append((depth, None))
            continue
        body.append((depth, rest[1:] if rest.startswith(" ") else rest))
    last = {}  # depth -> innermost function
    app = {}   # depth -> innermost application function
    for k, (depth, text) in enumerate(body):
        if text is None:
            continue
        m = FRAME.match(text)
        if m:
            last[depth] = m.group(2)
            if not LIBRARY.search(m.group(1)):
                app[depth] = m.group(2)
            continue
        if "Traceback (most recent call last)" in text:
            last.pop(depth, None)
            app.pop(depth, None)
        if text[:1] in (" ", "") or "Traceback (most recent call last)" in text \
                or text in SEPARATORS:
            continue
        t = TYPE.match(text)
        if not t or t.group(1).endswith("ExceptionGroup"):
            continue
        # a chained leaf counts once, under its last exception
        nxt = next((x for d, x in body[k + 1:] if x is None or d != depth or
                    (x.strip() and not x.startswith(" "))), None)
        if nxt in SEPARATORS:
            continue
        leaves.append((app.get(depth, last.get(depth)), t.group(1)))
    return leaves


def classify(lines):
    """[(rule, coroutine, exception)] for one assembled event."""
    rule = rule_of(lines[0])
    if rule == "python.exception-group":
        return [(rule, f, t) for f, t in group_leaves(lines)]
    if rule == "asyncio.coroutine-never-awaited":
        return [(rule, TRIGGER.search(lines[0]).group(1), None)]
    coro = None
    for line in lines[1:4]:
        if line.startswith(("future: ", "task: ")):
            m = CORO.search(line)
            if m:
                coro = m.group(1)
            break
    if rule == "asyncio.task-destroyed-pending":
        return [(rule, coro, None)]
    func, exc = last_traceback(lines[1:] if rule.startswith("asyncio") else lines)
    if rule == "asyncio.exception-never-retrieved":
        if any(l.lstrip().startswith("+ Exception Group Traceback") for l in lines):
            exc = None
        if exc is None:
            for line in lines[1:3]:
                m = EXC_IN_REPR.search(line)
                if m:
                    exc = m.group(1)
                    break
        if coro and coro.endswith(WRAPPER):
            frames = [m.group(2) for m in map(FRAME.match, lines) if m]
            if WRAPPER in frames:
                below = len(frames) - 1 - frames[::-1].index(WRAPPER) + 1
                if below < len(frames):
                    coro = frames[below]
        return [(rule, coro, exc)]
    return [(rule, func, exc)]   # exception in callback, traceback


def continues(line, prev):
    """Does this line belong to the event whose previous line is prev?"""
    if line == "" or line[0] in " \t":
        return True
    if line.startswith(HEADERS) or line in SEPARATORS:
        return True
    # the final "Type: message" line after frames, or after future: <...>
    return bool(TYPE.match(line)) and (prev[:1] in (" ", "\t") or prev.startswith("future: "))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: peer.py FILE")
    groups = {}
    nlines = nevents = 0

    def finish(ev, first_line):
        nonlocal nevents
        for rule, coro, exc in classify(ev):
            nevents += 1
            g = groups.get(coro)
            if g is None:
                g = groups[coro] = {"count": 0, "rules": {}, "exceptions": {},
                                    "first_line": first_line, "last_line": first_line}
            g["count"] += 1
            g["rules"][rule] = g["rules"].get(rule, 0) + 1
            if exc:
                g["exceptions"][exc] = g["exceptions"].get(exc, 0) + 1
            g["last_line"] = first_line

    event = None
    start = 0
    with open(sys.argv[1], encoding="utf-8", errors="replace", newline="\n") as f:
        for line in f:
            nlines += 1
            line = line.rstrip("\r\n")
            if "\x1b" in line:
                line = ANSI.sub("", line)
            if event is not None:
                m = None if line[:1] in (" ", "\t") or line.startswith("Traceback") \
                    else TRIGGER.search(line)
                if m is None and continues(line, event[-1]):
                    event.append(line)
                    continue
                while event and event[-1] == "":
                    event.pop()
                finish(event, start)
                event = None
            else:
                m = TRIGGER.search(line)
            if m:
                event = [line]
                start = nlines
        if event:
            finish(event, start)

    out = []
    for coro, g in groups.items():
        out.append({"key": {"coroutine": coro}, "count": g["count"],
                    "rules": g["rules"], "exceptions": g["exceptions"],
                    "first_line": g["first_line"], "last_line": g["last_line"]})
    out.sort(key=lambda g: (-g["count"], g["key"]["coroutine"] is not None,
                            g["key"]["coroutine"] or ""))
    json.dump({"scanned": {"lines": nlines}, "events": nevents,
               "groups": out}, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 1 if nevents else 0


if __name__ == "__main__":
    sys.exit(main())
