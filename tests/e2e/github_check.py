#!/usr/bin/env python3
"""tests/e2e/github_check.py - for github.sh: are the annotations of each
sample log at their culprits?

Usage: github_check.py TMP SOURCES LOG...  where TMP/I.json is the JSON
report of the I-th LOG and TMP/I.github its `--format github --github-root
/tmp/app` output (the sample programs ran in /tmp/app; their sources are
SOURCES, gen/samples/). Prints, per LOG, a line: LOG, then a tab before
each thing wrong (nothing when all is well):
  - one annotation per group, in the report's order, the command by its
    severity;
  - file= and line= are the culprit's, relative to /tmp/app (a relative
    culprit kept), and no file= for a culprit elsewhere;
  - that line of the source is a line of code, and the log's traceback
    shows it under `File "...", line N`.
"""
import json
import re
import sys

COMMAND = re.compile(r"^::(error|warning|notice) "
                     r"(?:file=([^,:]*),line=(\d+),)?title=[^:]*::")
SEVERITY = {"error": "error", "warning": "warning", "info": "notice"}
ROOT = "/tmp/app/"


def unescape(v):
    """A property value as GitHub reads it."""
    for esc, ch in (("%2C", ","), ("%3A", ":"), ("%0A", "\n"),
                    ("%0D", "\r"), ("%25", "%")):
        v = v.replace(esc, ch)
    return v


def repo_path(culprit):
    """The culprit's path in the repository, or None."""
    if not culprit:
        return None
    f = culprit["file"]
    if f.startswith(ROOT):
        return f[len(ROOT):]
    return None if f.startswith(("/", "<")) else f


def shown_under(text, path, n):
    """The source lines the log shows under `File "PATH", line N` (inside
    an exception group's box, after its "| " border)."""
    frame = re.compile(r'File "(?:%s)?%s", line %d, in '
                       % (re.escape(ROOT), re.escape(path), n))
    return [text[k + 1].strip(" |") for k in range(len(text) - 1)
            if frame.search(text[k])]


def check_group(group, annotation, text, sources):
    """What is wrong with one group's annotation."""
    m = COMMAND.match(annotation)
    if not m:
        return [f"not a workflow command: {annotation[:120]}"]
    wrong = []
    if m.group(1) != SEVERITY[group["severity"]]:
        wrong.append(f"{group['severity']} group as ::{m.group(1)}")
    c = group.get("culprit")
    path = repo_path(c)
    if path is None:
        if m.group(2) is not None:
            wrong.append(f"file= for a culprit outside the root: "
                         f"{annotation[:120]}")
        return wrong
    if m.group(2) is None:
        return wrong + [f"no file= for culprit {c['file']}"]
    f, n = unescape(m.group(2)), int(m.group(3))
    if f != path or n != c["line"]:
        return wrong + [f"at {f}:{n}, culprit {c['file']}:{c['line']}"]
    with open(f"{sources}/{f}", encoding="utf-8") as src:
        code = src.read().splitlines()
    if n < 1 or n > len(code) or not code[n - 1].strip():
        return wrong + [f"{f}:{n} is no line of code"]
    shown = shown_under(text, f, n)
    if code[n - 1].strip() not in shown:
        wrong.append(f"{f}:{n} is '{code[n - 1].strip()}', the log shows "
                     f"{shown[:2]}")
    return wrong


def check_log(tmp, i, log, sources):
    """What is wrong with the I-th log's annotations."""
    with open(f"{tmp}/{i}.json", encoding="utf-8") as r:
        groups = json.load(r)["groups"]
    with open(f"{tmp}/{i}.github", encoding="utf-8") as a:
        lines = a.read().splitlines()
    with open(log, encoding="utf-8", errors="replace") as lf:
        # without 3.13's colors
        text = re.sub(r"\x1b\[[0-9;]*m", "", lf.read()).splitlines()
    if len(lines) != len(groups):
        return [f"{len(lines)} annotations for {len(groups)} groups"]
    wrong = []
    for g, a in zip(groups, lines):
        wrong += check_group(g, a, text, sources)
    return wrong


def main():
    tmp, sources, logs = sys.argv[1], sys.argv[2], sys.argv[3:]
    for i, log in enumerate(logs):
        print(log, *check_log(tmp, i, log, sources), sep="\t")


main()
