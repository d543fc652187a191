"""Scenario: asyncio debug mode's slow-callback warnings ("Executing
<...> took 0.2xx seconds"), logged at WARNING by the asyncio logger with
a time on each record:

  * a task step of ``crunch`` that blocks for 0.2 s and finishes
  * a task step of ``Indexer.rebuild`` that blocks, then awaits again
    (still pending when reported)
  * a call_soon callback ``flush_cache`` that blocks for 0.15 s
  * a call_later callback ``compact`` (a TimerHandle) that blocks
The rule id and the coroutine (the task's coroutine, or the handle's
callback) are the ones gen/samples/README.md proposes; these events have
no exception and no culprit.
"""
# expected: next
import asyncio
import logging
import sys
import time

from samplekit import SLOW_CALLBACK, Expect, Tap, run

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
log = logging.getLogger("indexer")
tap = Tap(timed=True).attach()
expect = Expect()


async def crunch(n):
    time.sleep(0.2)
    return n * n


class Indexer:
    async def rebuild(self):
        time.sleep(0.2)
        await asyncio.sleep(0.05)


def flush_cache():
    time.sleep(0.15)


def compact():
    time.sleep(0.15)


def slow(coroutine):
    expect.add(SLOW_CALLBACK, coroutine, culprit_fn=None,
               obs=tap.take("Executing <"))


async def main():
    loop = asyncio.get_event_loop()
    log.info("indexer starting (debug mode)")
    await loop.create_task(crunch(7))
    slow("crunch")
    task = loop.create_task(Indexer().rebuild())
    await asyncio.sleep(0.01)
    slow("Indexer.rebuild")
    await task
    loop.call_soon(flush_cache)
    await asyncio.sleep(0.01)
    slow("flush_cache")
    loop.call_later(0.01, compact)
    await asyncio.sleep(0.05)
    slow("compact")
    log.info("indexer stopped")
    tap.none_left("Executing <")


run(main(), debug=True)
expect.write()
