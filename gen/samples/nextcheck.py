"""Run tracehound on the sample logs whose expected files carry per-event
facts (tests/e2e/expected-next/, tests/e2e/expected/py3.X/ and the shapes
of tests/e2e/expected/shapes/ made from them) and say
what it gets wrong: the checks of tests/e2e/test_samples.c (events, groups
by coroutine: count, rules, exceptions, tasks, defined_at), plus every
event of "facts" (rule, coroutine, exception, message, culprit, time,
source), matched as a multiset against the ndjson events.  A fact key the
report does not carry at all is listed once per file as "not reported",
not as a mismatch per event; the keys an expected file lists in
"facts_unknown" (a framing's own time: gen/shapes/README.md) are not
compared.

    python3 gen/samples/nextcheck.py BIN [EXPECTED.json ...]

Without EXPECTED files it checks every expected file that has facts, and
fails when one of tests/e2e/expected/py3.X/ has none (its program must
declare them: gen/samples/README.md).  Exit status 1 when anything
differs.  The end-to-end test `facts` (tests/e2e/meson.build) runs it on
the built binary; test_samples.c checks the groups of tests/e2e/expected/.
"""
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GROUP_FIELDS = ("count", "rules", "exceptions", "tasks", "defined_at")
FACT_KEYS = ("rule", "coroutine", "exception", "message", "culprit", "time",
             "source")
# Facts a log cannot tell tracehound, each with its reason: KEY of the
# events named COROUTINE in that expected file is not compared (the other
# keys are).  Keep this list short and every entry explained.
NOT_COMPARED = {
    ("tests/e2e/expected/py3.6/uncaught.json", "lookup", "time"):
        # 3.6 has no asyncio.run(): nothing is logged at shutdown, so the
        # interpreter's crash output directly follows the program's
        # WARNING record "falling back to cached rates", exactly as
        # logger.warning(..., exc_info=True) would print it; README.md
        # ("Where an event starts and ends") gives such a traceback the
        # record's time.
        "the crash output directly follows a WARNING record",
}
# every expected file of these must carry facts
FACTS_REQUIRED = ("tests/e2e/expected-next/py*/*.json",
                  "tests/e2e/expected/py*/*.json")
# those of these that have facts are checked
FACTS_OPTIONAL = ("tests/e2e/expected/shapes/*.json",)


def report(binary, log, fmt):
    run = subprocess.run([binary, "--format", fmt, "--fail-on", "never",
                          os.path.join(ROOT, log)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    if run.returncode != 0:
        raise RuntimeError("exit status %d: %s" % (
            run.returncode, run.stderr.decode(errors="replace").strip()))
    out = run.stdout.decode()
    if fmt == "json":
        return json.loads(out)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def same(want, got):
    if isinstance(want, list):
        return isinstance(got, list) and sorted(map(json.dumps, want)) \
            == sorted(map(json.dumps, got))
    return want == got


def check(binary, path, required):
    want = json.load(open(path))
    problems = []
    rep = report(binary, want["log"], "json")
    if rep.get("events") != want["events"]:
        problems.append("events %s, want %s" % (rep.get("events"), want["events"]))
    groups = {json.dumps(g["key"], sort_keys=True): g for g in rep.get("groups", [])}
    for wg in want["groups"]:
        key = json.dumps(wg["key"], sort_keys=True)
        g = groups.pop(key, None)
        if g is None:
            problems.append("no group %s (want %d events)" % (key, wg["count"]))
            continue
        for f in GROUP_FIELDS:
            if f in wg and not same(wg[f], g.get(f)):
                problems.append("group %s: %s is %s, want %s"
                                % (key, f, json.dumps(g.get(f)), json.dumps(wg[f])))
    for key, g in groups.items():
        problems.append("extra group %s (%d events)" % (key, g["count"]))
    if "facts" in want:
        events = report(binary, want["log"], "ndjson")
        absent = [k for k in FACT_KEYS if events and all(k not in e for e in events)]
        if absent:
            problems.append("not reported at all: %s" % ", ".join(absent))
        keys = [k for k in FACT_KEYS
                if k not in absent and k not in want.get("facts_unknown", [])]
        pool = [{k: e.get(k) for k in keys} for e in events]
        name = os.path.relpath(path, ROOT)
        for fact in want["facts"]:
            missing = [k for k in keys if k not in fact]
            if missing:
                problems.append("fact without %s: %s" % (
                    ", ".join(missing), json.dumps(fact, sort_keys=True)))
                continue
            f = {k: fact[k] for k in keys
                 if (name, fact["coroutine"], k) not in NOT_COMPARED}
            hit = next((e for e in pool
                        if all(e[k] == v for k, v in f.items())), None)
            if hit is not None:
                pool.remove(hit)
            else:
                problems.append("no event %s" % json.dumps(f, sort_keys=True))
        for e in pool:
            problems.append("unexpected event %s" % json.dumps(e, sort_keys=True))
    elif required == "all":
        problems.append("no facts: its program declares none")
    return problems


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[2:]:
        paths = {p: "given" for p in sys.argv[2:]}
    else:
        paths = {p: "all" for pattern in FACTS_REQUIRED
                 for p in glob.glob(os.path.join(ROOT, pattern))}
        paths.update({p: "if any" for pattern in FACTS_OPTIONAL
                      for p in glob.glob(os.path.join(ROOT, pattern))})
    bad = 0
    facts = 0
    for p, required in sorted(paths.items()):
        with open(p) as f:
            facts += len(json.load(f).get("facts", []))
        try:
            problems = check(sys.argv[1], p, required)
        except (RuntimeError, ValueError) as e:  # no report, or not JSON
            problems = ["tracehound failed: %s" % e]
        name = os.path.relpath(p, ROOT)
        print("%s: %s" % (name, "ok" if not problems else "%d problem(s)" % len(problems)))
        for (path, coroutine, key), why in sorted(NOT_COMPARED.items()):
            if path == name:
                print("    %s of %s not compared: %s" % (key, coroutine, why))
        for pr in problems:
            print("    " + pr)
        bad += bool(problems)
    print("%d of %d files differ (%d events with facts)"
          % (bad, len(paths), facts))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
