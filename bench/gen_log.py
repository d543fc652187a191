#!/usr/bin/env python3
"""Seeded generator of large, realistic Python application logs with asyncio
failures and tracebacks at a chosen rate, and the true event counts.

    python3 bench/gen_log.py --size 1G --every 20000 --seed 1 --out bench/data/sparse.log

writes FILE and FILE.truth.json.  Python 3 standard library only.

Background lines: timestamped `logging` records from several loggers
(`2024-05-01 10:00:01,123 INFO [app.http] ...`), HTTP access lines, DEBUG
chatter, long JSON payload lines (1-4 KB) and a few harmless near misses
(words such as "exception", "Traceback", "pending" in ordinary messages).

Events: real event blocks cut from the CPython output committed in
sample-logs/py3.*/ (never retrieved with its traceback, futures, destroyed
pending, never awaited, exception in callback, chained tracebacks, exception
groups, debug-mode source tracebacks, Sentry-wrapped tasks, ANSI-colored
3.13 output).  The pool is cut by a small independent parser (below) whose
per-coroutine counts must equal tests/e2e/expected/ for every sample log
(a log that disagrees is left out of the pool, with a warning).  Each time a
block is inserted, its coroutine names are renamed (whole identifiers, the
same way everywhere in the block), task names, app line numbers, object
addresses and timestamps are replaced; the block is then parsed again and
must give exactly the renamed events, which are added to the truth.

Counting follows tracehound's default rules (README.md, "What it finds"):
one event per asyncio message (its traceback is part of it), one per
traceback chain, one per leaf of a bare exception group.  Blocks are always
separated by at least one ordinary timestamped line, so no event can run
into the next.  With --every 1 nearly every line is in an event (a crash
loop).

--tasks N (many groups): every event is a short report naming a task
(`Task was destroyed but it is pending!` with its `task:` line, or a
never-retrieved `future: <Task ...>` with a short traceback), one ordinary
line before each, in three process runs whose task names restart at
Task-1: N/20 events, then N, then N/50, so N distinct names, some named two
or three times.  Also writes FILE.tasks, the task name of each event in
order, for `sort | uniq -c`.

FILE.truth.json: {"params": ..., "bytes", "lines", "blocks", "events",
"rules": {rule: n}, "groups": [{"coroutine", "count", "rules",
"exceptions"}]} (groups sorted by count desc, then coroutine).
"""
import argparse
import bisect
import glob
import hashlib
import json
import os
import random
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# ---------------------------------------------------------------------------
# The independent parser used to cut the pool and to re-check each block:
# the asyncio-message, traceback and exception-group parsers are
# gen/samples/crosscheck.py's.

sys.path.insert(0, os.path.join(REPO, "gen", "samples"))
from crosscheck import (SLOW, UNRAISABLE, parse_chain,  # noqa: E402
                        parse_group, parse_message, parse_unraisable,
                        slow_callback)

ANSI = re.compile(r"\x1b\[[0-9;]*m")
FRAME = re.compile(r'^\s*File "([^"]*)", line \d+, in (.+)$')
NR = re.compile(r"(?:Task|Future|_GatheringFuture) exception was never retrieved")
DP = "Task was destroyed but it is pending!"
NA = re.compile(r"coroutine '([^']+)' was never awaited")
CB = re.compile(r"Exception in callback ")
CORO = re.compile(r"coro=<(\S+?)\(\)")
HDR = re.compile(r"^(future|handle|task|transport): ")
SEP = ("During handling of the above exception, another exception occurred:",
       "The above exception was the direct cause of the following exception:")
NA_CONT = ("Coroutine created at", "Object allocated at",
           "RuntimeWarning: Enable tracemalloc")
LEADMSG = re.compile(r"Exception ignored in|[Uu]nhandled exception|ERROR|failed")
WRAPPER = "_coro_creating_hub_and_span"
TB = "Traceback (most recent call last):"
GTB = "  + Exception Group Traceback (most recent call last):"


def lead_start(lines, i, prev_end):
    """Where the record that carries a bare traceback starts: the header
    lines (task:, transport:) and the message line before them."""
    k = i
    while k - 1 >= prev_end and HDR.match(lines[k - 1]):
        k -= 1
    if k - 1 >= prev_end and (k < i or LEADMSG.search(lines[k - 1])):
        k -= 1
    return k


