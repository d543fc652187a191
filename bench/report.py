#!/usr/bin/env python3
"""Turn bench/run.sh's measurements into the Markdown of bench/results.md.

    report.py --data DIR --workloads WORK.tsv --truth TRUTH.tsv --rss RSS.tsv
              --checks CHECKS.txt --command CMD --alt ALT --triggers FILE
              --tracehound BIN

WORK.tsv: per workload its label, the file read, the command it is
compared with (rg -c, or the decompressor) and tracehound's command name.
Reads DIR/hyperfine-LABEL.json (and DIR/hyperfine-LABEL-peer.json and
DIR/hyperfine-LABEL-reread.json when present), FILE.truth.json, the verdict of the truth check per workload
(TRUTH.tsv: label, OK / MISMATCH), the peak RSS per command
(RSS.tsv: label, name, KiB), the large folios after a re-read of the
page cache (FOLIOS.tsv: label, FileHugePages MiB), one thread pinned to
each core (CORES.tsv: core, DIR/hyperfine-coreN.json) and the
correctness lines of CHECKS.txt.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import time


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def file_huge_pages():
    """FileHugePages of /proc/meminfo as "N MiB", or "unknown"."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("FileHugePages:"):
                    return "%d MiB" % (int(line.split()[1]) // 1024)
    except OSError:
        pass
    return "unknown"


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
                    break
    except OSError:
        pass
    osname = "?"
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            osname = m.group(1) if m else "?"
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem": mem, "os": osname,
            "kernel": platform.release()}


def fmt_s(x):
    return "%.3f" % x if x < 10 else "%.2f" % x


def tsv(path, width):
    rows = []
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == width:
                    rows.append(parts)
    return rows


def cpu(r):
    """Mean CPU seconds (user + system) of a hyperfine result."""
    return r.get("user", 0) + r.get("system", 0)


# the suffix of the names of the commands timed after a re-read
REREAD = ", cache re-read"
# rg -c with the five triggers of the first rules (ALT), beside rg -c with
# the default rules' own (TRIGGERS)
FIVE = "rg -c, five triggers"


def upper_first(s):
    return s[:1].upper() + s[1:]


def describe(label, truth):
    p = truth["params"]
    if "tasks" in p:
        return ("every event names a task: %d distinct task names (`Task-N`, "
                "numbering restarts with each of 3 process runs), `--group-by task`"
                % p["tasks"])
    if "compressed" in p:
        return "the dense log, `%s`" % p["compressed"]
    if p.get("wrapped") == "docker":
        return "the dense generator's log as Docker json-file lines"
    if p.get("wrapped") == "cri":
        return ("the dense generator's log as CRI lines, lines over %d bytes cut "
                "into `P` pieces (%s of them)" % (p["max_line"], truth.get("partial_lines", "?")))
    if label == "crashloop":
        return "plain text, an event block per %d line (blocks separated by one ordinary line)" % p["every"]
    return "plain text, one event block per %d lines" % p["every"]


TOOLS = [("grep", "grep --version | head -1"), ("rg", "echo \"$(rg --version | head -1) ($(command -v rg))\""),
         ("hyperfine", "hyperfine --version"), ("python", "python3 --version"),
         ("cat", "cat --version | head -1"), ("gzip", "gzip --version | head -1"),
         ("igzip", "igzip --version 2>&1 | head -1 | sed 's/ command line interface//'"),
         ("zstd", "zstd --version | sed 's/^[* ]*//; s/ CLI (64-bit)//; s/, by .*//'"),
         ("xz", "xz --version | head -1"),
         ("bzip2", "bzip2 --help 2>&1 | head -1 | sed 's/, a block-sorting file compressor\\.  Version//; s/,.*//'")]


