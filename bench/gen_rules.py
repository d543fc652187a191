#!/usr/bin/env python3
"""gen_rules.py - write N simple rules (and optionally ignore rules naming
them) to stdout, to measure how loading and scanning grow with the number
of rules (docs/performance.md: 100,000 rules load in seconds).

    bench/gen_rules.py 100000 > /tmp/many.yaml
    tracehound rules check -r /tmp/many.yaml

Each rule starts at its own literal ("worker 17 stalled on queue"), so
every rule has a derived literal and none covers another.
"""
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    ignores = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    out = sys.stdout
    out.write("rules:\n")
    for i in range(n):
        out.write(f"  - id: bench.stall-{i}\n"
                  f"    severity: warning\n"
                  f"    body: line\n"
                  f"    start: 'worker {i} stalled on queue'\n")
    if ignores:
        out.write("ignore:\n")
        for i in range(ignores):
            out.write(f"  - id: bench.quiet-{i}\n"
                      f"    rule: bench.stall-{i}\n"
                      f"    text: 'queue q{i}$'\n")


if __name__ == "__main__":
    main()