def scan(lines):
    """lines: without ANSI escapes.  Returns [(start, end, [(rule,
    coroutine, exception)])], one entry per block of lines."""
    blocks = []
    n = len(lines)
    i = prev_end = 0
    while i < n:
        line = lines[i]
        nr = NR.search(line)
        if nr or CB.search(line):
            rule = ("asyncio.exception-never-retrieved" if nr
                    else "asyncio.exception-in-callback")
            coro, exc, j = parse_message(lines, i, rule)
            blocks.append((i, j, [(rule, coro, exc)]))
            i = prev_end = j
            continue
        if DP in line:
            j = i + 1
            coro = None
            if j < n and HDR.match(lines[j]):
                m = CORO.search(lines[j])
                coro = m.group(1) if m else None
                j += 1
            if j < n and lines[j].startswith("source_traceback:"):
                j += 1
                while j < n and lines[j].startswith(" "):
                    j += 1
            blocks.append((i, j, [("asyncio.task-destroyed-pending", coro, None)]))
            i = prev_end = j
            continue
        if UNRAISABLE.search(line):
            coro, exc, j = parse_unraisable(lines, i)
            blocks.append((i, j, [("python.unraisable", coro, exc)]))
            i = prev_end = j
            continue
        if SLOW.search(line):
            blocks.append((i, i + 1, [("asyncio.slow-callback",
                                       slow_callback(line), None)]))
            i = prev_end = i + 1
            continue
        m = NA.search(line)
        if m:
            j = i + 1
            while j < n and (lines[j].startswith(" ") or lines[j].startswith(NA_CONT)):
                j += 1
            if j < n and lines[j] == "":
                j += 1
            blocks.append((i, j, [("asyncio.coroutine-never-awaited", m.group(1), None)]))
            i = prev_end = j
            continue
        if line.startswith(TB):
            start = lead_start(lines, i, prev_end)
            func, exc, _, j = parse_chain(lines, i)
            blocks.append((start, j, [("python.traceback", func, exc)]))
            i = prev_end = j
            continue
        if line.startswith(GTB):
            start = lead_start(lines, i, prev_end)
            leaves, j = parse_group(lines, i)
            blocks.append((start, j, [("python.exception-group", f, t) for f, t in leaves]))
            i = prev_end = j
            continue
        i += 1
    return blocks


def summarize(events, groups=None):
    groups = {} if groups is None else groups
    for rule, coro, exc in events:
        g = groups.setdefault(coro, {"count": 0, "rules": {}, "exceptions": {}})
        g["count"] += 1
        g["rules"][rule] = g["rules"].get(rule, 0) + 1
        if exc:
            g["exceptions"][exc] = g["exceptions"].get(exc, 0) + 1
    return groups


# ---------------------------------------------------------------------------
# The pool of real event blocks.

class Block:
    __slots__ = ("lines", "events", "names", "source", "rule")

    def __init__(self, lines, events, source):
        self.lines = lines          # raw lines (ANSI kept), no newline
        self.events = events        # [(rule, coroutine, exception)]
        self.source = source
        self.rule = events[0][0]
        plain = [ANSI.sub("", l) for l in lines]
        lib = set()
        for l in plain:
            m = FRAME.match(l)
            if m and ("/lib/python" in m.group(1) or "site-packages" in m.group(1)):
                lib.add(m.group(2))
        names = set()
        for _, coro, _ in events:
            if coro is None:
                continue
            last = coro.rsplit(".", 1)[-1]
            if last.startswith("<") or last in lib or last in ("main", WRAPPER):
                continue
            if re.fullmatch(r"[A-Za-z_]\w*", last):
                names.add(last)
        self.names = sorted(names)   # identifiers that may be renamed


