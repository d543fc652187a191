#!/usr/bin/env python3
"""Wrap real captured logs in the framings that container runtimes, log
collectors and terminals put around them, and write the expected facts.

    wrap.py FRAMING --out LOG --expected JSON [--seed N] [--names A,B]
            SOURCE[=EXPECTED] ...

A SOURCE is a log really produced by a program (normally a committed
sample-logs/py3.X/<scenario>.log; its expected facts are then read from
tests/e2e/expected/py3.X/<scenario>.json unless given as =EXPECTED).  Paths
are relative to the repository root (the current directory).  The framing
only adds what the tool around the program adds; it never changes, drops or
reorders the lines of one source, so the expected facts of the wrapped log
are the union of the sources' facts: groups with the same key add their
counts, rules and exceptions, and unite their tasks / defined_at /
created_at.  Everything is deterministic: the times are synthetic, start at
a fixed instant per framing and increase with every written line (seeded
random steps), the interleaving and the split points come from the seed.

Framings (one source after the other unless marked "interleaved"):

  cri         Kubernetes CRI log file (containerd): "<RFC3339Nano> <stream>
              <P|F> <text>"; a few lines split into P pieces, a stdout line
              sometimes between a stderr P piece and its F piece.
  docker      Docker json-file: {"log":"<text>\\n","stream":"stderr",
              "time":"<RFC3339Nano>"} escaped as dockerd escapes (<, >, & and
              control characters as \\u00XX); a few lines split into partial
              entries whose "log" has no trailing \\n.
  syslog      interleaved; rsyslog / "journalctl -o short":
              "Nov  9 23:59:58 web-1 app[1234]: <text>" (day padded to 2).
  short-iso   interleaved; "journalctl -o short-iso":
              "2024-11-24T10:00:01+0100 web-1 app[1234]: <text>".
  kubectl     interleaved; "kubectl logs --prefix": "[pod/NAME/app] <text>".
  kubectl-ts  interleaved; "kubectl logs --prefix --timestamps":
              "[pod/NAME/app] <RFC3339Nano> <text>".
  compose     interleaved; "docker compose logs": "<name padded to the
              longest name + 1> | <text>".
  journal-json interleaved; "journalctl -o json": one JSON object per
              line, keys in journalctl's own (hash) order, MESSAGE a string
              or, when the line is not printable UTF-8 (ANSI colors), an
              array of byte values.  Made for real: the records go in
              journald's export format to systemd-journal-remote, which
              writes a journal file, which journalctl prints (both from
              systemd-journal-remote and systemd; JOURNAL_REMOTE and
              JOURNALCTL override their paths).
  journal-short  "journalctl -o short" of journald entries whose messages
              have several lines: each source a file rsyslogd wrote (one
              message a line, "#012" for "\\n"), its messages the entries
              of writer TAG[PID] (--names); stored and printed by journald's
              own tools as for journal-json; a message's lines after the
              first are indented to its column.
  crlf-bom    UTF-8 byte order mark, then every line ended by CR LF.
  trailing-ws spaces and tabs appended to every line.
  concat      the sources as they are, one after the other.
  rsyslog     the sources as they are, one after the other: files a real
              rsyslogd wrote ("Dec  6 13:20:25 web-1 billing: <message>",
              a message of several lines on one line, "\\n" as "#012");
              --names gives each source's syslog tag (billing).

For the interleaved framings --names gives each source its identity (pid,
pod or service name; syslog/short-iso take TAG[PID], e.g. app[1234]).
"""
import argparse
import datetime
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

# ---------------------------------------------------------------- sources


def expected_for(log):
    m = re.match(r"^sample-logs/(py[0-9.]+)/([^/]+)\.log$", log)
    if not m:
        sys.exit("wrap: no expected facts known for %s; give SOURCE=EXPECTED" % log)
    return "tests/e2e/expected/%s/%s.json" % (m.group(1), m.group(2))


def read_source(spec):
    log, _, exp = spec.partition("=")
    exp = exp or expected_for(log)
    with open(log, "rb") as f:
        data = f.read()
    text = data.decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    with open(exp) as f:
        facts = json.load(f)
    return {"log": log, "lines": lines, "facts": facts}


