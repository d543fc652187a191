#!/usr/bin/env python3
"""bench/timeline.py - where a run's wall time goes outside the scan.

Runs a command under `perf record` with scheduler and system-call
tracepoints only (no sampling, so the run is barely slowed) and prints,
from the command's exec, when its threads were made, when each began to
read (a worker's first read() is its first range's), when each ended,
and the output and exit that follow: the serial parts docs/performance.md
("The start") describes, with a command that reproduces them.

    python3 bench/timeline.py --runs 5 bench/data/build/tracehound \\
        -f json --fail-on never bench/data/crashloop-256M-every1-seed1.log

Needs perf and the right to trace (root, or kernel.perf_event_paranoid
at -1 with tracefs readable). The command's standard output goes to
/dev/null. Times are milliseconds from exec; the last line gives each
column's median over the runs.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

EVENTS = ",".join([
    "sched:sched_process_exec",
    "sched:sched_wakeup_new",
    "sched:sched_process_exit",
    "syscalls:sys_enter_read",
    "syscalls:sys_enter_write",
    "syscalls:sys_enter_exit_group",
])

COLUMNS = ["made", "reading", "ended", "spread", "output", "exit"]


def record(cmd, data):
    """Runs CMD once under perf record into DATA; exits on failure."""
    with open(os.devnull, "wb") as null:
        r = subprocess.run(["perf", "record", "-q", "-o", data, "-e", EVENTS,
                            "--"] + cmd, stdout=null, stderr=subprocess.PIPE)
    if r.returncode != 0 and not os.path.exists(data):
        sys.exit("timeline.py: perf record failed: " +
                 r.stderr.decode(errors="replace").strip())


def events(data):
    """(tid, ms, event name, the tracepoint's text) of DATA, in order."""
    out = subprocess.run(["perf", "script", "-i", data, "-F",
                          "tid,time,event,trace"], capture_output=True,
                         text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) < 3:
            continue
        tid, when, name = parts[0], parts[1].rstrip(":"), parts[2]
        yield (int(tid), float(when) * 1000, name.rstrip(":").split(":")[-1],
               parts[3] if len(parts) > 3 else "")


def phases(data):
    """One run's marks: threads made, first read of each thread, thread
    ends, first write to standard output, exit_group; None when the
    trace has no exec."""
    start = main = None
    made, first_read, ended = [], {}, {}
    output = leave = None
    for tid, ms, name, text in events(data):
        if name == "sched_process_exec":
            start, main = ms, tid
            continue
        if start is None:
            continue
        t = ms - start
        if name == "sched_wakeup_new":
            made.append(t)
        elif name == "sys_enter_read" and tid != main:
            first_read.setdefault(tid, t)
        elif name == "sched_process_exit" and tid != main:
            ended[tid] = t
        elif (name == "sys_enter_write" and tid == main and
              output is None and "fd: 0x00000001" in text):
            output = t
        elif name == "sys_enter_exit_group":
            leave = t
    if start is None:
        return None
    return {
        "made": max(made) if made else float("nan"),
        "reading": max(first_read.values()) if first_read else float("nan"),
        "ended": max(ended.values()) if ended else float("nan"),
        "spread": (max(ended.values()) - min(ended.values())
                   if len(ended) > 1 else 0.0),
        "output": output if output is not None else float("nan"),
        "exit": leave if leave is not None else float("nan"),
    }


def main():
    ap = argparse.ArgumentParser(
        description="when a run's threads start and end, from exec")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if not args.command:
        ap.error("a command to run is needed")
    print("  ".join(f"{c:>8}" for c in COLUMNS))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        for _ in range(args.runs):
            record(args.command, data)
            row = phases(data)
            if row is None:
                sys.exit("timeline.py: the trace holds no exec of the command")
            rows.append(row)
            print("  ".join(f"{row[c]:8.2f}" for c in COLUMNS))
    print("  ".join(f"{statistics.median(r[c] for r in rows):8.2f}"
                    for c in COLUMNS), " (medians, ms)")
    print("made: last thread created; reading: last thread's first read();"
          " ended: last thread's end; spread: first to last thread end;"
          " output: first write to stdout; exit: exit_group")


if __name__ == "__main__":
    main()
