#!/usr/bin/env python3
"""Compare a tracehound (or peer) JSON report with FILE.truth.json.

    python3 bench/check_truth.py REPORT.json FILE.truth.json [--label NAME] [--quiet]

Checks, per coroutine: the event count, the count per rule and the count per
exception type; and the total number of events and lines.  Prints every
difference and exits 1 when there is any (0 when they agree).
Reports are read as tracehound's schema (groups[].key.coroutine, count,
rules, exceptions; scanned.lines; skipped), which bench/peer.py also prints.
"""
import argparse
import json
import sys


def index(groups, report):
    out = {}
    for g in groups:
        key = g["key"]["coroutine"] if report else g["coroutine"]
        if key in out:  # should not happen with --group-by coroutine
            prev = out[key]
            prev["count"] += g["count"]
            for f in ("rules", "exceptions"):
                for k, v in g.get(f, {}).items():
                    prev[f][k] = prev[f].get(k, 0) + v
        else:
            out[key] = {"count": g["count"], "rules": dict(g.get("rules", {})),
                        "exceptions": dict(g.get("exceptions", {}))}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("truth")
    ap.add_argument("--label", default="tracehound")
    ap.add_argument("--quiet", action="store_true", help="summary line only")
    ap.add_argument("--max", type=int, default=40, help="differences to print")
    a = ap.parse_args()
    with open(a.report) as f:
        rep = json.load(f)
    with open(a.truth) as f:
        truth = json.load(f)
    got = index(rep["groups"], True)
    want = index(truth["groups"], False)
    diffs = []
    if rep.get("events") != truth["events"]:
        diffs.append("events: %s, truth %d" % (rep.get("events"), truth["events"]))
    lines = rep.get("scanned", {}).get("lines")
    if lines is not None and lines != truth["lines"]:
        diffs.append("lines scanned: %s, truth %d" % (lines, truth["lines"]))
    got_rules, want_rules = {}, truth["rules"]
    for g in got.values():
        for k, v in g["rules"].items():
            got_rules[k] = got_rules.get(k, 0) + v
    for r in sorted(set(got_rules) | set(want_rules)):
        if got_rules.get(r, 0) != want_rules.get(r, 0):
            diffs.append("rule %s: %d, truth %d" % (r, got_rules.get(r, 0), want_rules.get(r, 0)))
    for k in sorted(set(got) | set(want), key=lambda x: (x is not None, x or "")):
        g, w = got.get(k), want.get(k)
        if g == w:
            continue
        if g is None or w is None:
            diffs.append("coroutine %r: %s, truth %s"
                         % (k, g and g["count"], w and w["count"]))
            continue
        for f in ("count",):
            if g[f] != w[f]:
                diffs.append("coroutine %r: count %d, truth %d" % (k, g[f], w[f]))
        for f in ("rules", "exceptions"):
            if g[f] != w[f]:
                keys = sorted(set(g[f]) | set(w[f]))
                d = ", ".join("%s %d/%d" % (x, g[f].get(x, 0), w[f].get(x, 0))
                              for x in keys if g[f].get(x, 0) != w[f].get(x, 0))
                diffs.append("coroutine %r: %s differ (got/truth): %s" % (k, f, d))
    skipped = {k: v for k, v in rep.get("skipped", {}).items() if v}
    name = truth.get("file", a.truth)
    if not diffs:
        print("%s: %s: OK, %d events in %d groups, %d lines match the truth%s"
              % (a.label, name, truth["events"], len(want), truth["lines"],
                 (" (skipped: %s)" % skipped) if skipped else ""))
        return 0
    print("%s: %s: %d DIFFERENCES from the truth (%d events, %d groups)%s"
          % (a.label, name, len(diffs), truth["events"], len(want),
             (" (skipped: %s)" % skipped) if skipped else ""))
    if not a.quiet:
        for d in diffs[:a.max]:
            print("  " + d)
        if len(diffs) > a.max:
            print("  ... %d more" % (len(diffs) - a.max))
    return 1


if __name__ == "__main__":
    sys.exit(main())