# ---------------------------------------------------------------- facts


# framings that write a time on every line: an event's time is the
# framing's (README.md, "Log shapes"), not its logging record's
TIMED_FRAMINGS = {"cri", "docker", "syslog", "short-iso", "kubectl-ts",
                  "journal-json", "rsyslog", "journal-short"}


def event_facts(facts_list, writers, framing):
    """The per-event facts of the wrapped log, when every source has them:
    the sources' own, each with its writer as `source`.  A framing with a
    time of its own gives every event the time of its first line, which
    these facts cannot tell (they do not say on which line an event
    starts): then `time` is left out and listed in "facts_unknown"."""
    if not all("facts" in f for f in facts_list):
        return {}
    out = []
    for facts, writer in zip(facts_list, writers):
        for fact in facts["facts"]:
            fact = dict(fact, source=writer)
            if framing in TIMED_FRAMINGS:
                fact.pop("time", None)
            out.append(fact)
    doc = {"facts": out}
    if framing in TIMED_FRAMINGS:
        doc["facts_unknown"] = ["time"]
    return doc


def merge_facts(facts_list, log, sources, writers, framing):
    """The union of the sources' facts; WRITERS names each source's writer
    (the event `source` tracehound must report for its events; None when
    the framing names none), and "writers" counts the events of each;
    the per-event facts of them all (event_facts)."""
    groups = {}
    order = []
    events = 0
    pythons = []
    per_writer = {}
    for facts, writer in zip(facts_list, writers):
        events += facts["events"]
        per_writer[writer] = per_writer.get(writer, 0) + facts["events"]
        if facts.get("python") and facts["python"] not in pythons:
            pythons.append(facts["python"])
        for g in facts["groups"]:
            k = json.dumps(g["key"], sort_keys=True)
            if k not in groups:
                groups[k] = {"key": g["key"], "count": 0, "rules": {},
                             "exceptions": {}}
                order.append(k)
            m = groups[k]
            m["count"] += g["count"]
            for field in ("rules", "exceptions"):
                for name, n in g[field].items():
                    m[field][name] = m[field].get(name, 0) + n
            for field in ("tasks", "defined_at", "created_at"):
                if field in g:
                    m[field] = sorted(set(m.get(field, [])) | set(g[field]))
    out = []
    for k in order:
        g = groups[k]
        g["rules"] = dict(sorted(g["rules"].items()))
        g["exceptions"] = dict(sorted(g["exceptions"].items()))
        ordered = {f: g[f] for f in ("key", "count", "rules", "exceptions",
                                     "tasks", "defined_at", "created_at")
                   if f in g}
        out.append(ordered)
    out.sort(key=lambda g: (-g["count"], g["key"]["coroutine"] is not None,
                            g["key"]["coroutine"] or ""))
    doc = {"log": log, "python": ",".join(pythons), "sources": sources,
           "events": events,
           "writers": [{"source": w, "events": n}
                       for w, n in per_writer.items()],
           "groups": out}
    doc.update(event_facts(facts_list, writers, framing))
    return doc


# ---------------------------------------------------------------- time


class Clock:
    """Synthetic wall clock: nanoseconds since the epoch, strictly
    increasing; lines of one burst are microseconds apart, bursts are
    separated by up to a second."""

    def __init__(self, rng, start):
        self.rng = rng
        self.ns = int(start.timestamp()) * 10**9 + self.rng.randrange(10**9)

    def tick(self):
        if self.rng.random() < 0.12:
            self.ns += self.rng.randrange(5 * 10**6, 900 * 10**6)
        else:
            self.ns += self.rng.randrange(2000, 90000)
        return self.ns

    @staticmethod
    def dt(ns, tz=datetime.timezone.utc):
        return datetime.datetime.fromtimestamp(ns // 10**9, tz)

    @classmethod
    def rfc3339nano(cls, ns):
        """Go's time.RFC3339Nano in UTC: fraction without trailing zeros
        (and without the dot when it is zero)."""
        frac = ("%09d" % (ns % 10**9)).rstrip("0")
        return cls.dt(ns).strftime("%Y-%m-%dT%H:%M:%S") + \
            ("." + frac if frac else "") + "Z"


def utc(*args):
    return datetime.datetime(*args, tzinfo=datetime.timezone.utc)


# ---------------------------------------------------------------- helpers

# a single-line record of the program's own loggers (not asyncio's): the
# kind of line an application could as well send to stdout
OWN_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "
    r"(?:\[?(?:DEBUG|INFO|WARNING)\]?) (?!\[?asyncio)")


