"""Shared helpers for the tracehound sample-log generators.

Every scenario program imports this module.  It provides:

* small compatibility shims so one program runs on CPython 3.6 .. 3.13
  (``run`` instead of ``asyncio.run``, ``spawn`` instead of
  ``create_task(name=...)``, ``task_name``);
* ``Expect``: the oracle.  A scenario calls ``expect.add(...)`` for every
  failure it deliberately provokes, *from its own knowledge* (which coroutine
  it started, which exception it raised), never by reading the log.  At the
  end ``expect.write()`` dumps the expected report subset as JSON to the path
  in ``$TH_EXPECT`` (nothing is written when the variable is unset, so the
  programs can also be run by hand);
* ``printed_type``: the exception type exactly as the traceback module prints
  it on the final line (``__qualname__``, prefixed with ``__module__`` unless
  that is ``builtins`` or ``__main__``).

Rule ids and field meanings follow README.md, "What it finds".
"""
import asyncio
import gc
import json
import logging
import os
import sys

PY = sys.version_info[:2]

NEVER_RETRIEVED = "asyncio.exception-never-retrieved"
DESTROYED_PENDING = "asyncio.task-destroyed-pending"
NEVER_AWAITED = "asyncio.coroutine-never-awaited"
IN_CALLBACK = "asyncio.exception-in-callback"
EXC_GROUP = "python.exception-group"
TRACEBACK = "python.traceback"


NOT_GIVEN = object()  # "argument not passed" (None is a value here)


def printed_type(t):
    """Exception type name as printed on the final traceback line."""
    if isinstance(t, BaseException):
        t = type(t)
    mod = t.__module__
    name = t.__qualname__
    if mod in ("builtins", "__main__"):
        return name
    return mod + "." + name


def defined_at(func):
    """``file:line`` as printed in ``coro=<NAME() done, defined at F:L>``."""
    code = func.__code__
    return "%s:%d" % (code.co_filename, code.co_firstlineno)


def task_name(task):
    """The name asyncio prints as ``name='...'`` (3.8+); None on 3.6/3.7."""
    if PY >= (3, 8):
        return task.get_name()
    return None


def spawn(coro, name=None, loop=None):
    """loop.create_task with an explicit name where supported (3.8+)."""
    if loop is None:
        loop = asyncio.get_event_loop()
    if name is not None and PY >= (3, 8):
        return loop.create_task(coro, name=name)
    return loop.create_task(coro)


def run(coro, debug=False):
    """asyncio.run() on 3.7+, an equivalent run_until_complete on 3.6."""
    if hasattr(asyncio, "run"):
        return asyncio.run(coro, debug=debug)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.set_debug(debug)
    try:
        return loop.run_until_complete(coro)
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


async def settle(rounds=5):
    """Let spawned tasks run to completion, then collect garbage so every
    finished-but-unretrieved task is finalized (and logged) right now."""
    for _ in range(rounds):
        await asyncio.sleep(0)
    gc.collect()
    for _ in range(rounds):
        await asyncio.sleep(0)
    gc.collect()


async def lose_task(coro):
    """Run CORO as a task that fails, drop every reference to it and let
    it be collected: asyncio logs "Task exception was never retrieved".
    Returns the task's name."""
    t = spawn(coro)
    name = task_name(t)
    await asyncio.sleep(0.01)
    del t
    gc.collect()
    await settle()
    return name


