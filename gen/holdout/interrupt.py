"""Held-out scenario: a service stopped with Ctrl-C (a real SIGINT), the
way pre-asyncio.run() programs are written: loop.run_forever() at module
level, workers left pending, logging's format ``[time] LEVEL:name:msg``.

  * a worker failed earlier and its task was never retrieved (logged
    while the loop runs)
  * SIGINT arrives while run_forever() waits in select(): the
    KeyboardInterrupt is caught, logged with logger.exception
    ("interrupted"), the loop is closed without cancelling the workers
    and the workers are dropped: "Task was destroyed but it is pending!"
    for each of the three (named after their coroutines)
  * the program then re-raises: the interpreter prints the
    KeyboardInterrupt traceback (exit status 1, or 130 where 3.8+
    re-sends SIGINT to itself)
"""
# expected: holdout
# exit: 1 130
import asyncio
import atexit
import gc
import logging
import os
import signal
import sys
import threading

from samplekit import (DESTROYED_PENDING, NEVER_RETRIEVED, TRACEBACK, Expect,
                       Tap, settle)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="[%(asctime)s] %(levelname)s:%(name)s:%(message)s")
log = logging.getLogger("feeder")
tap = Tap(timed=True).attach().hook_excepthook()
expect = Expect()


async def poll_feed(url):
    while True:
        await asyncio.sleep(3600)


async def heartbeat():
    while True:
        await asyncio.sleep(3600)


async def import_batch(n):
    await asyncio.sleep(0)
    raise EOFError("batch %d: feed ended mid-record" % n)


async def warm_up():
    await settle()
    expect.add(NEVER_RETRIEVED, "import_batch", "EOFError",
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="import_batch")
    # from another thread, so that it lands while the loop waits in select()
    threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()


loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
workers = [loop.create_task(poll_feed("https://feeds.example.test/a")),
           loop.create_task(poll_feed("https://feeds.example.test/b")),
           loop.create_task(heartbeat())]
t = loop.create_task(import_batch(3))
del t
loop.create_task(warm_up())
log.info("feeder running")
try:
    loop.run_forever()
except KeyboardInterrupt as exc:
    log.exception("interrupted")
    interrupt = exc
expect.add(TRACEBACK, "<module>", "KeyboardInterrupt",
           obs=tap.take("interrupted"), culprit_fn="<module>")
loop.close()
del workers
gc.collect()
for coro in ("poll_feed", "poll_feed", "heartbeat"):
    expect.add(DESTROYED_PENDING, coro, None,
               obs=tap.take("Task was destroyed but it is pending!"),
               culprit_fn=None)


def finish():
    expect.add(TRACEBACK, "<module>", "KeyboardInterrupt",
               obs=tap.take("excepthook"), culprit_fn="<module>")
    expect.write()


atexit.register(finish)
raise interrupt
