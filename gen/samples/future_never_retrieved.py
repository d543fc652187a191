"""Scenario: plain futures (no coroutine) whose exception is never retrieved.

Provokes:
  * "Future exception was never retrieved" for a Future given an exception
    object that was never raised (no traceback is printed, only the final
    "Type: message" line), twice;
  * the same for a Future given an exception that *was* raised (traceback);
  * the same for a run_in_executor() future whose job failed in a thread;
  * "_GatheringFuture exception was never retrieved" for asyncio.gather()
    of failing tasks whose result nobody awaits (the children's exceptions
    are marked retrieved by gather itself, so they are not reported).
None of these has a ``coro=``: each is named after the culprit of the
traceback that follows (``decode_frame``, the job ``read_block``, the first
failing child ``parse_item``); the two without a traceback have a null
coroutine.
Logging uses the default basicConfig format (``ERROR:asyncio:...``).
"""
import asyncio
import concurrent.futures
import gc
import logging
import sys

from samplekit import (NEVER_RETRIEVED, Expect, Tap, printed_type, run,
                       settle)

logging.basicConfig(level=logging.INFO, stream=sys.stderr)
log = logging.getLogger("gateway")
tap = Tap(timed=False).attach()  # the default format has no time
expect = Expect()


def read_block(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(4096)


def decode_frame(raw):
    header, _, body = raw.partition(b"\r\n")
    return int(header.decode("ascii"), 16), body


async def parse_item(i):
    await asyncio.sleep(0)
    raise ValueError("item %d: missing field 'sku'" % i)


async def main():
    loop = asyncio.get_event_loop()
    log.info("gateway started")

    # 1. exceptions set directly (never raised: no traceback)
    for peer in ("10.0.0.7:5432", "10.0.0.8:5432"):
        fut = loop.create_future()
        fut.set_exception(ConnectionResetError("peer %s reset the connection" % peer))
        del fut
        gc.collect()
        expect.add(NEVER_RETRIEVED, None, printed_type(ConnectionResetError),
                   obs=tap.take("Future exception was never retrieved"),
                   culprit_fn=None)
    log.info("replication peers dropped")

    # 2. an exception that was raised, then stored in a future
    fut = loop.create_future()
    try:
        decode_frame(b"zz\r\npayload")
    except ValueError as exc:
        fut.set_exception(exc)
    del fut
    gc.collect()
    await settle()
    expect.add(NEVER_RETRIEVED, decode_frame.__name__, printed_type(ValueError),
               obs=tap.take("Future exception was never retrieved"),
               culprit_fn="decode_frame")

    # 3. a thread-pool job that failed; its asyncio future is never awaited
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    fut = loop.run_in_executor(pool, read_block, "/nonexistent/spool/block-0007", 4096)
    del fut
    pool.shutdown(wait=True)
    await settle()
    expect.add(NEVER_RETRIEVED, read_block.__name__,
               printed_type(FileNotFoundError),
               obs=tap.take("Future exception was never retrieved"),
               culprit_fn="read_block")
    log.warning("spool reader job dispatched without waiting for it")

    # 4. gather() of failing tasks, result never retrieved
    # (tasks are created explicitly, in order: 3.6's gather() wraps bare
    # coroutines in set order, which would make the first failure random)
    batch = asyncio.gather(*[loop.create_task(parse_item(i)) for i in range(3)])
    del batch
    await settle()
    expect.add(NEVER_RETRIEVED, parse_item.__name__, printed_type(ValueError),
               obs=tap.take("_GatheringFuture exception was never retrieved"),
               culprit_fn="parse_item")
    log.info("batch of 3 items submitted")

    # 5. nested gather: the outer _GatheringFuture carries the first failure
    inner = asyncio.gather(loop.create_task(parse_item(10)),
                           loop.create_task(parse_item(11)))
    outer = asyncio.gather(inner, loop.create_task(parse_item(12)))
    del inner
    del outer
    await settle()
    expect.add(NEVER_RETRIEVED, parse_item.__name__, printed_type(ValueError),
               obs=tap.take("_GatheringFuture exception was never retrieved"),
               culprit_fn="parse_item")
    log.info("gateway stopping")


run(main())
expect.write()