class Expect:
    """Collects the events a scenario provokes and writes the expected JSON."""

    def __init__(self, include_tasks=True):
        self.events = []
        self.include_tasks = include_tasks
        self.with_facts = False

    def add(self, rule, coroutine, exception=None, task=None,
            defined_at=None, created_at=None, n=1, obs=None,
            culprit_fn=NOT_GIVEN, message=NOT_GIVEN, time=NOT_GIVEN):
        """Declare N events.  The keyword arguments after ``n`` are the
        per-event facts of the expected files (``facts``): ``obs`` is
        an ``Observation`` of the reported exception (culprit, message and
        record time are taken from it; its type must be ``exception``),
        ``culprit_fn`` the function the program knows the culprit to be
        (checked against ``obs``; None: no culprit), ``message`` and
        ``time`` override or supply what ``obs`` cannot know."""
        if exception is not None and not isinstance(exception, str):
            exception = printed_type(exception)
        facts = None
        if obs is not None or culprit_fn is not NOT_GIVEN \
                or message is not NOT_GIVEN or time is not NOT_GIVEN:
            self.with_facts = True
            facts = event_facts(rule, coroutine, exception, obs,
                                culprit_fn, message, time)
        for _ in range(n):
            self.events.append({
                "rule": rule, "coroutine": coroutine, "exception": exception,
                "task": task, "defined_at": defined_at,
                "created_at": created_at, "facts": facts,
            })

    def groups(self):
        by_key = {}
        order = []
        for ev in self.events:
            k = ev["coroutine"]
            if k not in by_key:
                by_key[k] = []
                order.append(k)
            by_key[k].append(ev)
        groups = []
        for k in order:
            evs = by_key[k]
            g = {"key": {"coroutine": k}, "count": len(evs)}
            rules = {}
            excs = {}
            for ev in evs:
                rules[ev["rule"]] = rules.get(ev["rule"], 0) + 1
                if ev["exception"] is not None:
                    excs[ev["exception"]] = excs.get(ev["exception"], 0) + 1
            g["rules"] = dict(sorted(rules.items()))
            g["exceptions"] = dict(sorted(excs.items()))
            tasks = sorted(set(ev["task"] for ev in evs if ev["task"]))
            if tasks and self.include_tasks:
                g["tasks"] = tasks
            for field in ("defined_at", "created_at"):
                vals = sorted(set(ev[field] for ev in evs if ev[field]))
                if vals:
                    g[field] = vals
            groups.append(g)
        # report order: count descending, then key (null first)
        groups.sort(key=lambda g: (-g["count"],
                                   g["key"]["coroutine"] is not None,
                                   g["key"]["coroutine"] or ""))
        return groups

    def write(self):
        path = os.environ.get("TH_EXPECT")
        if not path:
            return
        doc = {
            "log": os.environ.get("TH_LOG", ""),
            "python": "%d.%d" % PY,
            "events": len(self.events),
            "groups": self.groups(),
        }
        if self.with_facts:
            missing = [ev for ev in self.events if ev["facts"] is None]
            if missing:
                fail("events without facts in a scenario that declares "
                     "facts: %r" % [(ev["rule"], ev["coroutine"])
                                    for ev in missing])
            doc["facts"] = [ev["facts"] for ev in self.events]
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")


def culprit_function(exc):
    """Function name of the culprit of exc's own traceback (its innermost
    application frame, else its innermost frame)."""
    culprit = culprit_of(exc.__traceback__)
    return culprit["function"] if culprit else None


def group_leaves(group):
    """(culprit's function, printed type) of every leaf of an exception
    group, depth first, in printing order."""
    out = []
    for exc in group.exceptions:
        if hasattr(exc, "exceptions") and isinstance(exc, BaseException) \
                and type(exc).__name__.endswith("ExceptionGroup"):
            out.extend(group_leaves(exc))
        else:
            out.append((culprit_function(exc), printed_type(exc)))
    return out


def self_check(declared, observed, what):
    """Abort (exit status 3) when the declared expectations disagree with
    what the live exception objects say."""
    if sorted(declared) != sorted(observed):
        sys.stderr.write("SELF-CHECK FAILED (%s): declared %r, observed %r\n"
                         % (what, sorted(declared), sorted(observed)))
        sys.stderr.flush()
        os._exit(3)


# --------------------------------------------------------------------------
# Per-event facts of the expected files: the culprit, the message and the
# record's time (see README.md, "Per-event facts").  Everything below is
# derived from the live exception objects the program raised, never from
# the log.

UNRAISABLE = "python.unraisable"
# ids proposed for the rules issue 10 asks for; README.md says so
FATAL_TRANSPORT = "asyncio.fatal-transport-error"
UNCLOSED_SESSION = "aiohttp.unclosed-client-session"
UNCLOSED_CONNECTOR = "aiohttp.unclosed-connector"
SLOW_CALLBACK = "asyncio.slow-callback"

_STDLIB_POSIX = None


def fail(what):
    """Abort the scenario (exit status 3): the program's own declarations
    disagree with what the live objects say."""
    sys.stderr.write("SELF-CHECK FAILED: %s\n" % what)
    sys.stderr.flush()
    os._exit(3)