def concat(sources):
    out = []
    for s in sources:
        out.extend(s["lines"])
    return out


def interleave(sources, rng):
    """Merge the sources line by line, picking the next writer at random
    in proportion to what it has left, so their events overlap."""
    pos = [0] * len(sources)
    out = []
    while True:
        left = [len(s["lines"]) - p for s, p in zip(sources, pos)]
        total = sum(left)
        if total == 0:
            return out
        r = rng.randrange(total)
        for i, n in enumerate(left):
            if r < n:
                break
            r -= n
        out.append((i, sources[i]["lines"][pos[i]]))
        pos[i] += 1


def streams_for(lines):
    """(stream, text) per line: the program's own single-line records go to
    stdout, everything else to stderr.  A few stdout lines are moved up
    into the stderr traceback right before them: the runtime reads the two
    pipes independently, so a line written to stdout just after a traceback
    was written to stderr can land in the middle of it."""
    items = []
    for i, line in enumerate(lines):
        single = i + 1 == len(lines) or not lines[i + 1][:1].isspace() and \
            not lines[i + 1].startswith(("Traceback", "future:", "handle:"))
        stream = "stdout" if OWN_RECORD.match(line) and single else "stderr"
        items.append([stream, line])
    moved = 0
    for i in range(2, len(items)):
        if moved == 2:
            break
        # stdout record right after a traceback's final line: put it just
        # before that final line, between the frames and the exception
        if items[i][0] == "stdout" and items[i - 1][0] == "stderr" and \
                not items[i - 1][1][:1].isspace() and \
                items[i - 2][0] == "stderr" and items[i - 2][1][:1].isspace():
            items.insert(i - 1, items.pop(i))
            moved += 1
    return items


# lines to cut into partial pieces, each with where the cut must fall
SPLIT_TARGETS = [
    # (regex the line must match, group whose span holds the cut, pieces)
    (re.compile(r"Task exception was (never retrieved)"), 1, 2),
    (re.compile(r"^future: <Task .*coro=<(\S+)\(\)"), 1, 2),
    (re.compile(r"(Exception in callback \S+)"), 1, 3),
    (re.compile(r"^(Traceback) \(most recent call last\):$"), 1, 2),
    (re.compile(r"^(KeyError|ValueError|errors\.\w+): "), 1, 2),
    (re.compile(r"^(task: <Task pending)"), 1, 2),
    (re.compile(r"^(\s+\| \S+Error): "), 1, 2),
]


def plan_splits(lines, rng, per_target=1):
    """{line index: [pieces]} for per_target random matching lines of each
    target, cut inside the matched group (where a reader that does not
    join the pieces would miss the trigger or the field)."""
    plans = {}
    for rx, grp, pieces in SPLIT_TARGETS:
        hits = []
        for i, line in enumerate(lines):
            m = rx.search(line)
            if m and i not in plans and m.end(grp) - m.start(grp) >= pieces:
                hits.append((i, m.span(grp)))
        for i, (a, b) in rng.sample(hits, min(per_target, len(hits))):
            line = lines[i]
            cuts = sorted(rng.sample(range(a + 1, b), pieces - 1))
            parts, last = [], 0
            for c in cuts:
                parts.append(line[last:c])
                last = c
            parts.append(line[last:])
            plans[i] = parts
    return plans


# ---------------------------------------------------------------- framings


