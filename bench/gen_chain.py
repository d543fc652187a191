#!/usr/bin/env python3
"""bench/gen_chain.py: events of chained tracebacks, to price a line.

    python3 bench/gen_chain.py --links K [--events N] > FILE

Writes N logged errors (2,000 by default), each a record line and a chain
of K tracebacks joined by "During handling of the above exception,
another exception occurred:", each traceback two frames (four indented
lines) and its final line, then an INFO record.  Two files that differ
only in K have the same events, groups and report sizes; what one costs
more than the other (callgrind's instructions, say) is the price of the
K - 1 links' lines: per link four indented lines and five that are not
(the header, the final line, two blank lines and the separator).
docs/performance.md ("Second session of 2026-12-06") prices them so.
"""
import argparse
import sys


def event(i, links):
    out = ["2024-05-01 00:00:%02d,%03d ERROR app: request failed" % (i % 60, i % 1000)]
    for j in range(links):
        out += ["Traceback (most recent call last):",
                '  File "/srv/app/handlers.py", line %d, in handle' % (100 + j),
                "    await self.fetch(url)",
                '  File "/srv/app/client.py", line 55, in fetch',
                "    raise ConnectionError(url)",
                "ConnectionError: https://x.example/%d" % j]
        if j < links - 1:
            out += ["", "During handling of the above exception, another exception occurred:", ""]
    out.append("2024-05-01 00:00:00,000 INFO app: ok %d" % i)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--links", type=int, required=True, help="tracebacks a chain")
    ap.add_argument("--events", type=int, default=2000)
    a = ap.parse_args()
    if a.links < 1 or a.events < 0:
        ap.error("--links must be at least 1, --events at least 0")
    w = sys.stdout.write
    for i in range(a.events):
        w("\n".join(event(i, a.links)) + "\n")


if __name__ == "__main__":
    main()
