#!/usr/bin/env python3
"""Wrap every line of a log as a container runtime writes it.

    wrap_lines.py docker|cri [--max-line N] < LOG > WRAPPED
    wrap_lines.py docker|cri [--max-line N] --in LOG --out WRAPPED [--reuse]

docker: dockerd's json-file, {"log":"<line>\\n","stream":"stderr",
"time":"<RFC 3339, ns>"}, with <, > and & escaped as dockerd escapes them
(\\u003c, \\u003e, \\u0026).  cri: containerd's CRI file, "<RFC 3339, ns>
stderr F <line>"; with --max-line N (bytes, default 0: none) a longer line
is written as containerd writes it past its max_container_log_line_size:
pieces of N bytes tagged P, then the rest tagged F (cut between UTF-8
characters).  Times start at a fixed instant and grow by a millisecond a
line, so the output is the same every time.

With --in/--out, LOG.truth.json (bench/gen_log.py) is copied to
WRAPPED.truth.json with the number of lines written (each P piece is a line
of the file; partial_lines counts the P pieces) and the wrapping added to
its params; --reuse does nothing
when that truth exists with the same params.  For bench/run.sh's Docker
and CRI workloads; gen/shapes/wrap.py makes the test samples, with
interleaved writers and splits inside the triggers.
"""
import argparse
import datetime
import hashlib
import json
import os
import sys

START = datetime.datetime(2026, 11, 26, 10, 0, 0, tzinfo=datetime.timezone.utc)


def stamp(i):
    t = START + datetime.timedelta(milliseconds=i)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d000000Z" % (t.microsecond // 1000)


def pieces(raw, max_line):
    """RAW (bytes, no newline) cut into pieces of at most MAX_LINE bytes,
    never inside a UTF-8 character."""
    out = []
    while len(raw) > max_line:
        cut = max_line
        while cut > 1 and (raw[cut] & 0xC0) == 0x80:
            cut -= 1
        out.append(raw[:cut])
        raw = raw[cut:]
    out.append(raw)
    return out


def wrap(shape, max_line, src, out):
    """Writes the wrapped lines of SRC (binary) to OUT (binary); returns
    the number of lines written and how many of them are P pieces."""
    written = partial = 0
    i = 0
    for raw in src:
        raw = raw.rstrip(b"\n")
        if shape == "cri":
            parts = pieces(raw, max_line) if max_line else [raw]
            for k, part in enumerate(parts):
                tag = b"F" if k == len(parts) - 1 else b"P"
                out.write(b"%s stderr %s %s\n" % (stamp(i).encode(), tag, part))
                i += 1
            written += len(parts)
            partial += len(parts) - 1
            continue
        line = raw.decode("utf-8", "replace")
        text = json.dumps(line + "\n", ensure_ascii=False)
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        out.write(('{"log":%s,"stream":"stderr","time":"%s"}\n'
                   % (text, stamp(i))).encode("utf-8"))
        i += 1
        written += 1
    return written, partial


def script_digest():
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("shape", choices=("docker", "cri"))
    ap.add_argument("--max-line", type=int, default=0,
                    help="cri: cut lines longer than N bytes into P pieces")
    ap.add_argument("--in", dest="src", help="the log (else standard input)")
    ap.add_argument("--out", help="the wrapped log (else standard output)")
    ap.add_argument("--reuse", action="store_true")
    a = ap.parse_args()
    if a.max_line and a.shape != "cri":
        ap.error("--max-line is for cri")
    if not a.src or not a.out:
        if a.src or a.out or a.reuse:
            ap.error("--in and --out go together (and --reuse with them)")
        wrap(a.shape, a.max_line, sys.stdin.buffer, sys.stdout.buffer)
        return 0
    with open(a.src + ".truth.json") as f:
        truth = json.load(f)
    params = dict(truth["params"], wrapped=a.shape, max_line=a.max_line,
                  wrapper=script_digest())
    truth_path = a.out + ".truth.json"
    if a.reuse and os.path.exists(a.out) and os.path.exists(truth_path):
        try:
            with open(truth_path) as f:
                old = json.load(f)
            if old.get("params") == params and os.path.getsize(a.out) == old.get("bytes"):
                print("wrap_lines: %s is up to date" % a.out, file=sys.stderr)
                return 0
        except (OSError, ValueError):
            pass
    with open(a.src, "rb") as src, open(a.out + ".tmp", "wb") as out:
        lines, partial = wrap(a.shape, a.max_line, src, out)
    os.replace(a.out + ".tmp", a.out)
    truth.update(params=params, file=os.path.basename(a.out),
                 bytes=os.path.getsize(a.out), lines=lines, partial_lines=partial)
    with open(truth_path + ".tmp", "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")
    os.replace(truth_path + ".tmp", truth_path)
    print("wrap_lines: %s: %d bytes, %d lines (%s)"
          % (a.out, truth["bytes"], lines, a.shape), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
