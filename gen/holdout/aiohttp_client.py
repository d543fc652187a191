"""Held-out scenario with the real aiohttp (Debian's python3-aiohttp on the
system CPython): client failures deep in aiohttp's own frames, against
local servers that misbehave on purpose.

  * a server that accepts and closes at once: ServerDisconnectedError in
    a task, never retrieved (named after the coroutine; the culprit is
    the application frame that called session.get)
  * a server that never answers, with ClientTimeout(total=0.05): the
    TimeoutError is logged (chained from CancelledError on 3.11)
  * raise_for_status() on a 404 from an aiohttp.web server:
    ClientResponseError, logged
  * an aiohttp.web handler that fails on a bad JSON body: aiohttp logs
    "Error handling request" with the handler's traceback under its own
    frames
"""
# expected: holdout
# interpreter: /usr/bin/python3
# needs-module: aiohttp
import asyncio
import logging
import sys

import aiohttp
from aiohttp import web

from samplekit import NEVER_RETRIEVED, TRACEBACK, Expect, Tap, settle

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("client")
tap = Tap(timed=True).attach()
expect = Expect()


async def hang_up(reader, writer):
    await reader.read(100)
    writer.close()


async def never_answer(reader, writer):
    await asyncio.sleep(3600)


async def create_order(request):
    body = await request.json()
    return web.json_response({"id": body["id"]})


async def sync_catalog(session, url):
    async with session.get(url) as resp:
        return await resp.text()


async def poll_status(session, url):
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=0.05)) as resp:
            return await resp.text()
    except asyncio.TimeoutError:
        log.exception("status poll timed out")


async def fetch_invoice(session, url):
    try:
        async with session.get(url) as resp:
            resp.raise_for_status()
    except aiohttp.ClientResponseError:
        log.exception("invoice download failed")


async def main():
    hup = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    slow = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    app = web.Application()
    app.router.add_post("/orders", create_order)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    web_port = runner.addresses[0][1]
    hup_port = hup.sockets[0].getsockname()[1]
    slow_port = slow.sockets[0].getsockname()[1]

    async with aiohttp.ClientSession() as session:
        t = asyncio.get_event_loop().create_task(
            sync_catalog(session, "http://127.0.0.1:%d/catalog" % hup_port))
        await asyncio.sleep(0.3)
        del t
        await settle()
        expect.add(NEVER_RETRIEVED, "sync_catalog",
                   "aiohttp.client_exceptions.ServerDisconnectedError",
                   obs=tap.take("Task exception was never retrieved"),
                   culprit_fn="sync_catalog")

        await poll_status(session, "http://127.0.0.1:%d/status" % slow_port)
        obs = tap.take("status poll timed out")
        expect.add(TRACEBACK, "poll_status", obs.exception, obs=obs,
                   culprit_fn="poll_status")

        await fetch_invoice(session, "http://127.0.0.1:%d/invoices/7" % web_port)
        expect.add(TRACEBACK, "fetch_invoice",
                   "aiohttp.client_exceptions.ClientResponseError",
                   obs=tap.take("invoice download failed"),
                   culprit_fn="fetch_invoice")

        async with session.post("http://127.0.0.1:%d/orders" % web_port,
                                data=b"{not json") as resp:
            await resp.read()
        expect.add(TRACEBACK, "create_order", "json.decoder.JSONDecodeError",
                   obs=tap.take("Error handling request"),
                   culprit_fn="create_order")

    await runner.cleanup()
    hup.close()
    slow.close()
    await settle()


asyncio.run(main())
tap.none_left("never retrieved")
expect.write()
