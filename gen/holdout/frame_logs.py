"""Wrap held-out logs in per-line framings that real deployments add and
that README.md ("Log shapes") does not list: Heroku's router/dyno lines,
GitHub Actions' step-log timestamps, honcho/foreman's process column and
pm2's ``ID|name |`` column.

    python3 gen/holdout/frame_logs.py        # from the repository root

Reads the committed logs of sample-logs/holdout/py3.X/ and their
expected files, writes sample-logs/holdout/framed/<shape>.log and
tests/e2e/expected-holdout/framed/<shape>.json.  Every line of every
source is kept, in order, behind the framing's prefix; times are
synthetic and increase with every line (seeded: the output is the same
every time).  Where the framing names a writer, lines of another writer
that are no events (Heroku's router, another honcho or pm2 process) are
mixed in between the source's lines, inside tracebacks too, as the log
collector merges them.  The expected facts are the sources' facts, one after the
other, without "time" (the framing's synthetic time is not what the
program's records said).
"""
import datetime
import json
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START = datetime.datetime(2026, 12, 4, 9, 30, 0)


def heroku(t, n):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00 app[web.1]: "


def github_actions(t, n):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "%dZ " % (n % 10)


def honcho(t, n):
    return t.strftime("%H:%M:%S") + " worker.1 | "


def pm2(t, n):
    return "0|api      | "


def router(t, rnd):
    return (t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00 heroku[router]: "
            'at=info method=GET path="/orders/%d" host=shop.example.test '
            'fwd="10.0.0.%d" dyno=web.1 connect=0ms service=%dms status=200 '
            "bytes=512 protocol=https" % (rnd.randrange(1, 99),
                                           rnd.randrange(2, 250),
                                           rnd.randrange(3, 90)))


def honcho_web(t, rnd):
    return (t.strftime("%H:%M:%S") + " web.1    | 10.0.0.%d - - \"GET /health "
            'HTTP/1.1" 200 2' % rnd.randrange(2, 250))


def pm2_worker(t, rnd):
    return "1|worker   | job %d done in %dms" % (rnd.randrange(1000, 9999),
                                                rnd.randrange(3, 90))


# (name, prefix of each source line, sources, lines of another writer)
SHAPES = [
    ("heroku", heroku, ["py3.12/gather_timeouts", "py3.10/odd_tracebacks"],
     router),
    ("github-actions", github_actions, ["py3.11/pools", "py3.12/nested_groups"],
     None),
    ("honcho", honcho, ["py3.13/exit_hooks", "py3.8/interrupt"], honcho_web),
    ("pm2", pm2, ["py3.12/children", "py3.7/gather_timeouts"], pm2_worker),
]


def main():
    rnd = random.Random(10)
    outdir = os.path.join(ROOT, "sample-logs/holdout/framed")
    expdir = os.path.join(ROOT, "tests/e2e/expected-holdout/framed")
    os.makedirs(outdir, exist_ok=True)
    os.makedirs(expdir, exist_ok=True)
    for name, prefix, sources, other in SHAPES:
        t = START
        lines = []
        facts = []
        missing = [src for src in sources if not os.path.exists(
            os.path.join(ROOT, "sample-logs/holdout", src + ".log"))]
        if missing:
            print("  skip %s: no %s" % (name, ", ".join(missing)))
            continue
        for src in sources:
            with open(os.path.join(ROOT, "sample-logs/holdout", src + ".log"),
                      encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
            for n, line in enumerate(text.splitlines()):
                t += datetime.timedelta(microseconds=rnd.randrange(5, 900))
                lines.append(prefix(t, n) + line)
                if other is not None and rnd.random() < 0.15:
                    t += datetime.timedelta(microseconds=rnd.randrange(5, 900))
                    lines.append(other(t, rnd))
            t += datetime.timedelta(seconds=rnd.randrange(1, 30))
            with open(os.path.join(ROOT, "tests/e2e/expected-holdout",
                                   src + ".json")) as f:
                exp = json.load(f)
            for fact in exp["facts"]:
                fact = dict(fact)
                fact.pop("time", None)
                facts.append(fact)
        log = "sample-logs/holdout/framed/%s.log" % name
        with open(os.path.join(ROOT, log), "w", encoding="utf-8",
                  errors="surrogateescape") as f:
            f.write("\n".join(lines) + "\n")
        doc = {"log": log, "sources": sources, "events": len(facts),
               "facts": facts}
        with open(os.path.join(expdir, name + ".json"), "w") as f:
            json.dump(doc, f, indent=2, ensure_ascii=False)
            f.write("\n")
        print("  %-16s %5d lines  %d events" % (name, len(lines), len(facts)))


if __name__ == "__main__":
    main()