def frame_cri(sources, rng):
    clock = Clock(rng, utc(2024, 5, 1, 10, 0, 1))
    items = streams_for(concat(sources))
    plans = plan_splits([t if s == "stderr" else "" for s, t in items], rng,
                        per_target=2)
    out = []
    # a stdout line followed, with no other stdout line in between, by a
    # line cut into pieces is held back and written between that line's
    # first P piece and the rest (each stream stays in order)
    pending_stdout = []
    for i, (stream, text) in enumerate(items):
        if stream == "stdout" and not pending_stdout:
            nxt = next((j for j in range(i + 1, len(items))
                        if j in plans or items[j][0] == "stdout"), None)
            if nxt is not None and nxt in plans and nxt - i < 12:
                pending_stdout.append(text)
                continue
        pieces = plans.get(i, [text])
        for k, piece in enumerate(pieces):
            tag = "F" if k == len(pieces) - 1 else "P"
            out.append("%s %s %s %s" % (Clock.rfc3339nano(clock.tick()),
                                        stream, tag, piece))
            if tag == "P" and stream == "stderr" and pending_stdout:
                out.append("%s stdout F %s" % (Clock.rfc3339nano(clock.tick()),
                                               pending_stdout.pop(0)))
    for text in pending_stdout:
        out.append("%s stdout F %s" % (Clock.rfc3339nano(clock.tick()), text))
    return "".join(line + "\n" for line in out)


