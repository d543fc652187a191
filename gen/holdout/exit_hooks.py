"""Held-out scenario: failures in the hooks that run when a program ends,
bare stderr (no logging configuration):

  * a custom sys.excepthook that fails itself: the interpreter prints
    "Error in sys.excepthook:" and the hook's traceback, then "Original
    exception was:" and the uncaught exception's traceback (two
    python.traceback events, each named after its culprit)
  * an atexit callback that fails: 3.6-3.9 print "Error in
    atexit._run_exitfuncs:" and a traceback (a python.traceback); 3.10+
    "Exception ignored in atexit callback: <function flush_metrics at
    ...>" (the unraisable hook: a python.unraisable named after the
    function)
  * an asyncio task left pending when the loop is dropped (Task was
    destroyed but it is pending!) just before, so that the reports come
    one after the other
Exit status 1 (the uncaught exception).
"""
# expected: holdout
# exit: 1
import asyncio
import atexit
import gc
import sys

from samplekit import (DESTROYED_PENDING, PY, TRACEBACK, UNRAISABLE, Expect,
                       Tap, bare_stderr_logging)

bare_stderr_logging()
tap = Tap(timed=False).attach()
expect = Expect()


def report_crash(t, v, tb):
    tap.remember(v, "original")
    with tap.catching("hook failed"):
        send_crash_report({"type": t.__name__})


def send_crash_report(payload):
    return payload["host"]


def flush_metrics():
    with tap.catching("atexit failed"):
        write_metrics("/nonexistent/metrics/app.prom")


def write_metrics(path):
    with open(path, "w") as f:
        f.write("app_up 0\n")


async def watch_config():
    await asyncio.sleep(3600)


def parse_port(text):
    return int(text)


def finish():
    expect.add(TRACEBACK, "send_crash_report", "KeyError",
               obs=tap.take("hook failed"), culprit_fn="send_crash_report")
    expect.add(TRACEBACK, "parse_port", "ValueError",
               obs=tap.take("original"), culprit_fn="parse_port")
    obs = tap.take("atexit failed")
    if PY >= (3, 10):
        expect.add(UNRAISABLE, "flush_metrics", "FileNotFoundError", obs=obs,
                   culprit_fn="write_metrics")
    else:
        expect.add(TRACEBACK, "write_metrics", "FileNotFoundError", obs=obs,
                   culprit_fn="write_metrics")
    expect.write()


atexit.register(finish)        # runs last
atexit.register(flush_metrics)  # runs first
sys.excepthook = report_crash

loop = asyncio.new_event_loop()
task = loop.create_task(watch_config())
loop.run_until_complete(asyncio.sleep(0))
loop.close()
del task
gc.collect()
expect.add(DESTROYED_PENDING, "watch_config", None,
           obs=tap.take("Task was destroyed but it is pending!"),
           culprit_fn=None)
parse_port("80a")
