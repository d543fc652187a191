#!/usr/bin/env python3
"""Independent check of the shape logs against their expected facts.

    python3 gen/shapes/check.py [REPO_ROOT]

For every tests/e2e/expected/shapes/*.json this parses the log it names
with its own small readers (not wrap.py's code): strips the framing of each
line (CRI, Docker json-file, syslog, short-iso, kubectl, compose, CRLF/BOM,
trailing blanks), splits rsyslog's messages at "#012", joins CRI partial lines and Docker partial entries per
stream, keeps interleaved writers apart (pid, pod, service), decodes JSON
records (message/event + exc_info/exception), then

  * for wrapped logs: checks that each writer's lines are exactly the lines
    of the source log it came from (the framing lost or changed nothing);
  * re-derives the events with gen/samples/crosscheck.py's parser and
    compares per-coroutine counts, rules and exception types, and the total,
    with the expected file;
  * prints, per log, a raw grep count of the triggers in the framed file
    next to the expected counts (informational: a trigger cut by a CRI or
    Docker partial line is not found by grep).

Exit status 1 on any disagreement.
"""
import glob
import json
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "samples"))
import crosscheck  # noqa: E402


def read_lines(path, newline="\n"):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "surrogateescape")
    lines = text.split(newline)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# ------------------------------------------------------------- readers
# each returns {writer: [line, ...]}

CRI = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) "
                 r"(stdout|stderr) ([PF]) (.*)$", re.S)


def read_cri(path):
    out, partial = {}, {}
    for line in read_lines(path):
        m = CRI.match(line)
        assert m, "not CRI: %r" % line
        stream, tag, text = m.group(2), m.group(3), m.group(4)
        partial[stream] = partial.get(stream, "") + text
        if tag == "F":
            out.setdefault(stream, []).append(partial.pop(stream))
    assert not partial, "unfinished CRI partial line"
    return out


def read_docker(path):
    out, partial = {}, {}
    for line in read_lines(path):
        rec = json.loads(line)
        assert set(rec) == {"log", "stream", "time"}, rec
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$", rec["time"])
        assert "<" not in line and ">" not in line and "&" not in line
        s = rec["stream"]
        partial[s] = partial.get(s, "") + rec["log"]
        if partial[s].endswith("\n"):
            out.setdefault(s, []).append(partial.pop(s)[:-1])
    assert not partial, "unfinished Docker partial entry"
    return out


