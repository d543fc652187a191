"""Scenario: exceptions Python can only report as "ignored" (the
unraisable hook) and their neighbours, with no logging configuration
(bare stderr, as logging's last-resort handler prints it):

  * a task of OrderConsumer.run destroyed while pending, whose coroutine
    catches GeneratorExit and awaits again: "Task was destroyed but it is
    pending!" and "Exception ignored in: <coroutine object
    OrderConsumer.run ...>" / RuntimeError: coroutine ignored
    GeneratorExit (3.6/3.7 print no traceback for it; 3.8+ print the frame
    that was running when the garbage collector closed it)
  * a generator ``ticker`` that yields again when closed
  * PooledConnection.__del__ failing in _release (3.6 names it
    "<bound method PooledConnection.__del__ of ...>", 3.7+
    "<function PooledConnection.__del__ at ...>")
  * a function started with _thread.start_new_thread failing (3.6/3.7
    "Unhandled exception in thread started by <function ...>", 3.8-3.12
    "Exception ignored in thread started by: <function ...>", 3.13
    "Exception ignored in thread started by <function ...>:")
  * a threading.Thread target failing ("Exception in thread NAME:" and a
    traceback: a python.traceback named after its culprit)
  * an async generator whose finally clause fails when asyncio closes it
    at shutdown ("an error occurred during closing of asynchronous
    generator ...": a python.traceback named after its culprit)
"""
# expected: next
import _thread
import asyncio
import gc
import sys
import threading
import time

from samplekit import (DESTROYED_PENDING, PY, TRACEBACK, UNRAISABLE, Expect,
                       Tap, bare_stderr_logging, run, spawn, task_name)

bare_stderr_logging()
tap = Tap(timed=False).attach().hook_unraisable()
expect = Expect()
keep = []


def status(msg):
    sys.stderr.write("orders: %s\n" % msg)
    sys.stderr.flush()


class OrderConsumer:
    def __init__(self, queue):
        self.queue = queue

    async def _ack(self):
        await asyncio.sleep(0)

    async def run(self):
        try:
            await asyncio.get_event_loop().create_future()
        except BaseException:
            await self._ack()


def ticker():
    n = 0
    while True:
        try:
            yield n
        except GeneratorExit:
            n += 1


class PooledConnection:
    def __init__(self, pool):
        self.pool = pool

    def _release(self):
        raise RuntimeError("connection pool %r is already closed" % self.pool)

    def __del__(self):
        with tap.catching("del PooledConnection"):
            self._release()


def _read_register(unit):
    raise OSError(5, "Input/output error")


def poll_sensor(unit):
    with tap.catching("poll_sensor"):
        _read_register(unit)


def sample_loop(unit):
    with tap.catching("sample_loop"):
        _read_register(unit)


async def close_cursor(name):
    await asyncio.sleep(0)
    raise ConnectionResetError(104, "Connection reset by peer")


async def stream_rows(table):
    try:
        for i in range(10):
            yield (table, i)
    finally:
        await close_cursor(table)


async def main():
    status("consumer starting")
    t = spawn(OrderConsumer("orders").run())
    name = task_name(t)
    del t
    await asyncio.sleep(0)
    gc.collect()
    # its coroutine is still running (it ignored GeneratorExit), so the
    # task: line says "running at", not "defined at"
    expect.add(DESTROYED_PENDING, "OrderConsumer.run", task=name,
               obs=tap.take("Task was destroyed but it is pending!"))
    if PY >= (3, 8):
        expect.add(UNRAISABLE, "OrderConsumer.run", "RuntimeError",
                   obs=tap.take("unraisable <coroutine object OrderConsumer.run"),
                   culprit_fn="main")
    else:
        expect.add(UNRAISABLE, "OrderConsumer.run", "RuntimeError",
                   culprit_fn=None, message="coroutine ignored GeneratorExit")

    g = ticker()
    next(g)
    del g
    gc.collect()
    if PY >= (3, 8):
        expect.add(UNRAISABLE, "ticker", "RuntimeError",
                   obs=tap.take("unraisable <generator object ticker"),
                   culprit_fn="main")
    else:
        expect.add(UNRAISABLE, "ticker", "RuntimeError", culprit_fn=None,
                   message="generator ignored GeneratorExit")

    conn = PooledConnection("db-primary")
    del conn
    gc.collect()
    expect.add(UNRAISABLE, "PooledConnection.__del__", "RuntimeError",
               obs=tap.take("del PooledConnection"), culprit_fn="_release")
    status("connections released")

    rows = stream_rows("orders")
    await rows.__anext__()
    keep.append(rows)
    status("consumer stopping")


run(main())
expect.add(TRACEBACK, "close_cursor", "ConnectionResetError", time=None,
           culprit_fn="close_cursor",
           obs=tap.take("an error occurred during closing of asynchronous generator"))

_thread.start_new_thread(poll_sensor, (3,))
time.sleep(0.3)
expect.add(UNRAISABLE, "poll_sensor", "OSError", obs=tap.take("poll_sensor"),
           culprit_fn="_read_register")

worker = threading.Thread(target=sample_loop, args=(4,), name="sensor-poller")
worker.start()
worker.join()
expect.add(TRACEBACK, "_read_register", "OSError", obs=tap.take("sample_loop"),
           culprit_fn="_read_register")
status("exiting")
expect.write()
