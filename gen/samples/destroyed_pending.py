"""Scenario: tasks destroyed while still pending.

No logging configuration at all: asyncio's records go through logging's
"last resort" handler, i.e. bare message lines on stderr.  Provokes
"Task was destroyed but it is pending!" for:
  * 3 tasks of ``poll_forever`` and 1 of ``heartbeat`` still sleeping when
    the loop is closed and the tasks are garbage collected;
  * 1 task of ``flush_metrics`` scheduled but never started, freed when
    loop.close() drops the loop's ready queue (its repr says "running at");
  * 2 tasks of ``wait_for_ack`` awaiting a future nobody else references,
    collected by gc.collect() while the loop is still running;
  * 1 task of ``Worker.drain`` whose ``finally:`` clause fails when the
    coroutine is closed on destruction, which additionally prints
    "Exception ignored in: <coroutine object Worker.drain ...>" with a
    traceback (a python.unraisable event named after the object,
    ``Worker.drain``; its culprit is ``_flush``).
Garbage collection is forced at fixed points so the output is deterministic.
The records are written as logging's last resort would write them (bare
message lines), by a real handler, so that a silent Tap can see them; the
reports have no time.
"""
import asyncio
import gc
import sys

from samplekit import (DESTROYED_PENDING, UNRAISABLE, Expect, Tap,
                       bare_stderr_logging, defined_at, printed_type, spawn,
                       task_name)

bare_stderr_logging()
tap = Tap(timed=False).attach()
expect = Expect()
keep = []
destroyed = []  # (coroutine, task name, defined_at) in the order started


def pending(coroutine, task, func=None):
    destroyed.append((coroutine, task_name(task),
                      defined_at(func) if func is not None else None))


def declare_destroyed():
    """Each task's "Task was destroyed but it is pending!" record: no
    exception, no traceback, no time (bare message lines)."""
    for coroutine, name, where in destroyed:
        expect.add(DESTROYED_PENDING, coroutine, task=name, defined_at=where,
                   obs=tap.take("coro=<%s()" % coroutine), culprit_fn=None)


def status(msg):
    sys.stderr.write("scheduler: %s\n" % msg)
    sys.stderr.flush()


async def poll_forever(queue):
    while True:
        await asyncio.sleep(3600)


async def heartbeat(interval):
    await asyncio.sleep(interval)


async def flush_metrics(batch):
    await asyncio.sleep(0)


async def wait_for_ack(msg_id):
    fut = asyncio.get_event_loop().create_future()
    await fut


class Worker:
    def __init__(self, name):
        self.name = name

    def _flush(self):
        raise BrokenPipeError(32, "Broken pipe")

    async def drain(self):
        try:
            await asyncio.sleep(3600)
        finally:
            # closing the coroutine on destruction runs this: the
            # exception is "ignored" (printed as unraisable)
            with tap.catching("#Worker.drain finally"):
                self._flush()


async def main(loop):
    status("starting")
    for msg_id in (101, 102):
        t = spawn(wait_for_ack(msg_id), loop=loop)
        pending("wait_for_ack", t, wait_for_ack)
        del t
    for _ in range(3):
        await asyncio.sleep(0)
    status("collecting garbage while the loop runs")
    gc.collect()
    await asyncio.sleep(0)

    for queue in ("orders", "billing", "emails"):
        t = spawn(poll_forever(queue), loop=loop)
        pending("poll_forever", t, poll_forever)
        keep.append(t)
    t = spawn(heartbeat(30), loop=loop)
    pending("heartbeat", t, heartbeat)
    keep.append(t)
    t = spawn(Worker("w1").drain(), loop=loop)
    pending("Worker.drain", t, Worker.drain)
    keep.append(t)
    del t
    await asyncio.sleep(0.01)
    # scheduled but never started: destroyed by refcount when loop.close()
    # drops its pending callbacks, so it prints "running at"
    t = spawn(flush_metrics(7), loop=loop)
    # (no defined_at: the repr says "running at F:L", not "defined at")
    pending("flush_metrics", t)
    del t
    status("main() returns without cancelling %d workers" % len(keep))


loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(main(loop))
status("closing the event loop")
loop.close()
asyncio.set_event_loop(None)
del keep[:]
gc.collect()
status("exited cleanly")
declare_destroyed()
# closing Worker.drain's coroutine ran its finally: -> "Exception ignored in"
expect.add(UNRAISABLE, "Worker.drain", printed_type(BrokenPipeError),
           obs=tap.take("#Worker.drain finally"), culprit_fn="_flush")
expect.write()
