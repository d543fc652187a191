#!/usr/bin/env python3
"""tests/check-layers.py - keep src/'s layers honest.

src/ is flat (docs/architecture.md, "Layers"); each module (x.c + x.h, with
x_private.h) belongs to one layer, and a layer may include only the
layers below it.  This test reads every `#include "..."` under src/ and
fails when
  - a module is in no layer (add it to LAYER below and to docs/architecture.md),
  - a file includes a header of a layer its own layer may not use,
  - the include graph between modules is deeper than MAX_DEPTH levels,
  - `getenv` is called outside the cmd layer (library code reads no
    environment).
Usage: tests/check-layers.py [SRC_DIR]; prints TAP.
"""
import os
import re
import sys

# layer: the layers its modules may include (its own always allowed)
ALLOWED = {
    "base": [],
    "io": ["base"],
    "rules": ["base"],
    "stages": ["base", "io", "rules"],
    "agg": ["base", "rules"],
    "report": ["base", "agg", "rules"],
    "drive": ["base", "io", "rules", "stages", "agg", "report"],
    "cmd": ["base", "io", "rules", "stages", "agg", "report", "drive"],
}
LAYER = {
    "th": "base", "th_limits": "base", "error": "base", "diag": "base", "event": "base",
    "run": "base", "isotime": "base", "text": "base", "buf": "base", "spanmap": "base", "suggest": "base",
    "heap": "base", "ascii16": "base",
    "input": "io", "codec": "io", "inflow": "io", "lines": "io",
    "catalog": "rules", "rules": "rules", "rules_load": "rules",
    "rules_literal": "rules", "matcher": "rules",
    "trigger": "stages", "frame": "stages", "prefix": "stages", "jsontb": "stages", "kvline": "stages", "richbox": "stages",
    "assemble": "stages", "classify": "stages", "window": "stages",
    "pipeline": "stages",
    "agg": "agg", "timeline": "agg", "spill": "agg",
    "report": "report", "report_util": "report", "report_text": "report",
    "report_json": "report", "report_ndjson": "report",
    "report_markdown": "report", "report_github": "report",
    "report_metrics": "report", "metrics": "agg",
    "scan": "drive", "walk": "drive", "follow": "drive", "state": "drive",
    "state_end": "drive",
    "main": "cmd", "cli": "cmd", "rulestest": "cmd", "merge": "cmd",
}
# what the agg and report layers may take from the rules layer: the
# catalog (ids, severities, field names), never the rule engine
NARROW = {("agg", "rules"): {"catalog"}, ("report", "rules"): {"catalog"}}
MAX_DEPTH = 8

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module(name):
    """foo.c, foo.h and foo_private.h are the module foo."""
    base = name.rsplit(".", 1)[0]
    return base[:-len("_private")] if base.endswith("_private") else base


def scan(src):
    """Return {module: (set of included modules, source text)}."""
    modules = {}
    for name in sorted(os.listdir(src)):
        if not name.endswith((".c", ".h")):
            continue
        with open(os.path.join(src, name), encoding="utf-8") as f:
            text = f.read()
        incs, texts = modules.setdefault(module(name), (set(), []))
        incs.update(module(i) for i in INCLUDE.findall(text))
        incs.discard(module(name))
        texts.append(text)
    return modules


def depth(graph):
    """Longest chain of modules (counted in modules) in an acyclic graph."""
    memo = {}

    def longest(m, seen):
        if m in memo:
            return memo[m]
        if m in seen:
            raise SystemExit(f"Bail out! include cycle through {m}")
        best = 1 + max((longest(n, seen | {m}) for n in graph.get(m, ())
                        if n in graph), default=0)
        memo[m] = best
        return best

    return max((longest(m, frozenset()), m) for m in graph)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "src")
    modules = scan(src)
    checks = []

    checks.append(("every module of src/ has a layer",
                   sorted(m for m in modules if m not in LAYER)))

    wrong = []
    for m, (incs, _) in sorted(modules.items()):
        mine = LAYER.get(m)
        for inc in sorted(incs):
            theirs = LAYER.get(inc)
            if mine is None or theirs is None or theirs == mine:
                continue
            narrow = NARROW.get((mine, theirs))
            if theirs not in ALLOWED[mine] or (
                    narrow is not None and inc not in narrow):
                wrong.append(f"{m} ({mine}) includes {inc} ({theirs})")
    checks.append(("every #include stays within the layers its layer "
                   "may use", wrong))

    graph = {m: incs for m, (incs, _) in modules.items()}
    levels, top = depth(graph)
    checks.append((f"the include graph is at most {MAX_DEPTH} levels deep",
                   [] if levels <= MAX_DEPTH else
                   [f"{levels} levels, starting at {top}"]))

    env = sorted(m for m, (_, texts) in modules.items()
                 if LAYER.get(m) != "cmd" and
                 any(re.search(r"\bgetenv\s*\(", t) for t in texts))
    checks.append(("only the cmd layer reads the environment", env))

    print(f"1..{len(checks)}")
    failed = 0
    for i, (what, problems) in enumerate(checks, 1):
        if problems:
            failed += 1
            print(f"not ok {i} - {what}")
            for p in problems:
                print(f"# {p}")
        else:
            print(f"ok {i} - {what}")
    print(f"# include graph: {levels} levels (longest from {top})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