def cores_section(w, path):
    """Each core alone (CORES.tsv: core, hyperfine export): one thread of
    tracehound and of rg -c pinned to it, so that a reader sees when the
    cores of the machine differ in speed."""
    rows = tsv(path, 2) if path else []
    if not rows:
        return
    medians = []
    for core, export in rows:
        try:
            with open(export) as f:
                by = {r["command"]: r for r in json.load(f)["results"]}
        except (OSError, ValueError, KeyError):
            continue
        th, rg = by.get("tracehound json -j 1"), by.get("rg -c")
        if th and rg:
            medians.append((core, th["median"], rg["median"]))
    if not medians:
        return
    fastest_th = min(m[1] for m in medians)
    w("## Each core alone")
    w("")
    w("One thread pinned to each core in turn (`taskset -c N`, median of 3 "
      "runs after a warmup) on the crash loop, else the dense or the sparse log: a virtual "
      "machine's cores may differ in speed (a vCPU that shares its host core "
      "with another guest), and tracehound, which runs a thread on every "
      "core, then ends with the slowest's share while `rg -c` runs on one "
      "core. \"speed\": the fastest core's tracehound time / this core's.")
    w("")
    w("| core | tracehound json -j 1 s | rg -c s | tracehound / rg -c | speed |")
    w("|---:|---:|---:|---:|---:|")
    for core, th, rg in medians:
        w("| %s | %s | %s | %.2f | %.2f |"
          % (core, fmt_s(th), fmt_s(rg), th / rg, fastest_th / th))
    w("")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--workloads", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--rss", required=True)
    ap.add_argument("--checks", required=True)
    ap.add_argument("--load", help="label, before|after, 1-minute load average")
    ap.add_argument("--folios", help="label, FileHugePages MiB after the re-read")
    ap.add_argument("--cores", help="core, hyperfine export of one thread pinned to it")
    ap.add_argument("--command", required=True)
    ap.add_argument("--alt", required=True)
    ap.add_argument("--triggers", required=True,
                    help="the file of the default rules' start regexes")
    ap.add_argument("--tracehound", required=True)
    ap.add_argument("--rev", default="", help="the git revision built (TH_REV), "
                    "empty for the working tree")
    a = ap.parse_args()

    rss = {(l, n): kb for l, n, kb in tsv(a.rss, 3)}
    verdict = {l: v for l, v in tsv(a.truth, 2)}
    folios = {l: mib for l, mib in tsv(a.folios, 2)}
    load = {}
    for l, when, v in tsv(a.load, 3):
        load.setdefault(l, {})[when] = float(v)

    def rss_mib(label, name):
        kb = rss.get((label, name), "?")
        return "%.1f" % (int(kb) / 1024) if kb.isdigit() else "?"

    work = []
    for label, path, base, th_name in tsv(a.workloads, 4):
        with open(path + ".truth.json") as f:
            truth = json.load(f)
        results = []
        for name in ("hyperfine-%s.json" % label, "hyperfine-%s-peer.json" % label):
            p = os.path.join(a.data, name)
            if os.path.exists(p):
                with open(p) as f:
                    results.extend(json.load(f)["results"])
        by = {r["command"]: r for r in results}
        reread = []
        p = os.path.join(a.data, "hyperfine-%s-reread.json" % label)
        if os.path.exists(p):
            with open(p) as f:
                reread = json.load(f)["results"]
        by.update({r["command"]: r for r in reread})
        work.append((label, path, base, th_name, truth, results + reread, by))

    m = machine()
    out = []
    w = out.append
    w("# tracehound benchmark results")
    w("")
    w("Generated by `bench/run.sh` on %s (UTC)." % time.strftime("%Y-%m-%d %H:%M", time.gmtime()))
    w("")
    w("Machine: %s cores (`nproc`), %s, %s RAM; %s, Linux %s."
      % (m["nproc"], m["cpu"], m["mem"], m["os"], m["kernel"]))
    th_ver = sh("%s --version" % a.tracehound).splitlines()
    if a.rev:
        rev, dirty = a.rev + " (TH_REV)", ""
    else:
        rev = sh("git rev-parse --short HEAD")
        dirty = sh("git status --porcelain -- src patterns meson.build")
    w("Tools: %s; tracehound %s built by `tools/build-release.sh` (release, LTO, the sample logs' profile) from commit %s%s."
      % ("; ".join(v for v in (sh(c) for _, c in TOOLS) if v),
         th_ver[0].split()[-1] if th_ver else "?", rev or "?",
         " plus uncommitted changes (working tree)" if dirty else ""))
    w("Locale: `LANG=%s LC_ALL=%s`." % (os.environ.get("LANG", ""), os.environ.get("LC_ALL", "")))
    w("Page cache: %s (`FileHugePages` of /proc/meminfo when this report was written: "
      "`rg -c` maps the file it searches, and on a page cache held in large folios it ran "
      "up to three times faster than on one of small pages here; tracehound reads, and "
      "moved by a tenth; docs/performance.md, \"The page cache\")." % file_huge_pages())
    w("")
    w("Reproduce: `%s`" % a.command)
    w("")
    w("## Summary")
    w("")
    w("Median seconds of hyperfine runs on a page-cached file (`--warmup 1`), all "
      "in this one run.  \"×\" = tracehound's median / the median of the command "
      "it is compared with: `rg -c` with the same triggers on text (every "
      "default rule's start regex, listed below), the "
      "decompressor alone (output to /dev/null) on compressed input; below 1 "
      "tracehound is faster.  \"× CPU time\" is the same ratio of the mean "
      "user + system seconds (hyperfine's), which other processes on the "
      "machine disturb less than the wall time; tracehound uses both cores, "
      "rg one thread per file.  Peak RSS is tracehound's, from `/usr/bin/time -v` "
      "over one run.  Truth: tracehound's JSON report against the generator's "
      "truth (per coroutine counts, rules and exceptions, events and lines; for "
      "`groups`, every task's count against `sort | uniq -c` of the task names "
      "written).  \"× re-read\": the same ratio measured again right after "
      "the page cache was dropped and the file read back once (`REREAD=1`, as "
      "root), which the kernel then may hold in large folios: `rg -c` maps the "
      "file it searches, and its mapped reads are fastest there; \"—\": not "
      "measured (compressed input, where `rg -c` is not the base).  \"× five\": "
      "the same ratios to `rg -c` with the five triggers the benchmark gave it "
      "before 2026-12-07 (those of the first rules: `%s`), first timed / after "
      "the re-read." % a.alt)
    w("")
    w("| workload | input | MiB | events | tracehound s | compared with | its s "
      "| × | × CPU time | × re-read | × five | tracehound peak RSS MiB | truth | load before / after |")
    w("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|")
    for label, path, base, th_name, truth, results, by in work:
        size = os.path.getsize(path)
        th, b = by.get(th_name), by.get(base)
        ld = load.get(label, {})
        th_rr, b_rr = by.get(th_name + REREAD), by.get(base + REREAD)
        five, five_rr = by.get(FIVE), by.get(FIVE + REREAD)
        w("| %s | %s | %.1f | %d | %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s / %s |"
          % (label, describe(label, truth), size / 1048576, truth["events"],
             fmt_s(th["median"]) if th else "not read yet",
             base, fmt_s(b["median"]) if b else "?",
             "%.2f" % (th["median"] / b["median"]) if th and b else "—",
             "%.2f" % (cpu(th) / cpu(b)) if th and b and cpu(b) else "—",
             "%.2f (%.3f / %.3f s)" % (th_rr["median"] / b_rr["median"], th_rr["median"],
                                     b_rr["median"]) if th_rr and b_rr else "—",
             "%s / %s" % ("%.2f" % (th["median"] / five["median"]) if th and five else "—",
                          "%.2f" % (th_rr["median"] / five_rr["median"])
                          if th_rr and five_rr else "—") if five else "—",
             rss_mib(label, th_name) if th else "—",
             verdict.get(label, "?"), ld.get("before", "?"), ld.get("after", "?")))
    w("")
    w("The load average is the 1-minute one before and after measuring the "
      "workload (the benchmark itself adds up to 1-2 on this 2-core machine); "
      "above that, other processes competed for the cores: look at min s in "
      "the tables below as well.")
    w("")
    w("## Each workload")
    w("")
    w("MB/s = bytes of log text (uncompressed) / median / 10^6.  \"× base\" = "
      "median / the median of the command tracehound is compared with.  CPU s = "
      "mean user + system seconds.  The xz and bz2 workloads run `SLOW_RUNS` "
      "times without warmup (bzip2 -dc alone takes 10 s and more).  Peak "
      "RSS is the largest process of the pipeline.  `rg -c` counts the lines "
      "matching any default rule's start regex (TRIGGERS, below); the "
      "commands named \"five triggers\" count lines matching `%s`.  grep's "
      "and rg's output goes to a pipe (`| cat`), never to /dev/null (GNU "
      "grep stops at the first match then)." % a.alt)
    w("")
    for label, path, base, th_name, truth, results, by in work:
        size = os.path.getsize(path)
        text_bytes = truth["bytes"]
        b = by.get(base)
        w("### %s: `%s`" % (label, os.path.basename(path)))
        w("")
        groups = truth["params"].get("tasks") and "%d task names" % truth["params"]["tasks"] \
            or "%d coroutine groups" % len(truth["groups"])
        w("%s.  %.1f MiB (%d bytes)%s, %d lines, %d events in %s (seed %d)."
          % (upper_first(describe(label, truth)), size / 1048576, size,
             "; %.1f MiB of text" % (text_bytes / 1048576) if text_bytes != size else "",
             truth["lines"], truth["events"], groups, truth["params"]["seed"]))
        w("")
        w("| command | median s | min s | MB/s | × %s | CPU s | peak RSS MiB |" % base)
        w("|---|---:|---:|---:|---:|---:|---:|")
        for r in results:
            med = r["median"]
            rr = r["command"].endswith(REREAD)
            against = by.get(base + REREAD) if rr else b
            w("| `%s` | %s | %s | %.0f | %s | %s | %s |"
              % (r["command"], fmt_s(med), fmt_s(r["min"]), text_bytes / med / 1e6,
                 "%.2f" % (med / against["median"]) if against else "?", fmt_s(cpu(r)),
                 "—" if rr else rss_mib(label, r["command"])))
        if th_name not in by:
            w("| `%s` | not read yet | | | | | |" % th_name)
        if label == "sparse" and "python peer.py" not in by:
            w("| `python peer.py` | not run on this file (the peer is timed on "
              "the dense file only; `PEER_SPARSE=1` adds it) | | | | | |")
        if label in folios:
            w("")
            w("\"cache re-read\": timed after `echo 1 > /proc/sys/vm/drop_caches` "
              "and one `cat` of the file, against `%s` in that same state; "
              "`FileHugePages` was then %s MiB." % (base + REREAD, folios[label]))
        w("")
    cores_section(w, a.cores)
    w("Commands (FILE is the input):")
    w("")
    w("| name | command |")
    w("|---|---|")
    rows = [("cat", "cat FILE >/dev/null"),
            ("grep -c -F", "grep -c -F 'exception was never retrieved' FILE | cat"),
            ("grep -c -E, five triggers", "grep -c -E 'ALT' FILE | cat"),
            ("rg -c", "rg -c -f TRIGGERS FILE | cat"),
            (FIVE, "rg -c 'ALT' FILE | cat"),
            ("rg --no-mmap -c", "rg --no-mmap -c -f TRIGGERS FILE | cat"),
            ("rg -z -c", "rg -z -c -f TRIGGERS FILE | cat"),
            ("igzip -dc, zcat, zstd -dc, xz -dc, bzip2 -dc", "igzip -dc FILE >/dev/null (and so on)"),
            ("tracehound text", "tracehound --format text FILE >/dev/null"),
            ("tracehound json", "tracehound --format json FILE >/dev/null"),
            ("tracehound json -j 1", "tracehound -j 1 --format json FILE >/dev/null"),
            ("tracehound json, AVX2 search", "TRACEHOUND_SCAN=fingerprint tracehound --format json FILE >/dev/null"),
            ("tracehound json -g task", "tracehound --format json --group-by task FILE >/dev/null"),
            ("NAME, cache re-read", "sync; echo 1 > /proc/sys/vm/drop_caches; cat FILE >/dev/null; then NAME's command"),
            ("python peer.py", "python3 bench/peer.py FILE >/dev/null")]
    for n, c in rows:
        w("| %s | `%s` |" % (n, c.replace("|", "\\|")))
    w("")
    w("ALT is `%s`.  TRIGGERS (`python3 bench/triggers.py patterns`), one "
      "regex a line, PCRE2's `(?<name>` written `(?P<name>` for ripgrep 13:"
      % a.alt)
    w("")
    with open(a.triggers) as f:
        for line in f:
            w("    " + line.rstrip("\n"))
    w("")
    w("Correctness (tracehound's report against FILE.truth.json written by the "
      "generator; for groups, against `sort | uniq -c` of FILE.tasks):")
    w("")
    with open(a.checks) as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                w("    " + line)
    w("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
