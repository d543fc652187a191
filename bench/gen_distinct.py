#!/usr/bin/env python3
"""Seeded generator of logs where every event is a group of its own: the
shape that makes the aggregate grow with the input, for measuring memory
under -j (README "Memory and temporary files").

    python3 bench/gen_distinct.py --events 200000 --frames 12 --out big.log
    python3 bench/gen_distinct.py --oneline --events 6000000 --out many.log

Default: each event is a "Task exception was never retrieved" record whose
coroutine (`coro_<n>`) and exception (`Error<n>`) are its own, with a
traceback of --frames frames (about 150 bytes each) and an ordinary log line
before it: --events 200000 --frames 12 gives about 400 MB.

--oneline: each event is a "coroutine 'coro_<n>' was never awaited" warning
on one line (with its source line and the tracemalloc hint after it, as
CPython writes them), one ordinary line before it: about 200 bytes an event.

Every coroutine name is distinct, so with the default --group-by coroutine
there are --events groups.  Prints nothing; Python 3 standard library only.
"""
import argparse
import random

ORDINARY = ("2026-11-26 11:05:13,{ms:03d} INFO     app.http: GET /api/items/{n} "
            "200 {t}ms user={u}\n")


def traceback_event(rng, n, frames):
    lines = [
        "2026-11-26 11:05:14,{:03d} ERROR    asyncio: Task exception was "
        "never retrieved\n".format(rng.randrange(1000)),
        "future: <Task finished name='Task-{n}' coro=<coro_{n}() done, "
        "defined at /srv/app/mod_{m}.py:{l}> exception=Error{n}('request "
        "{n} failed')>\n".format(n=n, m=n % 997, l=rng.randrange(1, 900)),
        "Traceback (most recent call last):\n",
    ]
    for k in range(frames):
        lines.append('  File "/srv/app/pkg_{a}/module_{b}.py", line {l}, in '
                     "handler_{n}_{k}\n".format(a=rng.randrange(50),
                                                b=rng.randrange(200),
                                                l=rng.randrange(1, 3000),
                                                n=n, k=k))
        lines.append("    result = await self.step_{k}(request, "
                     "context=ctx_{n}, retries={r})\n".format(
                         k=k, n=n, r=rng.randrange(9)))
    lines.append("mod_{m}.Error{n}: request {n} failed after {r} "
                 "retries\n".format(m=n % 997, n=n, r=rng.randrange(9)))
    return "".join(lines)


def oneline_event(rng, n):
    return ("/srv/app/mod_{m}.py:{l}: RuntimeWarning: coroutine 'coro_{n}' "
            "was never awaited\n  coro_{n}(request)\nRuntimeWarning: Enable "
            "tracemalloc to get the object allocation traceback\n").format(
                m=n % 997, l=rng.randrange(1, 900), n=n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--oneline", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with open(a.out, "w", buffering=1 << 20) as f:
        for n in range(a.events):
            f.write(ORDINARY.format(ms=rng.randrange(1000), n=n,
                                    t=rng.randrange(1, 500),
                                    u=rng.randrange(10000)))
            if a.oneline:
                f.write(oneline_event(rng, n))
            else:
                f.write(traceback_event(rng, n, a.frames))


if __name__ == "__main__":
    main()
