#!/usr/bin/env python3
"""Compare the groups of a tracehound JSON report made with --group-by KEY
with the counts of `sort | uniq -c` over the values the generator wrote.

    tracehound -f json -g task LOG | python3 bench/check_groups.py --key task - COUNTS

COUNTS is `LC_ALL=C sort LOG.tasks | uniq -c` (a count and a value per
line).  The report is read as a stream, one group at a time, so a report
of millions of groups (gigabytes of JSON) is checked in bounded memory
(the expected counts are held: about 130 bytes per value).  Checks that
every value has a group with its exact count, that no other group exists
and that the report's event total is the sum.  Prints one summary line and
the first differences; exits 1 when there is any difference.
"""
import argparse
import json
import re
import sys

CHUNK = 1 << 22


class Stream:
    """The text of a file read CHUNK characters at a time."""

    def __init__(self, f):
        self.f = f
        self.buf = ""
        self.pos = 0
        self.eof = False

    def more(self):
        """Reads the next chunk (dropping what was consumed); False at EOF."""
        if self.eof:
            return False
        data = self.f.read(CHUNK)
        if not data:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + data
        self.pos = 0
        return True

    def find(self, pattern):
        """Moves past the first match of PATTERN (a compiled regex that
        never spans more than a chunk); the match, or None at EOF."""
        while True:
            m = pattern.search(self.buf, self.pos)
            if m:
                self.pos = m.end()
                return m
            keep = max(self.pos, len(self.buf) - 256)
            self.pos = keep
            if not self.more():
                return None

    def skip_space(self):
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n,":
                self.pos += 1
            if self.pos < len(self.buf) or not self.more():
                return

    def peek(self):
        self.skip_space()
        return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def value(self, decoder):
        """The next JSON value (reading more until it is whole)."""
        while True:
            try:
                v, end = decoder.raw_decode(self.buf, self.pos)
                self.pos = end
                return v
            except json.JSONDecodeError:
                if not self.more():
                    raise


def read_counts(path):
    want = {}
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            n, _, value = line.strip().partition(" ")
            if value:
                want[value] = want.get(value, 0) + int(n)
    return want


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report", help="tracehound's JSON report, - for stdin")
    ap.add_argument("counts", help="`sort VALUES | uniq -c`")
    ap.add_argument("--key", default="task")
    ap.add_argument("--label", default="tracehound")
    ap.add_argument("--max", type=int, default=10, help="differences to print")
    a = ap.parse_args()
    want = read_counts(a.counts)
    total_want = sum(want.values())
    f = (sys.stdin if a.report == "-"
         else open(a.report, encoding="utf-8", errors="surrogateescape"))
    s = Stream(f)
    s.more()
    m = s.find(re.compile(r'"events"\s*:\s*(\d+)'))
    events = int(m.group(1)) if m else None
    if not s.find(re.compile(r'"groups"\s*:\s*\[')):
        print("%s: no groups in the report" % a.label)
        return 1
    dec = json.JSONDecoder()
    ngroups = 0
    wrong, extra, none_key = [], [], 0
    seen = 0
    while s.peek() not in ("]", ""):
        g = s.value(dec)
        ngroups += 1
        key = g.get("key", {}).get(a.key)
        if key is None:
            none_key += g["count"]
            continue
        n = want.pop(key, None)
        if n is None:
            extra.append((key, g["count"]))
        else:
            seen += 1
            if n != g["count"]:
                wrong.append((key, g["count"], n))
    tail = s.buf[s.pos:]
    while s.more():
        tail = s.buf[s.pos:]
    m = re.search(r'"groups_dropped"\s*:\s*(\d+)', tail)
    dropped = m.group(1) if m else "?"
    missing = want
    diffs = []
    if events != total_want:
        diffs.append("events: %s, truth %d" % (events, total_want))
    if missing:
        some = sorted(missing, key=lambda k: (len(k), k))[:a.max]
        diffs.append("%d %s values have no group (%d events), e.g. %s"
                     % (len(missing), a.key, sum(missing.values()),
                        ", ".join("%s×%d" % (k, missing[k]) for k in some)))
    if wrong:
        diffs.append("%d groups have the wrong count (got/truth), e.g. %s"
                     % (len(wrong), ", ".join("%s %d/%d" % w for w in wrong[:a.max])))
    if extra:
        diffs.append("%d groups are not in the truth, e.g. %s"
                     % (len(extra), ", ".join("%s×%d" % e for e in extra[:a.max])))
    if none_key:
        diffs.append("%d events in a group without a %s" % (none_key, a.key))
    if not diffs:
        print("%s --group-by %s: OK, %d events in %d groups match sort | uniq -c"
              % (a.label, a.key, total_want, ngroups))
        return 0
    print("%s --group-by %s: MISMATCH with sort | uniq -c (%d events in %d "
          "groups): %d groups reported, groups_dropped %s"
          % (a.label, a.key, total_want, seen + len(missing), ngroups, dropped))
    for d in diffs:
        print("  " + d)
    return 1


if __name__ == "__main__":
    sys.exit(main())
