"""Held-out scenario (3.11+): exception groups the traceback module cuts
short, and groups of BaseExceptions, with a gunicorn-like format
(``[time +zone] [pid] [LEVEL] message``):

  * a TaskGroup of 18 failing fetches: the traceback module prints the
    first 15 sub-exceptions, then "and 3 more exceptions" (max_group_width
    15); the events are the 15 printed leaves
  * a BaseExceptionGroup of a KeyboardInterrupt and a ValueError that were
    never raised (leaves without a traceback: no culprit, null coroutine)
  * a group logged at INFO and one at DEBUG level with exc_info (the
    leaves are events whatever the record's level)
"""
# requires: 3.11
# expected: holdout
import asyncio
import logging
import sys

from samplekit import EXC_GROUP, Expect, Tap, fail

logging.basicConfig(
    level=logging.DEBUG, stream=sys.stderr,
    format="[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
    datefmt="%Y-%m-%d %H:%M:%S %z")
log = logging.getLogger("gunicorn.error")
tap = Tap(timed=False).attach()
expect = Expect()


async def fetch_shard(n):
    await asyncio.sleep(0)
    raise ConnectionRefusedError("shard %d refused the connection" % n)


async def fetch_all(n):
    async with asyncio.TaskGroup() as tg:
        for i in range(n):
            tg.create_task(fetch_shard(i))


def check_leaves(label, declared):
    got = tap.take(label).leaves()
    if len(got) < len(declared):
        fail("%s: %d leaves, declared %r" % (label, len(got), declared))
    for o, (fn, exc) in zip(got, declared):
        expect.add(EXC_GROUP, fn, exc, obs=o, culprit_fn=fn)


async def main():
    log.info("Booting worker")
    try:
        await fetch_all(18)
    except ExceptionGroup:
        log.exception("shard sync failed")
    # the log shows the first 15 (traceback's max_group_width)
    check_leaves("shard sync failed",
                 [("fetch_shard", "ConnectionRefusedError")] * 15)

    try:
        raise BaseExceptionGroup("worker stopping",
                                 [KeyboardInterrupt(), ValueError("bad state")])
    except BaseExceptionGroup:
        log.error("shutdown interrupted", exc_info=True)
    check_leaves("shutdown interrupted",
                 [(None, "KeyboardInterrupt"), (None, "ValueError")])

    try:
        await fetch_all(1)
    except ExceptionGroup:
        log.info("retrying after shard failure", exc_info=True)
    check_leaves("retrying after", [("fetch_shard", "ConnectionRefusedError")])
    try:
        await fetch_all(2)
    except ExceptionGroup:
        log.debug("shard failures (debug)", exc_info=True)
    check_leaves("shard failures (debug)",
                 [("fetch_shard", "ConnectionRefusedError")] * 2)
    log.info("Worker exiting")


asyncio.run(main())
expect.write()
