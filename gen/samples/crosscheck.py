"""Cross-check: re-derive the expected facts from the produced LOGS with a
small independent parser and compare them with tests/e2e/expected/.

This is not the oracle (the scenario programs write the expected files from
what they provoked); it catches scenarios whose output differs from what
the program believed it provoked.  Usage: python3 crosscheck.py REPO_ROOT
Exit status 1 on any disagreement.
"""
import glob
import json
import os
import re
import sys

from samplekit import is_library

ANSI = re.compile(r"\x1b\[[0-9;]*m")
FRAME = re.compile(r'^\s*File "([^"]*)", line \d+, in (.+)$')
TYPE = re.compile(r"^([A-Za-z_][\w.]*)(?::|$)")
NR = re.compile(r"(Task|Future|_GatheringFuture) exception was never retrieved$")
DP = "Task was destroyed but it is pending!"
NA = re.compile(r"coroutine '([^']+)' was never awaited")
CB = re.compile(r"Exception in callback ")
CORO = re.compile(r"coro=<(\S+?)\(\)")
HDR = re.compile(r"^(future|handle|task|transport): ")
SEP = ("During handling of the above exception, another exception occurred:",
       "The above exception was the direct cause of the following exception:")
WRAPPER = "_coro_creating_hub_and_span"
# patterns/python.yaml's python.unraisable: the object named on the start
# line is the coroutine; the traceback (or, on 3.6/3.7, the bare exception
# line) follows
UNRAISABLE = re.compile(r"Exception ignored (?:in|on|while|when)\b"
                        r"|Unhandled exception in thread started by ")
UNRAISABLE_OBJECT = re.compile(
    r"<(?:coroutine|async_generator|generator) object ([^\s>]+) at 0x"
    r"|<function ([^\s>]+) at 0x|<bound method ([^\s>]+) of ")
# patterns/asyncio.yaml's asyncio.slow-callback (debug mode): a task's
# coroutine, or the callback a handle runs
SLOW = re.compile(r"Executing <(?:Task|Handle|TimerHandle)\b.*> took "
                  r"\d+(?:\.\d+)? seconds")
SLOW_HANDLE = re.compile(r"<(?:Handle|TimerHandle)(?: cancelled)?"
                         r"(?: when=\S+)? ([^\s()]+)\(")


def parse_chain(lines, i):
    """Parse a traceback chain starting at lines[i] ('Traceback ...').
    Returns (the culprit's function of the last traceback: its innermost
    application frame, else its innermost frame; final type, frames
    [(file, function)] of the last traceback, index after the chain).
    Raises ValueError when lines[i] does not start a traceback.
    bench/gen_log.py uses this parser too."""
    n = len(lines)
    func = exc = None
    frames = []
    while True:
        if not lines[i].startswith("Traceback (most recent call last):"):
            raise ValueError("not a traceback: %r" % lines[i])
        i += 1
        frames = []
        while i < n and lines[i].startswith(" "):
            m = FRAME.match(lines[i])
            if m:
                frames.append((m.group(1), m.group(2)))
            i += 1
        app = [f for f in frames if not is_library(f[0])]
        func = (app or frames)[-1][1] if frames else None
        m = TYPE.match(lines[i]) if i < n else None
        exc = m.group(1) if m else None
        i += 1
        # continuation lines of a multi-line message
        while i < n and lines[i].startswith(" ") and not FRAME.match(lines[i]):
            i += 1
        j = i
        while j < n and lines[j] == "":
            j += 1
        if j < n and lines[j] in SEP:
            j += 1
            while j < n and lines[j] == "":
                j += 1
            i = j
            continue
        return func, exc, frames, i


def parse_group(lines, i):
    """Parse an exception-group box starting at lines[i]; return
    ([(culprit's function, type) per leaf], index after the box)."""
    n = len(lines)
    box = []
    while i < n and (lines[i].startswith("  +") or lines[i].startswith("  |")
                     or re.match(r"^\s+[|+]", lines[i])):
        box.append(lines[i])
        i += 1
    # content per depth: strip "... | " markers
    items = []  # (depth, text)
    for line in box:
        m = re.match(r"^(\s*)([|+])(.*)$", line)
        depth = len(m.group(1))
        rest = m.group(3)
        if m.group(2) == "+" and (rest.startswith("-") or rest.startswith("-+")):
            items.append((depth, None))  # separator
            continue
        if rest.startswith(" "):
            rest = rest[1:]
        items.append((depth, rest))
    leaves = []
    last_frame = {}
    app_frame = {}  # depth -> (function, is the application's)
    for k, (depth, text) in enumerate(items):
        if text is None:
            continue
        m = FRAME.match(text)
        if m:
            if depth not in app_frame or not is_library(m.group(1)):
                app_frame[depth] = (m.group(2), not is_library(m.group(1)))
            last_frame[depth] = app_frame[depth][0] \
                if app_frame[depth][1] else m.group(2)
            continue
        if text.startswith("Traceback") or \
                text.startswith("Exception Group Traceback"):
            app_frame.pop(depth, None)
        if text.startswith(" ") or text == "" or text.startswith("Traceback") \
                or text.startswith("Exception Group Traceback") or text in SEP:
            continue
        t = TYPE.match(text)
        if not t:
            continue
        typ = t.group(1)
        if typ.endswith("ExceptionGroup"):
            continue
        # a leaf's final line is not followed by a chain separator
        nxt = None
        for d2, t2 in items[k + 1:]:
            if t2 is None or d2 != depth:
                break
            if t2.strip() == "" or t2.startswith(" "):
                continue
            nxt = t2
            break
        if nxt in SEP:
            continue
        leaves.append((last_frame.get(depth), typ))
    return leaves, i