def load_pool(repo):
    pool = []
    digest = hashlib.sha256()
    seen = set()
    logs = sorted(glob.glob(os.path.join(repo, "sample-logs", "py3.*", "*.log")))
    if not logs:
        sys.exit("gen_log: no sample logs under %s/sample-logs" % repo)
    for path in logs:
        rel = os.path.relpath(path, repo)
        ver, name = rel.split(os.sep)[-2:]
        exp_path = os.path.join(repo, "tests", "e2e", "expected", ver,
                                name[:-4] + ".json")
        with open(path, "rb") as f:
            data = f.read()
        digest.update(rel.encode() + b"\0" + data)
        raw = data.decode("utf-8", errors="replace").split("\n")
        if raw and raw[-1] == "":
            raw.pop()
        plain = [ANSI.sub("", l) for l in raw]
        blocks = scan(plain)
        if os.path.exists(exp_path):
            with open(exp_path) as f:
                exp = json.load(f)
            got = summarize([e for b in blocks for e in b[2]])
            want = {g["key"]["coroutine"]: {"count": g["count"], "rules": g["rules"],
                                            "exceptions": g["exceptions"]}
                    for g in exp["groups"]}
            if got != want:
                print("gen_log: warning: %s: parser disagrees with %s, left out of the pool"
                      % (rel, os.path.relpath(exp_path, repo)), file=sys.stderr)
                continue
        else:
            print("gen_log: warning: %s has no expected facts, left out" % rel,
                  file=sys.stderr)
            continue
        for start, end, events in blocks:
            if not events:
                continue
            lines = raw[start:end]
            # many_tasks repeats a few shapes 200 times: keep distinct shapes
            key = re.sub(r"\d+", "0", "\n".join(lines))
            if key in seen:
                continue
            seen.add(key)
            pool.append(Block(lines, events, rel))
    return pool, digest.hexdigest()


# ---------------------------------------------------------------------------
# Substitution.

VERBS = ["fetch", "sync", "refresh", "publish", "handle", "process", "send",
         "load", "store", "poll", "update", "resolve", "validate", "render",
         "charge", "notify", "index", "reconcile", "stream", "export", "import",
         "archive", "compact", "warm", "evict", "rotate", "enqueue", "dispatch"]
NOUNS = ["user", "inventory", "token", "order", "invoice", "webhook", "session",
         "cart", "prices", "feed", "metrics", "report", "shipment", "payment",
         "profile", "blob", "queue", "catalog", "ledger", "receipt", "audit_log",
         "thumbnail", "search_index", "rates", "quota", "subscription"]

TS_FULL = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}")
TS_SHORT = re.compile(r"^\d\d:\d\d:\d\d\.\d{3}")
TASKNAME = re.compile(r"name='Task-(\d+)'")
ADDR = re.compile(r"0x[0-9a-f]{6,16}")
APPLINE = re.compile(r'((?:/tmp/app/|")[\w]+\.py(?:", line |:))(\d+)')
ESC_SPLIT = re.compile(r"(\x1b\[[0-9;]*m)")


def make_names(rng, k=48):
    names = set()
    while len(names) < k:
        names.add("%s_%s" % (rng.choice(VERBS), rng.choice(NOUNS)))
    return sorted(names)


