#!/usr/bin/env python3
"""Wrap every line of standard input as a container runtime writes it.

    wrap_lines.py docker|cri < LOG > WRAPPED

docker: dockerd's json-file, {"log":"<line>\\n","stream":"stderr",
"time":"<RFC 3339, ns>"}, with <, > and & escaped as dockerd escapes them
(\\u003c, \\u003e, \\u0026).  cri: containerd's CRI file, "<RFC 3339, ns>
stderr F <line>".  Times start at a fixed instant and grow by a
millisecond a line, so the output is the same every time.  For the
benchmark of log shapes (bench/shapes.sh); gen/shapes/wrap.py makes the
test samples, with split lines and interleaved writers.
"""
import datetime
import json
import sys

START = datetime.datetime(2026, 11, 26, 10, 0, 0, tzinfo=datetime.timezone.utc)


def stamp(i):
    t = START + datetime.timedelta(milliseconds=i)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d000000Z" % (t.microsecond // 1000)


def main():
    shape = sys.argv[1] if len(sys.argv) == 2 else ""
    if shape not in ("docker", "cri"):
        sys.exit(__doc__)
    out = sys.stdout
    for i, raw in enumerate(sys.stdin.buffer):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if shape == "cri":
            out.write("%s stderr F %s\n" % (stamp(i), line))
            continue
        text = json.dumps(line + "\n", ensure_ascii=False)
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        out.write('{"log":%s,"stream":"stderr","time":"%s"}\n' % (text, stamp(i)))


if __name__ == "__main__":
    main()