def is_library(path):
    """The library/application split of the frame rule: standard library
    (lib/pythonX.Y, lib64/pythonX.Y, lib/python3, lib/pypyX.Y; on Windows a
    Lib directory right under a Python... or ...conda... directory),
    site-packages / dist-packages, frozen modules.  Everything else,
    <string> and <stdin> included, is the application's."""
    import re
    global _STDLIB_POSIX
    if _STDLIB_POSIX is None:
        _STDLIB_POSIX = re.compile(
            r"/lib(64)?/python\d+\.\d+/|/lib/python3/|/lib/pypy\d+\.\d+/")
    if path.startswith("<frozen "):
        return True
    if re.search(r"[/\\](site|dist)-packages[/\\]", path):
        return True
    if _STDLIB_POSIX.search(path):
        return True
    return bool(re.search(r"(?i)\\(python[^\\]*|[^\\]*conda[^\\]*)\\lib\\",
                          path))


def culprit_of(tb):
    """{file, line, function} of the innermost application frame of a
    traceback object (the innermost frame when none is the application's);
    None for no frames."""
    import traceback
    frames = traceback.extract_tb(tb) if tb is not None else []
    if not frames:
        return None
    app = [f for f in frames if not is_library(f.filename)]
    f = app[-1] if app else frames[-1]
    return {"file": f.filename, "line": f.lineno, "function": f.name}


def message_of(exc):
    """The exception's message as the final traceback line shows it: the
    text after "Type: ", first line only; None for a bare type name."""
    import traceback
    first = traceback.format_exception_only(type(exc), exc)[0]
    first = first.rstrip("\n").split("\n")[0]
    prefix = printed_type(exc) + ": "
    if first.startswith(prefix) and len(first) > len(prefix):
        return first[len(prefix):]
    return None


def is_group(exc):
    return isinstance(exc, BaseException) and any(
        c.__name__ == "BaseExceptionGroup" for c in type(exc).__mro__)


class Observation:
    """What the log shows of one reported exception: printed type, message,
    culprit, and the record's time (None where the record has none)."""

    def __init__(self, exc=None, tb=NOT_GIVEN, time=None, text=""):
        self.exc = exc
        self.text = text
        self.time = time
        if exc is None:
            self.exception = self.message = self.culprit = None
            return
        self.exception = printed_type(exc)
        self.message = message_of(exc)
        self.culprit = culprit_of(exc.__traceback__ if tb is NOT_GIVEN
                                  else tb)

    def leaves(self):
        """Observations of the leaves of an exception group, depth first
        in printing order."""
        out = []

        def walk(g):
            for e in g.exceptions:
                if is_group(e):
                    walk(e)
                else:
                    out.append(Observation(e, time=self.time))
        walk(self.exc)
        return out


def iso_time(record):
    """A record's asctime (default format) as ISO 8601: the logging
    prefix carries no zone, so none is added."""
    import time as _time
    ct = _time.localtime(record.created)
    return _time.strftime("%Y-%m-%dT%H:%M:%S", ct) + ".%03d" % record.msecs


def record_time(record, timed):
    """The time a record's first line shows, as tracehound reports it:
    the program's own format shows asctime when TIMED; with
    TH_LOG_FORMAT (gen/shapes/logfmt/sitecustomize.py: every root handler
    gets that formatter) the formatter decides: colorlog shows no time,
    structlog a UTC ISO 8601 timestamp, the others asctime."""
    import datetime
    fmt = os.environ.get("TH_LOG_FORMAT")
    if fmt == "colorlog":
        return None
    if fmt == "structlog":
        ts = datetime.datetime.fromtimestamp(record.created,
                                             tz=datetime.timezone.utc)
        return ts.isoformat().replace("+00:00", "Z")
    return iso_time(record) if timed or fmt else None


