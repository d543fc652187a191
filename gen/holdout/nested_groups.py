"""Held-out scenario (3.11+): exception groups as TaskGroup and except*
produce them in services, each leaf an event named after its own
culprit:

  * a request handler's TaskGroup failing inside the asgikit server
    (site-packages), logged uvicorn's way ("ERROR:    Exception in ASGI
    application"): one leaf under library frames
  * a TaskGroup inside a TaskGroup task: two leaves at two depths, the
    deeper one chained ("The above exception was the direct cause...")
    inside the box
  * a TimeoutError from asyncio.timeout() (chained from CancelledError)
    as a leaf; the sibling that was still sleeping is cancelled
  * except* handling the KeyErrors of a group and letting the rest
    propagate: the remaining group is logged
  * a sibling whose finally clause fails while the group cancels it: the
    cleanup error is a leaf too
  * uncaught, printed by the interpreter: a group of groups (exit
    status 1)
"""
# requires: 3.11
# expected: holdout
# exit: 1
import asyncio
import atexit
import logging
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "site-packages"))
import asgikit  # noqa: E402

from billing import errors  # noqa: E402
from samplekit import EXC_GROUP, Expect, Tap, fail  # noqa: E402


class UvicornFormatter(logging.Formatter):
    def format(self, record):
        record.levelprefix = (record.levelname + ":").ljust(9)
        return super().format(record)


h = logging.StreamHandler(sys.stderr)
h.setFormatter(UvicornFormatter("%(levelprefix)s %(message)s"))
logging.getLogger().addHandler(h)
logging.getLogger().setLevel(logging.INFO)
log = logging.getLogger("inventory")
tap = Tap(timed=False).attach().hook_excepthook()
expect = Expect()


async def load_stock(sku):
    await asyncio.sleep(0)
    raise errors.Gateway.Unavailable("stock service answered 503 for %s" % sku)


async def load_price(sku):
    await asyncio.sleep(0)
    return {"sku-1": 9.5}[sku]


def decode_row(row):
    return int(row)


async def import_row(row):
    await asyncio.sleep(0)
    try:
        return decode_row(row)
    except ValueError as exc:
        raise errors.BillingError("row %r could not be imported" % row) from exc


async def slow_lookup(sku):
    async with asyncio.timeout(0.01):
        await asyncio.sleep(5)


async def import_sheet(rows):
    async with asyncio.TaskGroup() as tg:
        for row in rows:
            tg.create_task(import_row(row))


async def product_page(scope):
    async with asyncio.TaskGroup() as tg:
        tg.create_task(load_stock(scope["sku"]))
    return "ok"


async def after(delay, fn, *args):
    await asyncio.sleep(delay)
    return await fn(*args)


async def nightly_import():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(import_sheet(["12", "x1"]))
        tg.create_task(load_price("sku-2"))


async def availability():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(slow_lookup("sku-3"))
        tg.create_task(after(1, load_price, "sku-3"))


async def release_lock(name):
    raise OSError("lock %s: release failed (stale file handle)" % name)


async def hold_lock(name):
    try:
        await asyncio.sleep(5)
    finally:
        await release_lock(name)


async def sync_with_cleanup():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(hold_lock("inventory.lock"))
        tg.create_task(load_stock("sku-4"))


async def reprice(skus):
    try:
        async with asyncio.TaskGroup() as tg:
            for sku in skus:
                tg.create_task(load_price(sku))
            tg.create_task(load_stock("sku-9"))
    except* KeyError:
        log.warning("unknown skus skipped")


def leaves(label, declared):
    got = tap.take(label).leaves()
    if len(got) != len(declared):
        fail("%s: %d leaves, declared %r" % (label, len(got), declared))
    got.sort(key=lambda o: (o.culprit["function"] if o.culprit else "",
                            o.exception))
    for o, (fn, exc) in zip(got, sorted(declared, key=lambda d: (d[0] or "", d[1]))):
        expect.add(EXC_GROUP, fn, exc, obs=o, culprit_fn=fn)


async def main():
    log.info("inventory service starting")
    app = asgikit.Middleware(product_page)
    await asgikit.run_asgi(app, {"sku": "sku-1"})
    leaves("Exception in ASGI application",
           [("load_stock", "billing.errors.Gateway.Unavailable")])

    try:
        await nightly_import()
    except ExceptionGroup:
        log.exception("nightly import failed")
    leaves("nightly import failed",
           [("import_row", "billing.errors.BillingError"),
            ("load_price", "KeyError")])

    try:
        await availability()
    except ExceptionGroup:
        log.exception("availability check failed")
    leaves("availability check failed", [("slow_lookup", "TimeoutError")])

    try:
        await reprice(["sku-7", "sku-8"])
    except ExceptionGroup:
        log.exception("reprice failed")
    leaves("reprice failed",
           [("load_stock", "billing.errors.Gateway.Unavailable")])

    try:
        await sync_with_cleanup()
    except ExceptionGroup:
        log.exception("sync failed")
    leaves("sync failed",
           [("release_lock", "OSError"),
            ("load_stock", "billing.errors.Gateway.Unavailable")])
    log.info("inventory service: final import")
    await nightly_import()


def finish():
    leaves("excepthook",
           [("import_row", "billing.errors.BillingError"),
            ("load_price", "KeyError")])
    expect.write()


atexit.register(finish)
asyncio.run(main())
