"""Scenario: a busy service, ~200 failing fire-and-forget tasks in a long log.

  * 120 tasks of ``fetch_user``: ConnectionError, or TimeoutError for every
    third user id (80 + 40);
  * 60 tasks of ``sync_inventory`` timing out in asyncio.wait_for(): the
    printed type is whatever asyncio.TimeoutError is on that version
    (concurrent.futures._base.TimeoutError on 3.6/3.7,
    asyncio.exceptions.TimeoutError on 3.8-3.10, TimeoutError on 3.11+,
    where it is chained to a CancelledError);
  * 20 tasks of ``Client.fetch`` raising errors.UpstreamError;
mixed with a few thousand INFO/DEBUG access-log lines.  Random numbers come
from a seeded generator, so the log content (apart from timestamps) is
stable.  Task names are not listed in the expected file (200 of them would
exceed the report's capped list).
"""
import asyncio
import logging
import random
import sys

import errors
from samplekit import (NEVER_RETRIEVED, Expect, Tap, defined_at,
                       printed_type, run, settle, spawn)

logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                    format="%(asctime)s %(levelname)-5s [%(name)s] %(message)s")
access = logging.getLogger("aiohttp.access")
app = logging.getLogger("shop")
tap = Tap(timed=True).attach()
expect = Expect(include_tasks=False)
rng = random.Random(20240501)


async def fetch_user(user_id):
    await asyncio.sleep(0)
    if user_id % 3 == 0:
        raise TimeoutError("user service timed out for id %d" % user_id)
    raise ConnectionError("user service refused connection for id %d" % user_id)


async def _query_warehouse(sku):
    await asyncio.sleep(10)


async def sync_inventory(sku):
    await asyncio.wait_for(_query_warehouse(sku), timeout=0.001)


class Client:
    def __init__(self, base):
        self.base = base

    async def fetch(self, path):
        await asyncio.sleep(0)
        raise errors.UpstreamError("GET %s%s -> HTTP 503" % (self.base, path))


def access_lines(n):
    for _ in range(n):
        path = rng.choice(["/", "/cart", "/checkout", "/api/products",
                           "/api/users/%d" % rng.randint(1, 999), "/static/app.js"])
        status = rng.choice([200] * 12 + [201, 204, 301, 304, 404])
        access.info('10.1.%d.%d [-] "GET %s HTTP/1.1" %d %d "-" "Mozilla/5.0" %.3fs',
                    rng.randint(0, 9), rng.randint(1, 254), path, status,
                    rng.randint(120, 90000), rng.random() / 4)
        if rng.random() < 0.1:
            app.debug("cache %s for %s", rng.choice(["hit", "miss"]), path)


async def main():
    app.info("shop service starting, 4 workers")
    client = Client("https://payments.example.test")
    kinds = (["user"] * 6 + ["inventory"] * 3 + ["client"]) * 20
    rng.shuffle(kinds)
    n_user = n_inv = n_client = 0
    for kind in kinds:
        access_lines(rng.randint(5, 15))
        if kind == "user":
            n_user += 1
            uid = 1000 + n_user
            spawn(fetch_user(uid))
            exc = TimeoutError if uid % 3 == 0 else ConnectionError
            declared = ("fetch_user", exc, fetch_user, "fetch_user")
        elif kind == "inventory":
            n_inv += 1
            spawn(sync_inventory("SKU-%05d" % (n_inv * 37)))
            # raised in asyncio.wait_for: the culprit is the caller
            declared = ("sync_inventory", asyncio.TimeoutError,
                        sync_inventory, "sync_inventory")
        else:
            n_client += 1
            spawn(client.fetch("/v2/charges/%d" % n_client))
            declared = ("Client.fetch", errors.UpstreamError, Client.fetch,
                        "fetch")
        await settle(2)
        if kind == "inventory":
            await asyncio.sleep(0.005)
            await settle(2)
        coroutine, exc, func, culprit = declared
        expect.add(NEVER_RETRIEVED, coroutine, printed_type(exc),
                   defined_at=defined_at(func),
                   obs=tap.take("coro=<%s()" % coroutine),
                   culprit_fn=culprit)
    access_lines(20)
    await asyncio.sleep(0.05)
    await settle()
    app.info("shop service stopping: %d user, %d inventory, %d client tasks",
             n_user, n_inv, n_client)


run(main())
expect.write()
