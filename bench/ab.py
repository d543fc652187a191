#!/usr/bin/env python3
"""bench/ab.py: is one tracehound slower than another? Both in one run.

    python3 bench/ab.py OLD NEW [--runs N] [--data DIR] [--only NAMES]

OLD and NEW are git revisions (built by tools/build-release.sh into
DATA/build-REV from `git archive`, as run.sh's TH_REV does) or paths to
tracehound binaries.  Each workload's input must exist in DATA (made by
`PREPARE_ONLY=1 bench/run.sh`, the default DATA being bench/data).

On each workload the two binaries run `--format json FILE` in turn,
OLD NEW OLD NEW ..., RUNS times each after one warmup run of each, so
that whatever else the machine does falls on both alike; the table gives
each one's median and minimum wall time, its mean CPU time (user +
system) and NEW / OLD for the medians and the CPU times.  Both reports
must be equal, byte for byte (they are compared once): a speed figure of
a binary that answers differently would mean nothing.  See bench/README.md.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name: (input file in DATA, extra arguments)
WORKLOADS = {
    "sparse": ("sparse-1G-every20000-seed1.log", []),
    "dense": ("dense-256M-every200-seed1.log", []),
    "dense-j1": ("dense-256M-every200-seed1.log", ["-j", "1"]),
    "crashloop": ("crashloop-256M-every1-seed1.log", []),
    "docker": ("dense-128M-every200-seed1.docker.log", []),
    "cri": ("dense-128M-every200-seed1.cri.log", []),
    "gz": ("dense-256M-every200-seed1.log.gz", []),
    "zst": ("dense-256M-every200-seed1.log.zst", []),
}


def build(rev, data):
    """The release binary of git revision REV, built once into DATA."""
    short = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short",
                            rev + "^{commit}"], check=True,
                           capture_output=True, text=True).stdout.strip()
    src = os.path.join(data, "src-" + short)
    out = os.path.join(data, "build-" + short)
    if not os.path.exists(os.path.join(src, "meson.build")):
        os.makedirs(src + ".tmp", exist_ok=True)
        archive = subprocess.Popen(["git", "-C", ROOT, "archive", short],
                                   stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", src + ".tmp"],
                       stdin=archive.stdout, check=True)
        if archive.wait() != 0:
            sys.exit(f"ab: git archive {short} failed")
        os.rename(src + ".tmp", src)
    if not os.path.exists(os.path.join(out, "build.ninja")):
        subprocess.run([os.path.join(ROOT, "tools", "build-release.sh"),
                        out, src, "-Dtests=false"], check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", out], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(out, "tracehound"), short


def binary(arg, data):
    """ARG as (binary path, label): a path as it is, else a revision."""
    if os.path.isfile(arg) and os.access(arg, os.X_OK):
        return os.path.abspath(arg), arg
    return build(arg, data)


def once(cmd):
    """Wall seconds and CPU seconds of one run of CMD (output dropped)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime -
                                                 before.ru_stime)
    return wall, cpu


def report_of(cmd):
    """CMD's report (the JSON report has no timing fields)."""
    return subprocess.run(cmd, capture_output=True, check=False).stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--data", default=os.path.join(ROOT, "bench", "data"))
    ap.add_argument("--only", default=" ".join(WORKLOADS))
    args = ap.parse_args()
    old, old_name = binary(args.old, args.data)
    new, new_name = binary(args.new, args.data)
    print(f"`python3 bench/ab.py {args.old} {args.new} --runs {args.runs}"
          f" --only '{args.only}'`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
          f" load {os.getloadavg()[0]:.2f} at the start\n")
    print(f"| workload | {old_name} median s | min s | CPU s "
          f"| {new_name} median s | min s | CPU s | new/old median "
          f"| new/old CPU | reports |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    worst = 0.0
    for name in args.only.split():
        if name not in WORKLOADS:
            sys.exit(f"ab: unknown workload {name} "
                     f"(one of: {' '.join(WORKLOADS)})")
        file, extra = WORKLOADS[name]
        path = os.path.join(args.data, file)
        if not os.path.exists(path):
            sys.exit(f"ab: no {path}: run PREPARE_ONLY=1 bench/run.sh")
        cmds = [[b] + extra + ["--format", "json", path] for b in (old, new)]
        same = report_of(cmds[0]) == report_of(cmds[1])
        walls, cpus = ([], []), ([], [])
        for i in range(args.runs + 1):
            for k in (0, 1):
                wall, cpu = once(cmds[k])
                if i > 0:  # the first round warms the page cache
                    walls[k].append(wall)
                    cpus[k].append(cpu)
        med = [statistics.median(w) for w in walls]
        cpu = [statistics.mean(c) for c in cpus]
        worst = max(worst, med[1] / med[0])
        print(f"| {name} | {med[0]:.3f} | {min(walls[0]):.3f} | {cpu[0]:.3f}"
              f" | {med[1]:.3f} | {min(walls[1]):.3f} | {cpu[1]:.3f}"
              f" | {med[1] / med[0]:.3f} | {cpu[1] / cpu[0]:.3f}"
              f" | {'equal' if same else 'DIFFER'} |", flush=True)
    print(f"\nload {os.getloadavg()[0]:.2f} at the end; "
          f"largest new/old median: {worst:.3f}")


if __name__ == "__main__":
    main()