class Substituter:
    def __init__(self, rng, pool):
        self.rng = rng
        self.pool = pool
        self.names = make_names(rng)
        rng.shuffle(self.names)
        # Zipf-like: a few coroutines fail a lot, most rarely
        self.cum = []
        acc = 0.0
        for r in range(len(self.names)):
            acc += 1.0 / (r + 1)
            self.cum.append(acc)
        by_rule = {}
        for b in pool:
            by_rule.setdefault(b.rule, []).append(b)
        self.by_rule = by_rule
        want = {"asyncio.exception-never-retrieved": 30,
                "python.traceback": 20,
                "asyncio.task-destroyed-pending": 14,
                "asyncio.coroutine-never-awaited": 14,
                "asyncio.exception-in-callback": 12,
                "python.exception-group": 10,
                "python.unraisable": 4,
                "asyncio.slow-callback": 2}
        self.rules = [r for r in want if r in by_rule]
        self.rule_cum = []
        acc = 0
        for r in self.rules:
            acc += want[r]
            self.rule_cum.append(acc)
        self.task_no = 100

    def pick_name(self):
        x = self.rng.random() * self.cum[-1]
        return self.names[bisect.bisect_left(self.cum, x)]

    def pick_block(self):
        x = self.rng.random() * self.rule_cum[-1]
        rule = self.rules[bisect.bisect_right(self.rule_cum, x)]
        return self.rng.choice(self.by_rule[rule])

    def render(self, block, ts_full, ts_short):
        """Returns (text with trailing newline, events, number of lines)."""
        rng = self.rng
        ren = {}
        for old in block.names:
            if rng.random() < 0.85:
                new = self.pick_name()
                if new not in ren.values():
                    ren[old] = new
        ren_re = None
        if ren:
            ren_re = re.compile(r"(?<![\w/.])(?:%s)(?![\w])(?!\.py)"
                                % "|".join(re.escape(k) for k in ren))
            ren_dot = re.compile(r"(?<=\.)(?:%s)(?![\w])(?!\.py)"
                                 % "|".join(re.escape(k) for k in ren))
        off = rng.randrange(0, 400)
        tasks = {}

        def task_sub(m):
            t = tasks.get(m.group(1))
            if t is None:
                self.task_no += rng.randrange(1, 40)
                t = tasks[m.group(1)] = "name='Task-%d'" % self.task_no
            return t

        def rename_text(seg):
            seg = ren_re.sub(lambda m: ren[m.group(0)], seg)
            return ren_dot.sub(lambda m: ren[m.group(0)], seg)

        out = []
        for line in block.lines:
            line = TS_FULL.sub(ts_full, line)
            line = TS_SHORT.sub(ts_short, line)
            line = TASKNAME.sub(task_sub, line)
            line = ADDR.sub(lambda m: "0x7f%010x" % rng.getrandbits(40), line)
            line = APPLINE.sub(lambda m: m.group(1) + str(int(m.group(2)) + off), line)
            if ren_re is not None:
                if "\x1b" in line:
                    parts = ESC_SPLIT.split(line)
                    line = "".join(p if k % 2 else rename_text(p)
                                   for k, p in enumerate(parts))
                else:
                    line = rename_text(line)
            out.append(line)

        def mapped(coro):
            if coro is None:
                return None
            head, dot, last = coro.rpartition(".")
            return head + dot + ren.get(last, last)

        want = [(r, mapped(c), e) for r, c, e in block.events]
        plain = [ANSI.sub("", l) for l in out]
        got = [e for b in scan(plain) for e in b[2]]
        if got != want:
            raise AssertionError("block from %s changed meaning after renaming %s:\n"
                                 "want %s\ngot  %s\n%s"
                                 % (block.source, ren, want, got, "\n".join(out)))
        return "\n".join(out) + "\n", want, len(out)


# ---------------------------------------------------------------------------
# Background lines.

LOGGERS_INFO = ["app.http", "app.worker", "app.db", "app.cache", "app.auth",
                "app.billing", "app.scheduler", "uvicorn.error", "celery.worker"]
LOGGERS_DEBUG = ["app.db", "app.cache", "app.http", "aiohttp.client",
                 "sqlalchemy.engine", "app.scheduler", "urllib3.connectionpool"]
PATHS = ["/api/v1/users/%d", "/api/v1/orders/%d", "/api/v1/orders/%d/items",
         "/api/v1/carts/%d", "/api/v1/products/%d", "/api/v1/search?q=sku-%d",
         "/healthz", "/metrics", "/static/app.%d.js", "/api/v2/invoices/%d/pdf",
         "/login", "/api/v1/sessions/%d", "/ws/notifications"]
METHODS = ["GET"] * 8 + ["POST"] * 3 + ["PUT", "DELETE", "PATCH"]
STATUSES = [200] * 30 + [201, 204, 301, 304, 304, 400, 401, 403, 404, 404, 409,
                         422, 429, 500, 502, 503]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Safari/605.1.15",
          "python-httpx/0.27.0", "python-requests/2.31.0", "curl/8.5.0",
          "kube-probe/1.29", "Prometheus/2.51.1", "okhttp/4.12.0",
          "aiohttp/3.9.5"]
