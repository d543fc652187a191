#!/usr/bin/env python3
"""bench/cut_pieces.py: a log as CRI lines cut into pieces of random sizes.

    python3 bench/cut_pieces.py SEED STDERR_LOG OTHER_LOG MIN MAX OUT

Each line of STDERR_LOG becomes CRI lines on stderr, cut into pieces of
MIN to MAX bytes (seeded by SEED): "P" pieces and a last "F" one.  With
OTHER_LOG (not "-"), its lines are cut the same way on stdout, and the
two streams' pieces are interleaved at random (four in five from
stderr), as a runtime writes two streams into one file.  Every output
line has its own time.  It makes the logs that check that tracehound
reads a line cut into pieces as it reads it joined, whatever the sizes
of the pieces (docs/performance.md, "Lines cut into pieces"): two
tracehound binaries must give the same reports on them byte for byte.
"""
import random
import sys


def pieces(rng, line, least, most):
    """LINE cut into (tag, text) pieces of LEAST to MOST bytes."""
    out = []
    while True:
        n = rng.randint(least, most)
        if len(line) <= n:
            out.append(("F", line))
            return out
        out.append(("P", line[:n]))
        line = line[n:]


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    seed, first, other, least, most, out = sys.argv[1:]
    rng = random.Random(int(seed))
    least, most = int(least), int(most)

    def cut(path, stream):
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().split("\n")
        return [(stream, tag, text) for line in lines
                for tag, text in pieces(rng, line, least, most)]

    a = cut(first, "stderr")
    b = cut(other, "stdout") if other != "-" else []
    i = j = t = 0
    with open(out, "w", encoding="utf-8", errors="surrogateescape") as f:
        while i < len(a) or j < len(b):
            if j >= len(b) or (i < len(a) and rng.random() < 0.8):
                stream, tag, text = a[i]
                i += 1
            else:
                stream, tag, text = b[j]
                j += 1
            t += 1
            f.write("2026-11-26T10:%02d:%02d.%06d000Z %s %s %s\n" % (
                t // 60000 % 60, t // 1000 % 60, t % 1000 * 1000, stream, tag, text))


if __name__ == "__main__":
    main()
