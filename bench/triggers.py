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

Only what the rule files use is read: each `start:` key of an entry
(`- id:`) of the top-level `rules:` list, its value a single-quoted,
double-quoted or plain scalar on one line, a comment after it allowed.
Any other form stops the script (exit status 1) rather than leave a
trigger out or misread it: a value that goes on to the next line, a
quoted one with more after its closing quote; so does a rule without a
`start`, and a directory whose rules have none.
"""
import glob
import os
import re
import sys

START = re.compile(r"^(\s+)start:\s*(.*)$")
RULE = re.compile(r"^(\s*- )id:\s*(\S+)")
SECTION = re.compile(r"^([A-Za-z_][\w-]*):")
# an unescaped "(?<" opening a named group, not "(?<=" or "(?<!"
NAMED = re.compile(r"(?<!\\)\(\?<(?=[A-Za-z_])")
# what may follow a quoted scalar on its line
AFTER = re.compile(r"\s*(?:#.*)?$")


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


def closing(text, quote):
    """Where the quoted scalar opening TEXT ends: the index of its closing
    QUOTE, or -1.  '' inside single quotes and \\x inside double quotes
    do not close it."""
    i = 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            if quote == "'" and text[i + 1:i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    return -1


def scalar(text, where):
    """The string a one-line YAML scalar TEXT stands for."""
    text = text.strip()
    if text[:1] in ("'", '"'):
        end = closing(text, text[0])
        if end < 0 or not AFTER.fullmatch(text[end + 1:]):
            die("%s: a quoted start that does not end on its line, or has "
                "more than a comment after it" % where)
        body = text[1:end]
        if text[0] == "'":
            return body.replace("''", "'")
        return unescape(body, where)
    if not text or text[0] in "|>&*!%@`[{#":
        die("%s: a start that is not a one-line scalar" % where)
    return re.sub(r"\s+#.*$", "", text)


def starts(path):
    """The start regexes of the rules of the YAML file PATH, in order."""
    out, rule, section = [], None, None
    key_indent = None  # of the keys of the rule being read
    start_indent = None  # of the start key just read: its value's lines
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            where = "%s:%d" % (path, n)
            text = line.rstrip("\n")
            indent = len(text) - len(text.lstrip())
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            if start_indent is not None and indent > start_indent:
                die("%s: a start that goes on to this line (write it on "
                    "one line)" % where)
            start_indent = None
            m = SECTION.match(text)
            if m:
                if section == "rules" and rule is not None:
                    die("%s: rule %s has no start" % (path, rule))
                section, rule = m.group(1), None
                continue
            if section != "rules":
                continue
            m = RULE.match(text)
            if m:
                if rule is not None:
                    die("%s: rule %s has no start" % (path, rule))
                rule, key_indent = m.group(2), len(m.group(1))
                continue
            m = START.match(text)
            if m and rule is not None and len(m.group(1)) == key_indent:
                out.append(scalar(m.group(2), where))
                start_indent = len(m.group(1))
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