# (format with two integers, range of the first, range of the second)
DEBUG_MSGS = [
    ("query users.get_by_id took %d.%02d ms rows=1", 40, 100),
    ("cache miss key=user:%d:profile ttl=%d", 99999, 900),
    ("cache hit key=cart:%d age=%ds", 99999, 300),
    ("acquired connection from pool (in use %d/%d)", 20, 40),
    ("released connection to pool after %d ms (%d queued)", 900, 5),
    ("SELECT orders.id, orders.status FROM orders WHERE orders.user_id = %d LIMIT %d", 99999, 100),
    ("Starting new HTTPS connection (%d): inventory.internal:%d", 9, 9000),
    ("scheduling job refresh_rates in %d.%d s", 60, 10),
    ("heartbeat ok seq=%d lag=%dms", 999999, 50),
    ("span %x finished duration=%dus", 1 << 32, 90000),
    ("retry policy: attempt %d of %d not needed", 3, 5),
    ("GET https://inventory.internal/v1/stock/%d status=200 elapsed=%dms", 99999, 400),
]
INFO_MSGS = [
    ("job %d (send_newsletter) finished in %d ms", 999999, 5000),
    ("user %d logged in, %d active sessions", 99999, 9),
    ("order %d placed, %d items", 999999, 30),
    ("invoice INV-2024-%05d generated (%d pages)", 99999, 12),
    ("worker %d picked up task %d from queue default", 16, 999999),
    ("cache warmed: %d keys in %d ms", 50000, 3000),
    ("payment %d authorised by gateway (%d cents)", 999999, 100000),
    ("session %x expired after %d s idle", 1 << 32, 3600),
    ("published %d events to topic orders.v1 in %d ms", 500, 200),
    ("rate table refreshed (%d currencies, age %ds)", 180, 600),
]
WARN_MSGS = [
    ("upstream inventory-svc slow: 1.%02ds (budget 1.00s, attempt %d)", 100, 3),
    ("retrying request %d after connection reset (attempt %d/5)", 999999, 5),
    ("queue depth %d above soft limit %d", 99999, 10000),
    ("slow query (%d ms): SELECT * FROM audit_log WHERE id > %d", 9000, 999999),
    ("token for client %d expires in %d s", 9999, 600),
]
# near misses: words of the triggers in harmless messages (no trigger)
NEAR_MSGS = [
    ("request %d failed: upstream returned 502 (retry %d/3), exception suppressed", 999999, 3),
    ("task %d is still pending after %d s, waiting", 99999, 60),
    ("Traceback capture disabled for sampler %d (rate %d%%)", 99, 100),
    ("callback %d registered for event order.updated (%d listeners)", 9999, 20),
    ("coroutine pool size %d, %d awaited", 64, 64),
    ("future %d resolved, result was never used (%d ms)", 99999, 900),
]
LINE_KINDS = {
    "debug": ("DEBUG", LOGGERS_DEBUG, DEBUG_MSGS),
    "info": ("INFO", LOGGERS_INFO, INFO_MSGS),
    "warn": ("WARNING", LOGGERS_INFO, WARN_MSGS),
    "near": ("WARNING", LOGGERS_INFO, NEAR_MSGS),
}


def json_pool(rng, k=256):
    """Long JSON payload bodies, 1-4 KB."""
    pool = []
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
             "hotel", "india", "juliet", "kilo", "lima", "mike", "november"]
    for _ in range(k):
        target = rng.randrange(1000, 4096)
        obj = {"event": rng.choice(["order.updated", "cart.changed",
                                    "user.profile", "inventory.snapshot",
                                    "invoice.rendered"]),
               "version": rng.randrange(1, 9),
               "trace_id": "%032x" % rng.getrandbits(128),
               "items": []}
        while True:
            obj["items"].append({
                "sku": "SKU-%06d" % rng.randrange(10 ** 6),
                "name": " ".join(rng.choice(words) for _ in range(rng.randrange(1, 4))),
                "qty": rng.randrange(1, 20),
                "price": {"amount": rng.randrange(100, 100000), "currency": "EUR"},
                "tags": [rng.choice(words) for _ in range(rng.randrange(0, 4))],
                "warehouse": {"id": rng.randrange(1, 40), "zone": rng.choice("ABCDEFG")},
            })
            s = json.dumps(obj, separators=(",", ":"))
            if len(s) >= target:
                break
        pool.append(s)
    return pool