class Tap(logging.Handler):
    """A silent logging handler (and, on request, a wrapper around
    sys.excepthook, sys.unraisablehook and threading.excepthook) that
    remembers every report: its first line, the live exception and, when
    the handler's format shows %(asctime)s, the record's time.  It never
    writes anything: the log is exactly what the program would print
    without it."""

    def __init__(self, timed):
        import logging
        logging.Handler.__init__(self, logging.DEBUG)
        self.timed = timed
        self.seen = []

    def emit(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        try:
            text = record.getMessage()
        except Exception:  # arguments that do not fit: logging says so
            text = str(record.msg)
        self.seen.append(Observation(
            exc, time=record_time(record, self.timed), text=text))

    def attach(self, *loggers):
        import logging
        for name in loggers or ("",):
            logging.getLogger(name).addHandler(self)
        return self

    def hook_excepthook(self):
        prev = sys.excepthook

        def hook(t, v, tb):
            self.seen.append(Observation(v, tb=tb, text="excepthook"))
            prev(t, v, tb)
        sys.excepthook = hook
        return self

    def hook_unraisable(self):
        """3.8+: sys.unraisablehook (older versions have none)."""
        if not hasattr(sys, "unraisablehook"):
            return self
        prev = sys.unraisablehook

        def hook(u):
            self.seen.append(Observation(u.exc_value, tb=u.exc_traceback,
                                         text="unraisable %r" % (u.object,)))
            prev(u)
        sys.unraisablehook = hook
        return self

    def hook_threading(self):
        """3.8+: threading.excepthook."""
        import threading
        if not hasattr(threading, "excepthook"):
            return self
        prev = threading.excepthook

        def hook(args):
            self.seen.append(Observation(args.exc_value,
                                         tb=args.exc_traceback,
                                         text="thread %s" % args.thread.name))
            prev(args)
        threading.excepthook = hook
        return self

    def dump(self, path):
        """Write what was seen (not yet taken) to PATH as JSON: for a child
        process whose reports the parent declares (``load``)."""
        with open(path, "w") as f:
            json.dump([{"text": o.text, "time": o.time,
                        "exception": o.exception, "message": o.message,
                        "culprit": o.culprit} for o in self.seen], f)

    def load(self, path):
        """Add the observations a child process dumped to PATH."""
        with open(path) as f:
            for d in json.load(f):
                o = Observation(text=d["text"], time=d["time"])
                o.exception, o.message = d["exception"], d["message"]
                o.culprit = d["culprit"]
                self.seen.append(o)

    def remember(self, exc, text):
        """Note a handled exception the program itself prints (its
        traceback as format_exc() shows it at this point)."""
        self.seen.append(Observation(exc, text=text))

    def catching(self, text):
        """A context manager that remembers the exception leaving its
        block (and lets it go on): for reports no hook can see."""
        return _Catch(self, text)

    def none_left(self, needle):
        """Abort when a report containing NEEDLE was not declared (one
        more slow-callback warning than planned, say)."""
        left = [o.text for o in self.seen if needle in o.text]
        if left:
            fail("undeclared reports: %r" % left)

    def take(self, needle):
        """The oldest report not taken yet whose first line contains
        NEEDLE."""
        for i, o in enumerate(self.seen):
            if needle in o.text:
                del self.seen[i]
                return o
        fail("no report contains %r (have %r)"
             % (needle, [o.text[:60] for o in self.seen]))


class _Catch:
    def __init__(self, tap, text):
        self.tap = tap
        self.text = text

    def __enter__(self):
        return self

    def __exit__(self, t, v, tb):
        if v is not None:
            self.tap.seen.append(Observation(v, text=self.text))
        return False


def event_facts(rule, coroutine, exception, obs, culprit_fn, message, time):
    culprit = msg = t = None
    if obs is not None:
        if exception is not None and obs.exception != exception:
            fail("%s %s: declared %s, reported %s"
                 % (rule, coroutine, exception, obs.exception))
        culprit, msg, t = obs.culprit, obs.message, obs.time
    if culprit_fn is not NOT_GIVEN:
        got = culprit["function"] if culprit else None
        if got != culprit_fn:
            fail("%s %s: declared culprit %r, traceback says %r"
                 % (rule, coroutine, culprit_fn, culprit))
    if message is not NOT_GIVEN:
        msg = message
    if time is not NOT_GIVEN:
        t = time
    # source: the writer a framing names (README.md, "Log shapes"); these
    # programs write plain logs, which no framing wraps
    return {"rule": rule, "coroutine": coroutine, "exception": exception,
            "message": msg, "culprit": culprit, "time": t, "source": None}


def bare_stderr_logging():
    """What logging's last-resort handler prints (bare message lines on
    stderr, WARNING and up), as a real handler, so that a Tap on the root
    logger does not silence it."""
    import logging
    h = logging.StreamHandler(sys.stderr)
    h.setLevel(logging.WARNING)
    logging.getLogger().addHandler(h)
