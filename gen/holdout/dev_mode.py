"""Held-out scenario: what ``python -X dev`` shows, switched on by the
program itself (asyncio debug mode, warnings "default", tracemalloc with
5 frames), logging format ``%(asctime)s %(levelname)s %(name)s: %(message)s``:

  * ResourceWarnings for an unclosed socket and an unclosed event loop,
    each with tracemalloc's "Object allocated at (most recent call
    last):" and ``File "...", lineno N`` lines: no events
  * a task never retrieved, with debug mode's ``created at`` and
    ``source_traceback: Object created at (most recent call last):``
    before its traceback
  * an Exception in callback with ``source_traceback: Handle created
    at``
"""
# expected: holdout
import asyncio
import gc
import logging
import socket
import sys
import tracemalloc
import warnings

from samplekit import IN_CALLBACK, NEVER_RETRIEVED, Expect, Tap, run, settle

tracemalloc.start(5)
warnings.simplefilter("default")
logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("devmode")
tap = Tap(timed=True).attach()
expect = Expect()


def open_probe():
    s = socket.socket()
    del s
    gc.collect()


async def warm_cache(key):
    await asyncio.sleep(0)
    raise MemoryError("cache %s: over budget" % key)


def on_timer(state):
    return state["deadline"]


async def main():
    loop = asyncio.get_event_loop()
    log.info("dev mode run starting")
    open_probe()

    t = loop.create_task(warm_cache("users"))
    await asyncio.sleep(0.01)
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "warm_cache", "MemoryError",
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="warm_cache")

    loop.call_soon(on_timer, {})
    await settle()
    expect.add(IN_CALLBACK, "on_timer", "KeyError",
               obs=tap.take("Exception in callback"), culprit_fn="on_timer")

    other = asyncio.new_event_loop()
    del other
    gc.collect()
    log.info("dev mode run finished")


run(main(), debug=True)
tap.none_left("never retrieved")
tap.none_left("Exception in callback")
expect.write()
