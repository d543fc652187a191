"""Scenario: reports printed one right after the other, with nothing
between them, on bare stderr (no logging configuration), ending with an
uncaught exception (exit status 1):

  * two coroutines of Subscriber.listen that ignore GeneratorExit,
    collected by one gc.collect(): two "Exception ignored in:" reports
    back to back
  * traceback.print_exc() of a handled error, immediately followed by
    "Task exception was never retrieved" for a task that failed earlier
  * "Fatal read error on pipe transport" (with its traceback) directly
    after it
  * at shutdown, "Task was destroyed but it is pending!" and its task:
    line, immediately followed by the traceback of the uncaught exception
    that ends the program
"""
# expected: next
import asyncio
import atexit
import gc
import os
import sys
import traceback

import errors
from samplekit import (DESTROYED_PENDING, FATAL_TRANSPORT, NEVER_RETRIEVED,
                       PY, TRACEBACK, UNRAISABLE, Expect, Tap,
                       bare_stderr_logging, defined_at, spawn, task_name)

bare_stderr_logging()
tap = Tap(timed=False).attach().hook_unraisable().hook_excepthook()
expect = Expect()


class Subscriber:
    def __init__(self, topic):
        self.topic = topic

    async def _unsubscribe(self):
        await asyncio.sleep(0)

    async def listen(self):
        try:
            await asyncio.get_event_loop().create_future()
        except GeneratorExit:
            await self._unsubscribe()


class Reader(asyncio.Protocol):
    pass


async def settle_orders(batch):
    await asyncio.sleep(0)
    raise errors.UpstreamError("ledger rejected batch %d" % batch)


def load_limits(path):
    with open(path) as f:
        return f.read()


async def watch(name):
    await asyncio.get_event_loop().create_future()


def shutdown(workers):
    alive = [w for w in workers if w]
    if not alive:
        raise errors.ConfigError("worker pool exhausted: 0 of %d workers alive"
                                 % len(workers))


async def main(loop):
    subs = [Subscriber("prices").listen(), Subscriber("orders").listen()]
    for c in subs:
        c.send(None)
    del c, subs
    gc.collect()
    for _ in range(2):
        if PY >= (3, 8):
            expect.add(UNRAISABLE, "Subscriber.listen", "RuntimeError",
                       obs=tap.take("unraisable <coroutine object Subscriber.listen"),
                       culprit_fn="main")
        else:
            expect.add(UNRAISABLE, "Subscriber.listen", "RuntimeError",
                       culprit_fn=None, message="coroutine ignored GeneratorExit")

    t = spawn(settle_orders(4711), loop=loop)
    name = task_name(t)
    for _ in range(3):
        await asyncio.sleep(0)
    try:
        load_limits("/tmp/app/limits.d/missing.yaml")
    except OSError as e:
        traceback.print_exc()
        tap.remember(e, "#print_exc")
    expect.add(TRACEBACK, "load_limits", "FileNotFoundError",
               obs=tap.take("#print_exc"), culprit_fn="load_limits")
    del t
    gc.collect()
    expect.add(NEVER_RETRIEVED, "settle_orders", "errors.UpstreamError",
               task=name, defined_at=defined_at(settle_orders),
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="settle_orders")

    r, w = os.pipe()
    os.close(r)
    await loop.connect_read_pipe(Reader, os.fdopen(w, "rb", buffering=0))
    await asyncio.sleep(0.05)
    expect.add(FATAL_TRANSPORT, "_read_ready", "OSError",
               obs=tap.take("Fatal read error on pipe transport"),
               culprit_fn="_read_ready")

    t = spawn(watch("config"), loop=loop)
    expect.add(DESTROYED_PENDING, "watch", task=task_name(t),
               defined_at=defined_at(watch), culprit_fn=None, message=None,
               time=None)
    del t
    await asyncio.sleep(0)


def finish():
    expect.add(TRACEBACK, "shutdown", "errors.ConfigError",
               obs=tap.take("excepthook"), culprit_fn="shutdown")
    expect.write()


atexit.register(finish)
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(main(loop))
loop.close()
gc.collect()
shutdown([None, None, None, None])
