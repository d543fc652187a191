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

Rule ids and field meanings follow /work/shared/SPEC.md section 1.
"""
import asyncio
import gc
import json
import os
import sys

PY = sys.version_info[:2]

NEVER_RETRIEVED = "asyncio.exception-never-retrieved"
DESTROYED_PENDING = "asyncio.task-destroyed-pending"
NEVER_AWAITED = "asyncio.coroutine-never-awaited"
IN_CALLBACK = "asyncio.exception-in-callback"
EXC_GROUP = "python.exception-group"
TRACEBACK = "python.traceback"


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


class Expect:
    """Collects the events a scenario provokes and writes the expected JSON."""

    def __init__(self, include_tasks=True):
        self.events = []
        self.include_tasks = include_tasks

    def add(self, rule, coroutine, exception=None, task=None,
            defined_at=None, created_at=None, n=1):
        if exception is not None and not isinstance(exception, str):
            exception = printed_type(exception)
        for _ in range(n):
            self.events.append({
                "rule": rule, "coroutine": coroutine, "exception": exception,
                "task": task, "defined_at": defined_at,
                "created_at": created_at,
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
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")


def innermost(exc):
    """Function name of the innermost frame of exc's own traceback."""
    import traceback
    frames = traceback.extract_tb(exc.__traceback__)
    return frames[-1].name if frames else None


def group_leaves(group):
    """(innermost function, printed type) of every leaf of an exception
    group, depth first, in printing order."""
    out = []
    for exc in group.exceptions:
        if hasattr(exc, "exceptions") and isinstance(exc, BaseException) \
                and type(exc).__name__.endswith("ExceptionGroup"):
            out.extend(group_leaves(exc))
        else:
            out.append((innermost(exc), printed_type(exc)))
    return out


def self_check(declared, observed, what):
    """Abort (exit status 3) when the declared expectations disagree with
    what the live exception objects say."""
    if sorted(declared) != sorted(observed):
        sys.stderr.write("SELF-CHECK FAILED (%s): declared %r, observed %r\n"
                         % (what, sorted(declared), sorted(observed)))
        sys.stderr.flush()
        os._exit(3)
