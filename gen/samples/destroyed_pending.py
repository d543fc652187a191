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
    traceback (a python.traceback event, innermost frame ``_flush``).
Garbage collection is forced at fixed points so the output is deterministic.
"""
import asyncio
import gc
import sys

from samplekit import (DESTROYED_PENDING, TRACEBACK, Expect, defined_at,
                       printed_type, spawn, task_name)

expect = Expect()
keep = []


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
            self._flush()


async def main(loop):
    status("starting")
    for msg_id in (101, 102):
        t = spawn(wait_for_ack(msg_id), loop=loop)
        expect.add(DESTROYED_PENDING, "wait_for_ack", task=task_name(t),
                   defined_at=defined_at(wait_for_ack))
        del t
    for _ in range(3):
        await asyncio.sleep(0)
    status("collecting garbage while the loop runs")
    gc.collect()
    await asyncio.sleep(0)

    for queue in ("orders", "billing", "emails"):
        t = spawn(poll_forever(queue), loop=loop)
        expect.add(DESTROYED_PENDING, "poll_forever", task=task_name(t),
                   defined_at=defined_at(poll_forever))
        keep.append(t)
    t = spawn(heartbeat(30), loop=loop)
    expect.add(DESTROYED_PENDING, "heartbeat", task=task_name(t),
               defined_at=defined_at(heartbeat))
    keep.append(t)
    t = spawn(Worker("w1").drain(), loop=loop)
    expect.add(DESTROYED_PENDING, "Worker.drain", task=task_name(t),
               defined_at=defined_at(Worker.drain))
    # closing the coroutine runs its finally: -> "Exception ignored in"
    expect.add(TRACEBACK, "_flush", printed_type(BrokenPipeError))
    keep.append(t)
    del t
    await asyncio.sleep(0.01)
    # scheduled but never started: destroyed by refcount when loop.close()
    # drops its pending callbacks, so it prints "running at"
    t = spawn(flush_metrics(7), loop=loop)
    # (no defined_at: the repr says "running at F:L", not "defined at")
    expect.add(DESTROYED_PENDING, "flush_metrics", task=task_name(t))
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
expect.write()