SYSLOG = re.compile(r"^[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d (\S+) ([\w.-]+\[\d+\]): (.*)$", re.S)
# rsyslog's traditional format: the tag may have no [pid]
RSYSLOG = re.compile(r"^[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d (\S+) ([\w.-]+(?:\[\d+\])?): (.*)$", re.S)
SHORT_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} (\S+) ([\w.-]+\[\d+\]): (.*)$", re.S)
KUBECTL = re.compile(r"^\[pod/([^/\]]+)/([^\]]+)\] (.*)$", re.S)
KUBECTL_TS = re.compile(r"^\[pod/([^/\]]+)/([^\]]+)\] "
                        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z (.*)$", re.S)
COMPOSE = re.compile(r"^([\w.-]+) +\| (.*)$", re.S)


def by_prefix(rx, writer_group, text_group):
    def read(path):
        out = {}
        for line in read_lines(path):
            m = rx.match(line)
            assert m, "no prefix: %r" % line
            out.setdefault(m.group(writer_group), []).append(m.group(text_group))
        return out
    return read


def read_rsyslog(path):
    """rsyslog's traditional file: syslog lines whose message holds its
    own lines joined by "#012" (rsyslog's escape of "\\n")."""
    out = {}
    for writer, msgs in by_prefix(RSYSLOG, 2, 3)(path).items():
        for msg in msgs:
            out.setdefault(writer, []).extend(msg.split("#012"))
    return out


def read_journal_short(path):
    """journalctl -o short: a message's lines after the first are
    indented to the column where its first line's message starts."""
    out, writer, col = {}, None, 0
    for line in read_lines(path):
        m = SYSLOG.match(line)
        if m:
            writer, col = m.group(2), m.start(3)
            out.setdefault(writer, []).append(m.group(3))
            continue
        assert writer and line[:col] == " " * col, "not continued: %r" % line
        out[writer].append(line[col:])
    return out


def read_journal_json(path):
    out = {}
    for line in read_lines(path):
        rec = json.loads(line)
        assert re.match(r"^\d{16}$", rec["__REALTIME_TIMESTAMP"]), rec
        msg = rec["MESSAGE"]
        if isinstance(msg, list):  # not printable UTF-8: byte values
            msg = bytes(msg).decode("utf-8", "surrogateescape")
        writer = "%s[%s]" % (rec["SYSLOG_IDENTIFIER"], rec["_PID"])
        out.setdefault(writer, []).append(msg)
    return out


def read_crlf_bom(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8", "surrogateescape")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return {"-": text[:-2].split("\r\n")}


def read_trailing(path):
    lines = read_lines(path)
    assert all(l != l.rstrip(" \t") for l in lines), "a line without trailing blanks"
    return {"-": [l.rstrip(" \t") for l in lines]}


def read_json_lines(path):
    lines = []
    for line in read_lines(path):
        if line.startswith("{"):
            rec = json.loads(line)
            msg = rec.get("message", rec.get("event"))
            exc = rec.get("exc_info", rec.get("exception"))
            lines.extend(msg.split("\n"))
            if exc:
                lines.extend(exc.split("\n"))
        else:
            lines.append(line)
    return {"-": lines}


def read_plain(path):
    return {"-": read_lines(path)}


READERS = [  # (log file name pattern, reader, wrapped?)
    (r"^cri", read_cri, True),
    (r"^docker-json", read_docker, True),
    (r"^syslog", by_prefix(SYSLOG, 2, 3), True),
    (r"^rsyslog", read_rsyslog, False),
    (r"^journal-short-iso", by_prefix(SHORT_ISO, 2, 3), True),
    (r"^journal-json", read_journal_json, True),
    (r"^journal-short-multiline", read_journal_short, False),
    (r"^kubectl-prefix-timestamps", by_prefix(KUBECTL_TS, 1, 3), True),
    (r"^kubectl-prefix", by_prefix(KUBECTL, 1, 3), True),
    (r"^compose", by_prefix(COMPOSE, 1, 2), True),
    (r"^crlf-bom", read_crlf_bom, True),
    (r"^whitespace", read_trailing, False),
    (r"^json-", read_json_lines, False),
    (r"^(ansi|escapes)", read_plain, False),
]

TRIGGERS = {
    "asyncio.exception-never-retrieved": re.compile(r"exception was never retrieved"),
    "asyncio.task-destroyed-pending": re.compile(r"Task was destroyed but it is pending!"),
    "asyncio.exception-in-callback": re.compile(r"Exception in callback "),
}


def scan_lines(lines):
    with tempfile.NamedTemporaryFile("wb", suffix=".log", delete=False) as f:
        f.write("".join(l + "\n" for l in lines).encode("utf-8", "surrogateescape"))
        tmp = f.name
    try:
        return crosscheck.scan(tmp)
    finally:
        os.unlink(tmp)


def check(root, exp_path):
    with open(exp_path) as f:
        exp = json.load(f)
    log = os.path.join(root, exp["log"])
    name = os.path.basename(log)
    reader, wrapped = next((r, w) for rx, r, w in READERS if re.match(rx, name))
    writers = reader(log)
    problems = []

    if wrapped:
        srcs = [read_lines(os.path.join(root, s)) for s in exp["sources"]]
        if reader in (read_cri, read_docker, read_crlf_bom):
            got = sorted(l for ls in writers.values() for l in ls)
            want = sorted(l for ls in srcs for l in ls)
            if got != want:
                problems.append("lines differ from the sources' lines")
        else:
            got = sorted(writers.values())
            if got != sorted(srcs):
                problems.append("a writer's lines differ from its source")
            if len(writers) != len(srcs):
                problems.append("%d writers, %d sources" % (len(writers), len(srcs)))

    events = []
    for lines in writers.values():
        events.extend(scan_lines(lines))
    got = crosscheck.summarize(events)
    want = {g["key"]["coroutine"]: {"count": g["count"], "rules": g["rules"],
                                    "exceptions": g["exceptions"]}
            for g in exp["groups"]}
    if got != want:
        for k in sorted(set(got) | set(want), key=str):
            if got.get(k) != want.get(k):
                problems.append("%r: log %s, expected %s" % (k, got.get(k), want.get(k)))
    if len(events) != exp["events"]:
        problems.append("%d events, expected %d" % (len(events), exp["events"]))

    # informational raw grep of the framed file
    with open(log, "rb") as f:
        raw = f.read().decode("utf-8", "replace")
    raw_counts = []
    for rule, rx in TRIGGERS.items():
        want_n = sum(g["rules"].get(rule, 0) for g in exp["groups"])
        raw_counts.append("%s %d/%d" % (rule.split(".")[1][:14], len(rx.findall(raw)), want_n))
    size = os.path.getsize(log)
    print("%-34s %3d events %6d bytes  grep/expected: %s%s" % (
        exp["log"].split("/")[-1], exp["events"], size, ", ".join(raw_counts),
        "" if not problems else "\n   " + "\n   ".join(problems)))
    if size >= 200 * 1024:
        problems.append("larger than 200 KB")
    return not problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..")
    paths = sorted(glob.glob(os.path.join(root, "tests/e2e/expected/shapes/*.json")))
    bad = sum(1 for p in paths if not check(root, p))
    print("shapes check: %d logs checked, %d with problems" % (len(paths), bad))
    return 1 if bad or not paths else 0


if __name__ == "__main__":
    sys.exit(main())