def docker_escape(text):
    """dockerd's json-file string encoding (jsonlog ffjsonWriteJSONBytesAsString):
    \\ and " backslashed, \\n and \\r short, other control characters and
    < > & as \\u00XX, U+2028/U+2029 escaped, other non-ASCII raw UTF-8."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif o < 0x20 or ch in "<>&":
            out.append("\\u%04x" % o)
        elif ch in "\u2028\u2029":
            out.append("\\u%04x" % o)
        elif 0xDC80 <= o <= 0xDCFF:  # undecodable byte (surrogateescape)
            out.append("\\ufffd")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def frame_docker(sources, rng):
    clock = Clock(rng, utc(2024, 5, 1, 10, 0, 1))
    items = streams_for(concat(sources))
    plans = plan_splits([t if s == "stderr" else "" for s, t in items], rng)
    out = []
    for i, (stream, text) in enumerate(items):
        pieces = plans.get(i, [text])
        for k, piece in enumerate(pieces):
            last = k == len(pieces) - 1
            out.append('{"log":%s,"stream":"%s","time":"%s"}\n' % (
                docker_escape(piece + ("\n" if last else "")), stream,
                Clock.rfc3339nano(clock.tick())))
    return "".join(out)


def parse_names(names, n, what):
    if not names or len(names) != n:
        sys.exit("wrap: give --names with one %s per source" % what)
    return names


def frame_syslog(sources, rng, names, host="web-1"):
    parse_names(names, len(sources), "TAG[PID]")
    clock = Clock(rng, utc(2024, 11, 9, 23, 59, 50))
    out = []
    for i, text in interleave(sources, rng):
        t = Clock.dt(clock.tick())
        stamp = "%s %2d %s" % (t.strftime("%b"), t.day, t.strftime("%H:%M:%S"))
        out.append("%s %s %s: %s\n" % (stamp, host, names[i], text))
    return "".join(out)


def frame_short_iso(sources, rng, names, host="web-1"):
    parse_names(names, len(sources), "TAG[PID]")
    zone = datetime.timezone(datetime.timedelta(hours=1))
    clock = Clock(rng, utc(2024, 11, 24, 9, 0, 1))
    out = []
    for i, text in interleave(sources, rng):
        t = Clock.dt(clock.tick(), zone)
        out.append("%s %s %s: %s\n" % (t.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                       host, names[i], text))
    return "".join(out)


def frame_kubectl(sources, rng, names, timestamps=False):
    parse_names(names, len(sources), "pod name")
    clock = Clock(rng, utc(2024, 5, 1, 10, 0, 1))
    out = []
    for i, text in interleave(sources, rng):
        ts = Clock.rfc3339nano(clock.tick()) + " " if timestamps else ""
        out.append("[pod/%s/app] %s%s\n" % (names[i], ts, text))
    return "".join(out)


def frame_compose(sources, rng, names):
    parse_names(names, len(sources), "service name")
    width = max(len(n) for n in names) + 1
    out = []
    for i, text in interleave(sources, rng):
        out.append("%-*s | %s\n" % (width, names[i], text))
    return "".join(out)


def export_field(name, value):
    """One field of journald's export format: NAME=VALUE, or, for a value
    holding a newline or a control character, NAME, its little-endian
    64-bit length and the raw bytes."""
    b = value.encode("utf-8", "surrogateescape")
    if any(c < 0x20 and c != 0x09 for c in b):
        return name.encode() + b"\n" + struct.pack("<Q", len(b)) + b + b"\n"
    return name.encode() + b"=" + b + b"\n"


RSYSLOG_LINE = re.compile(r"^[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d \S+ [^:]+: (.*)$",
                          re.S)


def journal_print(entries, output):
    """ENTRIES, lists of (field, value), stored by systemd-journal-remote
    in a journal file and printed by journalctl -o OUTPUT, in UTC."""
    export = bytearray()
    for fields in entries:
        for name, value in fields:
            export += export_field(name, value)
        export += b"\n"
    remote = os.environ.get("JOURNAL_REMOTE",
                            "/lib/systemd/systemd-journal-remote")
    journalctl = os.environ.get("JOURNALCTL", "journalctl")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "wrap.journal")
        subprocess.run([remote, "-o", path, "-"], input=bytes(export),
                       check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        out = subprocess.run([journalctl, "--file", path, "-o", output,
                              "--no-pager"], check=True,
                             env=dict(os.environ, TZ="UTC"),
                             stdout=subprocess.PIPE).stdout
    return out.decode("utf-8", "surrogateescape")


def frame_journal_short(sources, rng, names, host="web-1"):
    """Each source a file rsyslogd wrote (one message a line, each "\\n"
    written "#012"): its messages, lines and all, as journald's entries
    of writer TAG[PID], printed by journalctl -o short, which indents a
    message's lines after the first to its column."""
    parse_names(names, len(sources), "TAG[PID]")
    clock = Clock(rng, utc(2024, 11, 24, 9, 0, 1))
    entries = []
    for i, source in enumerate(sources):
        tag, pid = re.match(r"^([^\[]+)\[(\d+)\]$", names[i]).groups()
        for line in source["lines"]:
            m = RSYSLOG_LINE.match(line)
            if not m:
                sys.exit("wrap: not a line of rsyslog's: %r" % line)
            ns = clock.tick()
            entries.append([
                ("__REALTIME_TIMESTAMP", str(ns // 1000)),
                ("__MONOTONIC_TIMESTAMP", str(ns // 1000 - 1732436000000000)),
                ("_BOOT_ID", "%032x" % 1), ("_HOSTNAME", host),
                ("PRIORITY", "3"), ("_TRANSPORT", "syslog"),
                ("SYSLOG_IDENTIFIER", tag), ("_PID", pid),
                ("MESSAGE", m.group(1).replace("#012", "\n")),
            ])
    return journal_print(entries, "short")


def frame_journal_json(sources, rng, names, host="web-1"):
    """What journald stores of each writer's stdout/stderr (one entry per
    line, as a systemd service's output is), printed by journalctl -o
    json."""
    parse_names(names, len(sources), "TAG[PID]")
    clock = Clock(rng, utc(2024, 11, 24, 9, 0, 1))
    boot = "%032x" % rng.getrandbits(128)
    machine = "%032x" % rng.getrandbits(128)
    streams = ["%032x" % rng.getrandbits(128) for _ in names]
    entries = []
    for i, text in interleave(sources, rng):
        tag, pid = re.match(r"^([^\[]+)\[(\d+)\]$", names[i]).groups()
        ns = clock.tick()
        fields = [
            ("__REALTIME_TIMESTAMP", str(ns // 1000)),
            ("__MONOTONIC_TIMESTAMP", str(ns // 1000 - 1732436000000000)),
            ("_BOOT_ID", boot), ("_MACHINE_ID", machine),
            ("_HOSTNAME", host), ("PRIORITY", "6"),
            ("SYSLOG_FACILITY", "3"), ("_UID", "998"), ("_GID", "998"),
            ("_CAP_EFFECTIVE", "0"), ("_SELINUX_CONTEXT", "unconfined\n"),
            ("_TRANSPORT", "stdout"), ("_STREAM_ID", streams[i]),
            ("SYSLOG_IDENTIFIER", tag), ("_PID", pid),
            ("_COMM", "python3"), ("_EXE", "/usr/bin/python3"),
            ("_CMDLINE", "/usr/bin/python3 -m %s" % tag),
            ("_SYSTEMD_CGROUP", "/system.slice/%s.service" % tag),
            ("_SYSTEMD_UNIT", "%s.service" % tag),
            ("_SYSTEMD_SLICE", "system.slice"),
            ("MESSAGE", text),
        ]
        entries.append(fields)
    return journal_print(entries, "json")


def frame_crlf_bom(sources, rng):
    return "\ufeff" + "".join(line + "\r\n" for line in concat(sources))


def frame_trailing_ws(sources, rng):
    tails = [" ", "  ", "   ", "\t", " \t", "\t ", "    "]
    return "".join(line + rng.choice(tails) + "\n" for line in concat(sources))


def frame_concat(sources, rng):
    return "".join(line + "\n" for line in concat(sources))


FRAMINGS = {
    "cri": frame_cri,
    "docker": frame_docker,
    "syslog": frame_syslog,
    "short-iso": frame_short_iso,
    "kubectl": frame_kubectl,
    "kubectl-ts": lambda s, r, n: frame_kubectl(s, r, n, timestamps=True),
    "compose": frame_compose,
    "journal-json": frame_journal_json,
    "crlf-bom": frame_crlf_bom,
    "trailing-ws": frame_trailing_ws,
    "concat": frame_concat,
    "rsyslog": lambda s, r, n: frame_concat(s, r),
    "journal-short": frame_journal_short,
}
NAMED = {"syslog", "short-iso", "kubectl", "kubectl-ts", "compose",
         "journal-json", "rsyslog", "journal-short"}


def writer_names(framing, names, n):
    """The writer the framing names for each of N sources, as tracehound
    reports it (README, "Log shapes"): "host TAG[PID]" for syslog and
    journald, "pod/NAME/app" for kubectl, the service for compose, the
    stream for CRI and Docker (every event is written to stderr); None
    where there is no framing."""
    if framing in ("syslog", "short-iso", "journal-json", "rsyslog",
                   "journal-short"):
        return ["web-1 " + name for name in names]
    if framing in ("kubectl", "kubectl-ts"):
        return ["pod/%s/app" % name for name in names]
    if framing == "compose":
        return list(names)
    if framing in ("cri", "docker"):
        return ["stderr"] * n
    return [None] * n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("framing", choices=sorted(FRAMINGS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--names", default="")
    ap.add_argument("--label", action="append", default=[],
                    help="describe a source in the facts' \"sources\" list "
                         "(once per source; default: its path)")
    ap.add_argument("sources", nargs="+")
    a = ap.parse_args()
    sources = [read_source(s) for s in a.sources]
    rng = random.Random(a.seed)
    fn = FRAMINGS[a.framing]
    names = [n for n in a.names.split(",") if n]
    if a.framing in NAMED:
        text = fn(sources, rng, names)
    else:
        text = fn(sources, rng)
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    os.makedirs(os.path.dirname(a.expected) or ".", exist_ok=True)
    with open(a.out, "wb") as f:
        f.write(text.encode("utf-8", "surrogateescape"))
    labels = a.label or [s["log"] for s in sources]
    if len(labels) != len(sources):
        sys.exit("wrap: give --label once per source")
    facts = merge_facts([s["facts"] for s in sources], a.out, labels,
                        writer_names(a.framing, names, len(sources)),
                        a.framing)
    with open(a.expected, "w") as f:
        json.dump(facts, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
