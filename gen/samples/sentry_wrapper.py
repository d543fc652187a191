"""Scenario: fire-and-forget tasks wrapped by a Sentry-like task factory.

After ``sentry_stub.init()`` every task's coroutine is wrapped in
``_coro_creating_hub_and_span`` (as sentry_sdk's asyncio integration does),
so the ``coro=`` of the "Task exception was never retrieved" report names
the wrapper, not the application coroutine.  The traceback shows
``_coro_creating_hub_and_span`` -> ``reraise`` -> ``_coro_creating_hub_and_span``
-> the real coroutine; per the README the event is grouped under the first frame
below the wrapper: ``handle_order`` (also when the exception is raised
deeper, in ``validate_order``) and ``refresh_prices``.
A task created before init() is not wrapped (``warm_cache``).
defined_at is not listed for wrapped tasks: ``defined at`` there is the
wrapper's definition.
"""
import asyncio
import logging
import sys

import errors
import sentry_stub
from samplekit import (NEVER_RETRIEVED, Expect, Tap, defined_at,
                       printed_type, run, settle, spawn, task_name)

logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                    format="[%(asctime)s] %(levelname)s in %(name)s: %(message)s")
log = logging.getLogger("orders.api")
tap = Tap(timed=True).attach()
expect = Expect()
NEVER = "Task exception was never retrieved"


async def warm_cache(region):
    await asyncio.sleep(0)
    raise RuntimeError("cache warm-up for %s failed" % region)


def validate_order(order):
    if not order.get("items"):
        raise ValueError("order %s has no items" % order["id"])


async def handle_order(order):
    await asyncio.sleep(0)
    validate_order(order)
    if order["total"] > 10000:
        raise errors.UpstreamError("payment gateway declined order %s" % order["id"])
    log.info("order %s accepted", order["id"])


async def refresh_prices(feed):
    await asyncio.sleep(0)
    raise ConnectionError("price feed %s unreachable" % feed)


async def main():
    t = spawn(warm_cache("eu-west-1"))
    name = task_name(t)
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "warm_cache", printed_type(RuntimeError),
               task=name, defined_at=defined_at(warm_cache),
               obs=tap.take(NEVER), culprit_fn="warm_cache")

    sentry_stub.init("https://public@sentry.example.test/42")
    orders = [
        {"id": "A-1001", "items": [], "total": 0},
        {"id": "A-1002", "items": ["sku-1"], "total": 25000},
        {"id": "A-1003", "items": ["sku-2"], "total": 80},
        {"id": "A-1004", "items": [], "total": 0},
        {"id": "A-1005", "items": ["sku-3"], "total": 99999},
    ]
    for order in orders:
        log.info("received order %s", order["id"])
        t = spawn(handle_order(order))
        name = task_name(t)
        if not order["items"]:
            exc, culprit = ValueError, "validate_order"
        elif order["total"] > 10000:
            exc, culprit = errors.UpstreamError, "handle_order"
        else:
            exc = None
        del t
        await settle()
        if exc is not None:
            # the event is named after the wrapped coroutine, its culprit
            # is the innermost application frame
            expect.add(NEVER_RETRIEVED, "handle_order", printed_type(exc),
                       task=name, obs=tap.take(NEVER), culprit_fn=culprit)

    t = spawn(refresh_prices("prices-eu"))
    name = task_name(t)
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "refresh_prices", printed_type(ConnectionError),
               task=name, obs=tap.take(NEVER), culprit_fn="refresh_prices")
    log.info("api shutting down")


run(main())
expect.write()
