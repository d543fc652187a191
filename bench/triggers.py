#!/usr/bin/env python3
"""bench/triggers.py: the default rules' triggers, for `rg -c -f`.

    python3 bench/triggers.py PATTERNS_DIR > TRIGGERS

Writes the `start` regex of every rule in PATTERNS_DIR/*.yaml (the rules
tracehound loads by default, patterns/README.md), one a line, in the
dialect of ripgrep's default engine: PCRE2's named group `(?<name>...)`
becomes `(?P<name>...)`, which ripgrep 13 needs; nothing else changes.
`rg -c -f TRIGGERS FILE` then counts the lines on which a default rule
starts an event: the same triggers tracehound searches for, where a
hand-written list would fall behind the rules (bench/README.md).

Only what the rule files use is read: each `start:` key of a rule, its
value a single-quoted, double-quoted or plain scalar on one line.  Any
other form stops the script (exit status 1) rather than leave a trigger
out; so does a rule (`- id:`) without a `start`, and a directory whose
rules have none.
"""
import glob
import os
import re
import sys

START = re.compile(r"^\s+start:\s*(.*)$")
RULE = re.compile(r"^\s*- id:\s*(\S+)")
NAMED = re.compile(r"\(\?<(?=[A-Za-z_])")


def die(msg):
    sys.exit("bench/triggers.py: " + msg)


def unescape(body, where):
    """The string of a double-quoted scalar's BODY: only \\\\ and \\" are
    read, the escapes a regex needs there."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i + 1 == len(body) or body[i + 1] not in '\\"':
                die("%s: a double-quoted start with an escape other than "
                    "\\\\ or \\\" (write it single-quoted)" % where)
            c = body[i + 1]
            i += 1
        out.append(c)
        i += 1
    return "".join(out)


def scalar(text, where):
    """The string a one-line YAML scalar TEXT stands for."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return unescape(text[1:-1], where)
    if not text or text[0] in "|>&*!%@`[{":
        die("%s: a start that is not a one-line scalar" % where)
    return re.sub(r"\s+#.*$", "", text)


def starts(path):
    """The start regexes of the rules of the YAML file PATH, in order."""
    out, rule = [], None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = RULE.match(line)
            if m:
                if rule is not None:
                    die("%s: rule %s has no start" % (path, rule))
                rule = m.group(1)
                continue
            m = START.match(line)
            if m:
                if rule is None:
                    die("%s:%d: a start outside a rule" % (path, n))
                out.append(scalar(m.group(1), "%s:%d" % (path, n)))
                rule = None
    if rule is not None:
        die("%s: rule %s has no start" % (path, rule))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench/triggers.py PATTERNS_DIR")
    files = sorted(glob.glob(os.path.join(sys.argv[1], "*.yaml")))
    if not files:
        die("no *.yaml in %s" % sys.argv[1])
    regexes = [r for path in files for r in starts(path)]
    if not regexes:
        die("no rule in %s has a start" % sys.argv[1])
    for regex in regexes:
        print(NAMED.sub("(?P<", regex))


if __name__ == "__main__":
    main()