class Background:
    """The ordinary lines around the events (one method call a line)."""

    def __init__(self, rng):
        self.rr = rng.random
        self.payloads = json_pool(rng)
        self.ips = ["10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256),
                                     rng.randrange(1, 255))
                    for _ in range(512)]

    def line(self, kind, ts, acc_str):
        """One line of KIND ("access", "json" or a LINE_KINDS key) with
        its newline; TS is the logging time, ACC_STR the access-log one."""
        rr = self.rr
        if kind == "access":
            p = PATHS[int(rr() * len(PATHS))]
            if "%d" in p:
                p = p % int(rr() * 99999)
            return ('%s INFO [aiohttp.access] %s [%s] "%s %s HTTP/1.1" %d %d "-" "%s" 0.%03ds\n'
                    % (ts, self.ips[int(rr() * 512)], acc_str, METHODS[int(rr() * len(METHODS))],
                       p, STATUSES[int(rr() * len(STATUSES))], int(rr() * 90000),
                       AGENTS[int(rr() * len(AGENTS))], int(rr() * 1000)))
        if kind == "json":
            return "%s INFO [app.events] publish id=%d payload=%s\n" % (
                ts, int(rr() * 10 ** 9), self.payloads[int(rr() * len(self.payloads))])
        level, loggers, msgs = LINE_KINDS[kind]
        fmt, a, b = msgs[int(rr() * len(msgs))]
        return "%s %s [%s] %s\n" % (ts, level, loggers[int(rr() * len(loggers))],
                                     fmt % (int(rr() * a), int(rr() * b)))


