"""Scenario (3.11+): exception groups printed right after another report.
Logging has a time on every record's first line; the program ends with an
uncaught exception group (exit status 1).

  * "Task was destroyed but it is pending!" and its task: line (a logging
    record), immediately followed by traceback.print_exc() of a handled
    TaskGroup failure (no record of its own: no time)
  * logger.exception("settlement batch failed") of a handled TaskGroup
    failure, immediately followed by the uncaught exception group that
    ends the program
Each group yields one python.exception-group event per leaf, named after
the leaf's culprit.
"""
# requires: 3.11
# expected: next
import asyncio
import atexit
import gc
import logging
import sys
import traceback

import errors
from samplekit import (DESTROYED_PENDING, EXC_GROUP, Expect, Tap, defined_at,
                       fail, spawn, task_name)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
log = logging.getLogger("settlement")
tap = Tap(timed=True).attach().hook_excepthook()
expect = Expect()


async def charge_card(order):
    await asyncio.sleep(0)
    raise errors.UpstreamError("card processor declined order %d" % order)


async def reserve_stock(order):
    await asyncio.sleep(0)
    stock = {"sku-1": 3}
    stock["sku-%d" % order] -= 1


async def notify(order):
    await asyncio.sleep(0)
    raise ConnectionRefusedError(111, "Connection refused")


async def settle_batch(orders, *steps):
    async with asyncio.TaskGroup() as tg:
        for order in orders:
            for step in steps:
                tg.create_task(step(order))


async def watch(name):
    await asyncio.get_running_loop().create_future()


def expect_leaves(obs, culprits):
    """One python.exception-group event per leaf of the reported group,
    in printing order; CULPRITS declares (culprit function, type) of
    each."""
    leaves = obs.leaves()
    if len(leaves) != len(culprits):
        fail("%d leaves, declared %r" % (len(leaves), culprits))
    for o, (fn, exc) in zip(leaves, culprits):
        expect.add(EXC_GROUP, fn, exc, obs=o, culprit_fn=fn)


async def main():
    log.info("settlement run starting")
    t = spawn(watch("ledger"))
    name = task_name(t)
    del t
    await asyncio.sleep(0)
    gc.collect()
    expect.add(DESTROYED_PENDING, "watch", task=name,
               defined_at=defined_at(watch),
               obs=tap.take("Task was destroyed but it is pending!"))
    try:
        await settle_batch([1, 2], charge_card)
    except ExceptionGroup as eg:
        traceback.print_exc()
        tap.remember(eg, "#print_exc")
    expect_leaves(tap.take("#print_exc"),
                  [("charge_card", "errors.UpstreamError")] * 2)

    try:
        await settle_batch([7], charge_card, reserve_stock)
    except ExceptionGroup:
        log.exception("settlement batch failed")
    expect_leaves(tap.take("settlement batch failed"),
                  [("charge_card", "errors.UpstreamError"),
                   ("reserve_stock", "KeyError")])

    await settle_batch([8], notify, reserve_stock)


def finish():
    expect_leaves(tap.take("excepthook"),
                  [("notify", "ConnectionRefusedError"),
                   ("reserve_stock", "KeyError")])
    expect.write()


atexit.register(finish)
asyncio.run(main())
