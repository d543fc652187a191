"""Scenario: the real aiohttp (Debian's python3-aiohttp, for the system
CPython only: run with /usr/bin/python3), talking to itself on
127.0.0.1.  Logging: "%(asctime)s - %(name)s - %(levelname)s -
%(message)s" (a time on every record's first line).

  * a request handler (get_order) that fails: aiohttp.server's "Error
    handling request" with the traceback (a python.traceback named after
    get_order), between aiohttp.access lines
  * a task fetch_user whose GET to a closed port fails deep inside
    aiohttp's connector: Task exception was never retrieved,
    aiohttp.client_exceptions.ClientConnectorError chained to the
    ConnectionRefusedError; culprit fetch_user
  * a ClientSession never closed: "Unclosed client session"
  * a ClientSession with a pooled keep-alive connection never closed:
    "Unclosed client session", then "Unclosed connector" with its
    connections: and connector: lines
"""
# interpreter: /usr/bin/python3
# needs-module: aiohttp
# expected: next
import asyncio
import gc
import logging
import sys

import aiohttp
from aiohttp import web

from samplekit import (NEVER_RETRIEVED, TRACEBACK, UNCLOSED_CONNECTOR,
                       UNCLOSED_SESSION, Expect, Tap, defined_at, settle,
                       spawn, task_name)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")
log = logging.getLogger("orders")
tap = Tap(timed=True).attach()
expect = Expect()
CLOSED_PORT = 9  # discard: nothing listens on it here

ORDERS = {"17": {"total": 129.9}}


async def get_order(request):
    order = ORDERS[request.match_info["id"]]
    return web.json_response(order)


async def fetch_user(session, user_id):
    async with session.get("http://127.0.0.1:%d/users/%d"
                           % (CLOSED_PORT, user_id)) as resp:
        return await resp.json()


async def main():
    app = web.Application()
    app.router.add_get("/orders/{id}", get_order)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    base = "http://127.0.0.1:%d" % port
    log.info("order service listening")

    async with aiohttp.ClientSession() as client:
        for oid in ("17", "18"):
            async with client.get(base + "/orders/" + oid) as resp:
                log.info("order %s: HTTP %d", oid, resp.status)
    expect.add(TRACEBACK, "get_order", "KeyError", culprit_fn="get_order",
               obs=tap.take("Error handling request"))

    session = aiohttp.ClientSession()
    t = spawn(fetch_user(session, 7))
    name = task_name(t)
    del t
    await asyncio.sleep(0.2)
    await settle()
    expect.add(NEVER_RETRIEVED, "fetch_user",
               "aiohttp.client_exceptions.ClientConnectorError", task=name,
               defined_at=defined_at(fetch_user), culprit_fn="fetch_user",
               obs=tap.take("Task exception was never retrieved"))
    del session
    gc.collect()
    expect.add(UNCLOSED_SESSION, None, culprit_fn=None,
               obs=tap.take("Unclosed client session"))

    session = aiohttp.ClientSession()
    async with session.get(base + "/orders/17") as resp:
        await resp.read()
    del session, resp
    gc.collect()
    expect.add(UNCLOSED_SESSION, None, culprit_fn=None,
               obs=tap.take("Unclosed client session"))
    expect.add(UNCLOSED_CONNECTOR, None, culprit_fn=None,
               obs=tap.take("Unclosed connector"))

    await runner.cleanup()
    log.info("order service stopped")


asyncio.run(main())
expect.write()