def parse_message(lines, i, rule):
    """Parse the asyncio message of RULE (exception-never-retrieved or
    -in-callback) whose first line is lines[i]: its header lines, the
    debug-mode source traceback, then the traceback, exception group or
    bare exception line.  Returns (coroutine, exception, index after it)."""
    n = len(lines)
    j = i + 1
    coro = inline_exc = None
    while j < n and HDR.match(lines[j]):
        m = CORO.search(lines[j])
        if m:
            coro = m.group(1)
        j += 1
    if j < n and lines[j].startswith("source_traceback:"):
        j += 1
        while j < n and lines[j].startswith(" "):
            j += 1
    func = exc = None
    frames = []
    if j < n and lines[j].startswith("Traceback (most recent call last):"):
        func, exc, frames, j = parse_chain(lines, j)
    elif j < n and lines[j].startswith("  + Exception Group Traceback"):
        m = re.search(r"exception=(\w+)\(", lines[i + 1])
        exc = m.group(1) if m else "ExceptionGroup"
        _, j = parse_group(lines, j)
    elif j < n and TYPE.match(lines[j]):
        inline_exc = TYPE.match(lines[j]).group(1)
        j += 1
    if rule == "asyncio.exception-in-callback" or coro is None:
        coro = func  # a bare future (no coro=): the culprit's function
    elif coro and coro.endswith(WRAPPER):
        # first frame below the LAST wrapper frame
        funcs = [f for _, f in frames]
        idx = max(k for k, f in enumerate(funcs) if f == WRAPPER)
        coro = funcs[idx + 1]
    return coro, exc or inline_exc, j


def parse_unraisable(lines, i):
    """Parse the unraisable hook's report starting at lines[i]; return
    (coroutine, exception, index after it)."""
    m = UNRAISABLE_OBJECT.search(lines[i])
    name = next((g for g in m.groups() if g), None) if m else None
    j = i + 1
    func = exc = None
    if j < len(lines) and lines[j].startswith(
            "Traceback (most recent call last):"):
        func, exc, _, j = parse_chain(lines, j)
    elif j < len(lines) and TYPE.match(lines[j]):
        exc = TYPE.match(lines[j]).group(1)
        j += 1
    return name or func, exc, j


def slow_callback(line):
    """The coroutine of a slow-callback warning LINE."""
    m = CORO.search(line) if "<Task " in line else SLOW_HANDLE.search(line)
    return m.group(1) if m else None


def scan(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [ANSI.sub("", l.rstrip("\n")) for l in f]
    events = []
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        if NR.search(line) or CB.search(line):
            rule = ("asyncio.exception-never-retrieved" if NR.search(line)
                    else "asyncio.exception-in-callback")
            coro, exc, i = parse_message(lines, i, rule)
            events.append((rule, coro, exc))
            continue
        if DP in line:
            m = CORO.search(lines[i + 1])
            events.append(("asyncio.task-destroyed-pending", m.group(1), None))
            i += 2
            continue
        if UNRAISABLE.search(line):
            coro, exc, i = parse_unraisable(lines, i)
            events.append(("python.unraisable", coro, exc))
            continue
        if SLOW.search(line):
            events.append(("asyncio.slow-callback", slow_callback(line),
                           None))
            i += 1
            continue
        m = NA.search(line)
        if m:
            events.append(("asyncio.coroutine-never-awaited", m.group(1), None))
            i += 1
            continue
        if line.startswith("Traceback (most recent call last):"):
            func, exc, _, i = parse_chain(lines, i)
            events.append(("python.traceback", func, exc))
            continue
        if line.startswith("  + Exception Group Traceback (most recent call last):"):
            leaves, i = parse_group(lines, i)
            for func, typ in leaves:
                events.append(("python.exception-group", func, typ))
            continue
        i += 1
    return events


def summarize(events):
    groups = {}
    for rule, coro, exc in events:
        g = groups.setdefault(coro, {"count": 0, "rules": {}, "exceptions": {}})
        g["count"] += 1
        g["rules"][rule] = g["rules"].get(rule, 0) + 1
        if exc:
            g["exceptions"][exc] = g["exceptions"].get(exc, 0) + 1
    return groups


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    bad = 0
    checked = 0
    for exp_path in sorted(glob.glob(os.path.join(root, "tests/e2e/expected/py*/*.json"))):
        with open(exp_path) as f:
            exp = json.load(f)
        log_path = os.path.join(root, exp["log"])
        got = summarize(scan(log_path))
        want = {g["key"]["coroutine"]: {"count": g["count"], "rules": g["rules"],
                                        "exceptions": g["exceptions"]}
                for g in exp["groups"]}
        total = sum(g["count"] for g in got.values())
        checked += 1
        if got != want or total != exp["events"]:
            bad += 1
            print("MISMATCH %s" % exp["log"])
            for k in sorted(set(got) | set(want), key=str):
                if got.get(k) != want.get(k):
                    print("   %r\n      log:      %s\n      expected: %s"
                          % (k, got.get(k), want.get(k)))
    print("crosscheck: %d logs checked, %d mismatches" % (checked, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
