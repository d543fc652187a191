"""Held-out scenario: loop.set_exception_handler() handlers as services
write them, logging format ``%(levelname)s:%(name)s:%(message)s``:

  * a handler that logs the whole context dict on one line:
    ``Unhandled asyncio error: {'message': 'Task exception was never
    retrieved', 'exception': ..., 'future': <Task finished ...
    coro=<sync_user() ...> ...>}`` and no traceback (the event is named
    after the coroutine in coro=, its exception from the repr)
  * the same handler for a task destroyed while pending (``'task':
    <Task pending ... coro=<sync_cart() ...>>``), whose coroutine never
    started (``coroutine 'sync_cart' was never awaited``)
  * a handler that logs its own line, then calls the loop's default
    handler (which prints asyncio's usual report and traceback)
  * a handler that logs context["message"] with exc_info: "Task
    exception was never retrieved" and the traceback, without the
    ``future:`` line (no coro=: named after the culprit)
  * the same handler for a failing call_soon() callback: "Exception in
    callback Shop.tick()" and the traceback
"""
# expected: holdout
import asyncio
import gc
import logging
import sys

from samplekit import (DESTROYED_PENDING, IN_CALLBACK, NEVER_AWAITED, NEVER_RETRIEVED, Expect, Tap, message_of,
                       printed_type,
                       run, settle, spawn)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(levelname)s:%(name)s:%(message)s")
log = logging.getLogger("shop")
tap = Tap(timed=False).attach()
expect = Expect()
seen = []


def log_context(loop, context):
    seen.append(context)
    log.error("Unhandled asyncio error: %r", context)


def log_then_default(loop, context):
    log.error("unhandled asyncio error in service shop, details follow")
    loop.default_exception_handler(context)


def log_message(loop, context):
    log.error(context["message"], exc_info=context.get("exception"))


async def sync_user(uid):
    await asyncio.sleep(0)
    raise PermissionError("user %d: token revoked" % uid)


async def sync_cart(cid):
    await asyncio.sleep(0)
    raise LookupError("cart %d expired" % cid)


def load_stock(sku):
    return {"sku-1": 3}[sku]


async def restock(sku):
    await asyncio.sleep(0)
    return load_stock(sku)


class Shop:
    def tick(self):
        return 1 / 0


async def main():
    loop = asyncio.get_event_loop()
    log.info("shop starting")

    loop.set_exception_handler(log_context)
    t = spawn(sync_user(7))
    del t
    await settle()
    tap.take("Unhandled asyncio error")
    ctx = seen.pop()
    expect.add(NEVER_RETRIEVED, "sync_user", printed_type(ctx["exception"]),
               culprit_fn=None, message=message_of(ctx["exception"]))

    # a task of a loop that never ran, dropped: destroyed while pending,
    # reported through the same handler
    other = asyncio.new_event_loop()
    other.set_exception_handler(log_context)
    t = other.create_task(sync_cart(4))
    del t
    gc.collect()
    other.close()
    tap.take("Unhandled asyncio error")
    seen.pop()
    expect.add(DESTROYED_PENDING, "sync_cart", None, culprit_fn=None,
               message=None)
    # its coroutine never started: the warnings module reports it too
    expect.add(NEVER_AWAITED, "sync_cart", None, culprit_fn=None,
               message=None)

    loop.set_exception_handler(log_then_default)
    t = spawn(sync_cart(3))
    del t
    await settle()
    tap.take("unhandled asyncio error in service shop")
    expect.add(NEVER_RETRIEVED, "sync_cart", "LookupError",
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="sync_cart")

    loop.set_exception_handler(log_message)
    t = spawn(restock("sku-2"))
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "load_stock", "KeyError",
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="load_stock")

    loop.call_soon(Shop().tick)
    await settle()
    expect.add(IN_CALLBACK, "tick", "ZeroDivisionError",
               obs=tap.take("Exception in callback"), culprit_fn="tick")
    loop.set_exception_handler(None)
    log.info("shop stopped")


run(main())
tap.none_left("never retrieved")
expect.write()
