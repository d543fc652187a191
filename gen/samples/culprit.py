"""Scenario: failures whose innermost frame is library code, so that the
event must be named after the innermost frame of the application (the
culprit), not after the library function that raised.

  * loop.call_soon(on_payload, raw): Exception in callback failing inside
    json.loads (innermost frame: the stdlib's raw_decode; culprit
    on_payload)
  * a queue worker task (drain_queue) that publishes to an event loop that
    is already closed: RuntimeError from the stdlib's _check_closed,
    never retrieved; culprit Publisher.publish
  * an HTTP client library under site-packages (httpkit, aiohttp-like):
    fetch_user x2 and InventorySync.run fail in its connector (never
    retrieved; culprits fetch_user and _pull), refresh_prices gets a
    broken JSON body from it (logger.exception: a python.traceback named
    after refresh_prices), load_profile raises errors.UpstreamError from
    the library's error (chained; culprit load_profile)
  * a task whose coroutine is the library's own ClientSession.get: no
    application frame at all, the culprit is the innermost frame
  * a gather() of two fetch_user calls never awaited (_GatheringFuture,
    no coro=: the event is named after the culprit, fetch_user)
  * a run_in_executor job failing in the application's _decode (a bare
    Future with a traceback, no coro=)
Logging has a time on every record's first line.
"""
# expected: next
import asyncio
import json
import logging
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "site-packages"))
import httpkit  # noqa: E402

import errors  # noqa: E402
from samplekit import (IN_CALLBACK, NEVER_RETRIEVED, TRACEBACK, Expect,  # noqa: E402
                       Tap, defined_at, run, settle, spawn, task_name)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("shop.sync")
tap = Tap(timed=True).attach()
expect = Expect()
CONNECT = "httpkit.client_exceptions.ClientConnectorError"


def on_payload(raw):
    order = json.loads(raw)
    log.info("order %s", order["id"])


class Publisher:
    def __init__(self, loop):
        self._loop = loop

    def publish(self, item):
        self._loop.call_soon_threadsafe(print, item)


async def drain_queue(queue, publisher):
    while True:
        item = await queue.get()
        publisher.publish(item)


async def fetch_user(session, user_id):
    resp = await session.get("https://api.example.test/users/%d" % user_id)
    return await resp.json()


class InventorySync:
    def __init__(self, session):
        self.session = session

    async def _pull(self, sku):
        resp = await self.session.get("https://inventory.example.test/stock/" + sku)
        return await resp.json()

    async def run(self):
        for sku in ("sku-1", "sku-2"):
            await self._pull(sku)


async def refresh_prices(session):
    try:
        resp = await session.get("https://cdn.example.test/prices.json")
        return await resp.json()
    except ValueError:
        log.exception("price refresh failed")


async def load_profile(session, user_id):
    try:
        return await session.get("https://api.example.test/profiles/%d" % user_id)
    except httpkit.ClientError as exc:
        raise errors.UpstreamError("profile service unavailable for user %d"
                                   % user_id) from exc


def _decode(name):
    raise ValueError("%s: not a PNG file (bad magic number)" % name)


def resize_image(name):
    return _decode(name)


async def main():
    loop = asyncio.get_event_loop()
    log.info("sync starting")

    loop.call_soon(on_payload, '{"id": 17, "total": }')
    await settle()
    expect.add(IN_CALLBACK, "on_payload", "json.decoder.JSONDecodeError",
               obs=tap.take("Exception in callback on_payload"),
               culprit_fn="on_payload")

    closed = asyncio.new_event_loop()
    closed.close()
    queue = asyncio.Queue()
    queue.put_nowait({"order": 17})
    t = spawn(drain_queue(queue, Publisher(closed)))
    name = task_name(t)
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "drain_queue", "RuntimeError", task=name,
               defined_at=defined_at(drain_queue),
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="publish")

    session = httpkit.ClientSession()
    for user_id in (7, 8):
        t = spawn(fetch_user(session, user_id))
        name = task_name(t)
        del t
        await settle()
        expect.add(NEVER_RETRIEVED, "fetch_user", CONNECT, task=name,
                   defined_at=defined_at(fetch_user),
                   obs=tap.take("Task exception was never retrieved"),
                   culprit_fn="fetch_user")
    t = spawn(InventorySync(session).run())
    name = task_name(t)
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "InventorySync.run", CONNECT, task=name,
               defined_at=defined_at(InventorySync.run),
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="_pull")

    await refresh_prices(session)
    expect.add(TRACEBACK, "refresh_prices", "json.decoder.JSONDecodeError",
               obs=tap.take("price refresh failed"),
               culprit_fn="refresh_prices")

    try:
        await load_profile(session, 7)
    except errors.UpstreamError:
        log.exception("profile load failed")
    expect.add(TRACEBACK, "load_profile", "errors.UpstreamError",
               obs=tap.take("profile load failed"), culprit_fn="load_profile")

    t = spawn(session.get("https://inventory.example.test/stock/sku-9"))
    name = task_name(t)
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "ClientSession.get", CONNECT, task=name,
               defined_at=defined_at(httpkit.ClientSession.get),
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="_create_direct_connection")

    g = asyncio.gather(fetch_user(session, 21), fetch_user(session, 22))
    del g
    await settle()
    expect.add(NEVER_RETRIEVED, "fetch_user", CONNECT,
               obs=tap.take("_GatheringFuture exception was never retrieved"),
               culprit_fn="fetch_user")

    f = loop.run_in_executor(None, resize_image, "avatar-7.png")
    await asyncio.sleep(0.2)
    del f
    await settle()
    expect.add(NEVER_RETRIEVED, "_decode", "ValueError",
               obs=tap.take("Future exception was never retrieved"),
               culprit_fn="_decode")

    await session.close()
    log.info("sync finished")


run(main())
expect.write()