def fmt_time(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def parse_size(s):
    s = s.strip().upper()
    mult = 1
    for suf, m in (("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30),
                   ("KB", 1000), ("MB", 10 ** 6), ("GB", 10 ** 9),
                   ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1)):
        if s.endswith(suf):
            s, mult = s[:-len(suf)], m
            break
    return int(float(s) * mult)


def generator_digest():
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


# ---------------------------------------------------------------------------
# Many groups: every event names a task (--tasks).

TASK_RULES = ("asyncio.task-destroyed-pending", "asyncio.exception-never-retrieved")
TASK_MARK, FULL_MARK, SHORT_MARK = "\x00", "\x01", "\x02"


def task_templates(sub, variants=4):
    """Format strings of one-event blocks that name exactly one task, each
    rendered (renamed and checked) VARIANTS times: [(weight, format,
    event)], the format taking f (logging time), s (short time) and t
    (the task number)."""
    out = []
    for b in sub.pool:
        if len(b.events) != 1 or b.rule not in TASK_RULES:
            continue
        # short reports only (the file holds millions of them)
        if len(b.lines) > 8 or len(set(TASKNAME.findall("\n".join(b.lines)))) != 1:
            continue
        # the short destroyed-pending reports come three to one, so that
        # the file is not mostly tracebacks
        weight = 3 if b.rule == TASK_RULES[0] else 1
        for _ in range(variants):
            text, evs, _ = sub.render(b, FULL_MARK, SHORT_MARK)
            text = TASKNAME.sub("name='Task-" + TASK_MARK + "'", text)
            fmt = (text.replace("%", "%%").replace(FULL_MARK, "%(f)s")
                   .replace(SHORT_MARK, "%(s)s").replace(TASK_MARK, "%(t)d"))
            out.append((weight, fmt, evs[0]))
    if not out:
        sys.exit("gen_log: no event block in the pool names one task")
    return out


def lifetimes(distinct):
    """Events per process lifetime: task names restart at Task-1 in each,
    so a name comes back after a restart.  A short run, the long one that
    names DISTINCT tasks, and a shorter one: Task-1 .. Task-DISTINCT/50 are
    named three times, up to DISTINCT/20 twice, the rest once."""
    return [max(1, distinct // 20), distinct, max(1, distinct // 50)]


def generate_tasks(args, rng, pool, params, truth_path):
    """A log whose events each name a task; writes OUT, OUT.truth.json and
    OUT.tasks (the task name of each event, in order)."""
    sub = Substituter(rng, pool)
    bg = Background(rng)
    rr = rng.random
    tmpl = task_templates(sub)
    cum, acc = [], 0
    for w, _, _ in tmpl:
        acc += w
        cum.append(acc)
    kinds = ("access", "debug", "info", "warn")
    kweights = (40, 36, 20, 4)
    t0 = 1714521600
    msec = 0
    sec_cached = sec_str = acc_str = None
    total = nlines = 0
    per_tmpl = [0] * len(tmpl)
    tmpl_lines = [f.count("\n") for _, f, _ in tmpl]
    started = time.time()
    with open(args.out + ".tmp", "wb") as out, open(args.out + ".tasks.tmp", "w") as tasks:
        chunk, names = [], []
        for life, n_events in enumerate(lifetimes(args.tasks)):
            for task in range(1, n_events + 1):
                # an ordinary line before each report; the worker's start
                # line before the first
                seq = rng.choices(kinds, kweights) if task > 1 else ["start"]
                for kind in seq:
                    msec += 1 + int(rr() * 20)
                    sec = t0 + msec // 1000
                    if sec != sec_cached:
                        sec_cached = sec
                        sec_str = fmt_time(sec)
                        acc_str = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(sec))
                    ts = "%s,%03d" % (sec_str, msec % 1000)
                    if kind == "start":
                        chunk.append("%s INFO [app.main] worker starting (pid %d, run %d)\n"
                                     % (ts, 1000 + int(rr() * 30000), life + 1))
                    else:
                        chunk.append(bg.line(kind, ts, acc_str))
                    nlines += 1
                k = bisect.bisect_right(cum, rr() * acc)
                chunk.append(tmpl[k][1] % {"f": ts, "s": "%s.%03d" % (sec_str[11:], msec % 1000),
                                           "t": task})
                per_tmpl[k] += 1
                nlines += tmpl_lines[k]
                names.append("Task-%d\n" % task)
                if len(chunk) >= 65536:
                    data = "".join(chunk).encode("utf-8")
                    out.write(data)
                    total += len(data)
                    tasks.write("".join(names))
                    chunk, names = [], []
        data = "".join(chunk).encode("utf-8")
        out.write(data)
        total += len(data)
        tasks.write("".join(names))
    os.replace(args.out + ".tmp", args.out)
    os.replace(args.out + ".tasks.tmp", args.out + ".tasks")
    groups, rules, events = {}, {}, 0
    for k, n in enumerate(per_tmpl):
        if not n:
            continue
        rule, coro, exc = tmpl[k][2]
        g = groups.setdefault(coro, {"count": 0, "rules": {}, "exceptions": {}})
        g["count"] += n
        g["rules"][rule] = g["rules"].get(rule, 0) + n
        if exc:
            g["exceptions"][exc] = g["exceptions"].get(exc, 0) + n
        rules[rule] = rules.get(rule, 0) + n
        events += n
    write_truth(args, truth_path, params, total, nlines, events, events, rules, groups)
    print("gen_log: %s: %d bytes, %d lines, %d events naming %d distinct tasks "
          "(%d templates) in %.1fs"
          % (args.out, total, nlines, events, args.tasks, len(tmpl),
             time.time() - started), file=sys.stderr)
    return 0


def write_truth(args, truth_path, params, total, nlines, nblocks, nevents, rules, groups):
    """Writes FILE.truth.json (see the top of this file); returns its groups."""
    glist = [{"coroutine": k, "count": v["count"],
              "rules": dict(sorted(v["rules"].items())),
              "exceptions": dict(sorted(v["exceptions"].items()))}
             for k, v in groups.items()]
    glist.sort(key=lambda g: (-g["count"], g["coroutine"] is not None, g["coroutine"] or ""))
    truth = {"params": params, "file": os.path.basename(args.out),
             "bytes": total, "lines": nlines, "blocks": nblocks,
             "events": nevents, "rules": dict(sorted(rules.items())),
             "groups": glist}
    with open(truth_path + ".tmp", "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")
    os.replace(truth_path + ".tmp", truth_path)
    return glist


def generate(args):
    rng = random.Random(args.seed)
    pool, pool_digest = load_pool(args.repo)
    params = {"seed": args.seed, "size": args.size, "every": args.every,
              "generator": generator_digest(), "pool": pool_digest[:16]}
    if args.tasks:
        params = {"seed": args.seed, "tasks": args.tasks,
                  "generator": params["generator"], "pool": params["pool"]}
    truth_path = args.out + ".truth.json"
    have = [args.out, truth_path] + ([args.out + ".tasks"] if args.tasks else [])
    if args.reuse and all(os.path.exists(p) for p in have):
        try:
            with open(truth_path) as f:
                old = json.load(f)
            if old.get("params") == params and os.path.getsize(args.out) == old.get("bytes"):
                print("gen_log: %s is up to date (same seed, size, rate, generator)"
                      % args.out, file=sys.stderr)
                return 0
        except (OSError, ValueError):
            pass
    if args.tasks:
        return generate_tasks(args, rng, pool, params, truth_path)

    sub = Substituter(rng, pool)
    bg = Background(rng)
    rr = rng.random

    # precomputed kind sequence: cheap per line choice
    kinds = ("access", "debug", "info", "warn", "json", "near")
    kweights = (38, 34, 18, 4.5, 4, 1.5)

    t0 = 1714521600             # 2024-05-01 00:00:00 UTC
    msec = 0
    sec_cached = None
    sec_str = acc_str = None
    total = 0
    nlines = 0
    nblocks = 0
    events_all = []
    rules = {}
    since = 0                   # lines since the last block started
    noise_since = 1
    gap = max(1, int(rng.expovariate(1.0 / args.every)))
    chunk = []
    chunk_bytes = 0
    CHUNK = 16 << 20
    tmp = args.out + ".tmp"
    started = time.time()
    with open(tmp, "wb") as out:
        while total < args.size:
            seq = rng.choices(kinds, kweights, k=4096)
            for kind in seq:
                msec += int(rr() * 25)
                sec = t0 + msec // 1000
                if sec != sec_cached:
                    sec_cached = sec
                    sec_str = fmt_time(sec)
                    acc_str = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(sec))
                ms = msec % 1000
                ts = "%s,%03d" % (sec_str, ms)
                if since >= gap and noise_since >= 1:
                    b = sub.pick_block()
                    text, evs, n = sub.render(b, ts, "%s.%03d" % (sec_str[11:], ms))
                    events_all.extend(evs)
                    for r, _, _ in evs:
                        rules[r] = rules.get(r, 0) + 1
                    nblocks += 1
                    nlines += n
                    since = n
                    noise_since = 0
                    gap = max(1, int(rng.expovariate(1.0 / args.every)))
                    enc = text.encode("utf-8")
                    chunk.append(enc)
                    chunk_bytes += len(enc)
                    total += len(enc)
                    # the block is followed by this line of ordinary chatter
                    kind = "info"
                line = bg.line(kind, ts, acc_str)
                chunk.append(line.encode("ascii"))
                chunk_bytes += len(line)
                total += len(line)
                nlines += 1
                since += 1
                noise_since += 1
                if chunk_bytes >= CHUNK:
                    out.write(b"".join(chunk))
                    chunk = []
                    chunk_bytes = 0
                if total >= args.size:
                    break
        out.write(b"".join(chunk))
    os.replace(tmp, args.out)

    glist = write_truth(args, truth_path, params, total, nlines, nblocks,
                        len(events_all), rules, summarize(events_all))
    print("gen_log: %s: %d bytes, %d lines, %d blocks, %d events in %d groups "
          "(pool %d blocks) in %.1fs"
          % (args.out, total, nlines, nblocks, len(events_all), len(glist),
             len(pool), time.time() - started), file=sys.stderr)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=parse_size, default=parse_size("256M"),
                    help="bytes to write (suffixes K/M/G = KiB/MiB/GiB, KB/MB/GB); "
                         "the file ends at the first line boundary at or past it")
    ap.add_argument("--every", type=int, default=20000,
                    help="one event block per N lines on average "
                         "(sparse 20000, dense 200)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tasks", type=int, default=0,
                    help="many groups: every event names a task, N distinct "
                         "task names in all (--size and --every are not used); "
                         "also writes OUT.tasks, the task name of each event")
    ap.add_argument("--out", required=True)
    ap.add_argument("--repo", default=REPO, help="repository with sample-logs/ and "
                    "tests/e2e/expected/ (default: the one holding this script)")
    ap.add_argument("--reuse", action="store_true",
                    help="do nothing when OUT and OUT.truth.json exist with the "
                         "same parameters and generator")
    ap.add_argument("--pool-stats", action="store_true",
                    help="print the pool of event blocks and exit")
    args = ap.parse_args()
    if args.every < 1:
        ap.error("--every must be >= 1")
    if args.pool_stats:
        pool, d = load_pool(args.repo)
        by = {}
        for b in pool:
            by[b.rule] = by.get(b.rule, 0) + 1
        print(json.dumps({"blocks": len(pool), "by_rule": by, "digest": d[:16]}, indent=1))
        return 0
    return generate(args)


if __name__ == "__main__":
    sys.exit(main())
