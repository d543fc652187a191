"""Score tracehound on held-out logs: how many of the events each log's
program provoked come out with the right coroutine x rule and the right
coroutine x exception.

    python3 gen/holdout/score.py BIN [--bar X] [--quiet] [EXPECTED.json ...]

EXPECTED files have the format of tests/e2e/expected-next/ (gen/samples/
README.md, "Expected-next"): "log" (relative to the repository root) and
"facts", one object per event with at least rule, coroutine, exception.
Default: every tests/e2e/expected-holdout/*/*.json.

For each log, BIN is run as `BIN -f ndjson --fail-on never LOG` and the
reported events are matched against the facts as two multisets:

    pairs score = matched / max(len(expected), len(reported))

once for (coroutine, rule) and once for (coroutine, exception); the log's
score is the mean of the two.  The total is the mean of the log scores
weighted by the number of expected events (a log expecting none weighs 1,
so that events reported there still count against the total).  The script
knows nothing of tracehound's code or of the bench: only the ndjson
fields rule, coroutine and exception.

Prints every log's score and its mismatches (expected pairs not reported,
reported pairs not expected), then the total.  With --bar X, exit status 1
when the total is below X.
"""
import collections
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def reported_events(binary, log):
    run = subprocess.run([binary, "-f", "ndjson", "--fail-on", "never", log],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if run.returncode != 0:
        raise RuntimeError("%s: exit status %d: %s" % (
            log, run.returncode, run.stderr.decode(errors="replace").strip()))
    return [json.loads(line) for line in run.stdout.decode().splitlines()
            if line.strip()]


def pair_score(want, got):
    """(score, missing, extra) of two lists of pairs compared as
    multisets."""
    w = collections.Counter(want)
    g = collections.Counter(got)
    matched = sum((w & g).values())
    denom = max(len(want), len(got))
    score = 1.0 if denom == 0 else matched / denom
    return score, sorted((w - g).elements(), key=repr), \
        sorted((g - w).elements(), key=repr)


def score_file(binary, path):
    want = json.load(open(path))
    facts = want["facts"]
    events = reported_events(binary, os.path.join(ROOT, want["log"]))
    lines = []
    scores = []
    for other in ("rule", "exception"):
        s, missing, extra = pair_score(
            [(f["coroutine"], f[other]) for f in facts],
            [(e.get("coroutine"), e.get(other)) for e in events])
        scores.append(s)
        for m in missing:
            lines.append("    missing coroutine x %s: %s" % (other, json.dumps(m)))
        for x in extra:
            lines.append("    extra   coroutine x %s: %s" % (other, json.dumps(x)))
    return want["log"], len(facts), len(events), sum(scores) / 2, lines


def main(argv):
    args = argv[1:]
    bar = None
    quiet = False
    if "--bar" in args:
        i = args.index("--bar")
        bar = float(args[i + 1])
        del args[i:i + 2]
    if "--quiet" in args:
        args.remove("--quiet")
        quiet = True
    if not args:
        sys.exit(__doc__)
    binary = args[0]
    paths = args[1:] or sorted(glob.glob(os.path.join(
        ROOT, "tests/e2e/expected-holdout/*/*.json")))
    if not paths:
        sys.exit("score: no expected files")
    total = weight = 0.0
    for p in paths:
        log, n_want, n_got, s, lines = score_file(binary, p)
        w = max(n_want, 1)
        total += s * w
        weight += w
        if not quiet or s < 1:
            print("%.4f  %s  (%d expected, %d reported)" % (s, log, n_want, n_got))
            for ln in lines:
                print(ln)
    figure = total / weight
    print("total %.4f over %d logs, %d expected events"
          % (figure, len(paths), int(weight)))
    if bar is not None and figure < bar:
        print("below the bar %.4f" % bar)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
