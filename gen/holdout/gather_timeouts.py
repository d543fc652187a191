"""Held-out scenario: gather, wait_for and tasks started from callbacks,
with a logging format that has an ISO time and a padded level.

  * gather() (return_exceptions=False) of three quotes, two failing: the
    caller logs the first failure; the second is retrieved by gather and
    lost (one event only)
  * wait_for() timing out, logged: TimeoutError (3.11+ chained from
    CancelledError; 3.6/3.7 concurrent.futures' TimeoutError, 3.8-3.10
    asyncio.exceptions')
  * a task whose wait_for() times out, never retrieved
  * a task created by a call_soon() callback, failing with a bare
    ConnectionResetError() (no message), never retrieved
  * ``raise ... from None`` in a task (billing.errors.ConfigError), never
    retrieved
  * a never-retrieved task of a nested class's method (Pool.Conn.ping)
    whose message has two lines
  * a task cancelled while its finally clause fails (RuntimeError raised
    during handling of the CancelledError), never retrieved
  * a billing.errors.Gateway.Timeout (a class nested in a class) logged
    with logger.exception from a coroutine's except clause
"""
# expected: holdout
import asyncio
import logging
import sys

from billing import errors
from samplekit import (NEVER_RETRIEVED, TRACEBACK, Expect, Tap, run, settle,
                       spawn)

logging.basicConfig(
    level=logging.INFO, stream=sys.stderr,
    format="%(asctime)s.%(msecs)03d %(levelname)-8s %(name)-12s %(message)s",
    datefmt="%Y-%m-%dT%H:%M:%S")
log = logging.getLogger("quotes")
tap = Tap(timed=True).attach()
expect = Expect()


async def fetch_quote(symbol, fail_with=None):
    await asyncio.sleep(0)
    if fail_with is not None:
        raise fail_with
    return 1.0


async def slow_backend():
    await asyncio.sleep(5)


async def poll_backend():
    try:
        await asyncio.wait_for(slow_backend(), 0.01)
    except asyncio.TimeoutError:
        log.exception("backend poll timed out")


async def poll_backend_unguarded():
    await asyncio.wait_for(slow_backend(), 0.01)


async def refresh_token():
    await asyncio.sleep(0)
    raise ConnectionResetError()


def schedule_refresh():
    asyncio.get_event_loop().create_task(refresh_token())


async def load_settings(env):
    await asyncio.sleep(0)
    try:
        return env["BILLING_DSN"]
    except KeyError:
        raise errors.ConfigError("BILLING_DSN is not set") from None


class Pool:
    class Conn:
        async def ping(self):
            await asyncio.sleep(0)
            raise ValueError("ping failed:\n  server closed the connection")


async def flush_buffer():
    raise RuntimeError("buffer flush failed during shutdown")


async def stream_updates():
    try:
        await asyncio.sleep(5)
    finally:
        await flush_buffer()


async def charge_card(order):
    await asyncio.sleep(0)
    raise errors.Gateway.Timeout("gateway did not answer within 30s (order %d)"
                                 % order)


async def checkout(order):
    try:
        await charge_card(order)
    except errors.BillingError:
        log.exception("checkout of order %d failed", order)


def unretrieved(coro_name, exception, culprit):
    expect.add(NEVER_RETRIEVED, coro_name, exception,
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn=culprit)


async def main():
    log.info("quote service starting")
    try:
        await asyncio.gather(fetch_quote("ACME", ValueError("no quote for ACME")),
                             fetch_quote("INIT", KeyError("INIT")),
                             fetch_quote("OK"))
    except Exception:
        log.exception("quote refresh failed")
    await settle()
    expect.add(TRACEBACK, "fetch_quote", "ValueError",
               obs=tap.take("quote refresh failed"), culprit_fn="fetch_quote")

    await poll_backend()
    obs = tap.take("backend poll timed out")
    expect.add(TRACEBACK, "poll_backend", obs.exception, obs=obs,
               culprit_fn="poll_backend")

    t = spawn(poll_backend_unguarded())
    await asyncio.sleep(0.1)
    del t
    await settle()
    obs = tap.take("Task exception was never retrieved")
    expect.add(NEVER_RETRIEVED, "poll_backend_unguarded", obs.exception,
               obs=obs, culprit_fn="poll_backend_unguarded")

    asyncio.get_event_loop().call_soon(schedule_refresh)
    await settle()
    unretrieved("refresh_token", "ConnectionResetError", "refresh_token")

    t = spawn(load_settings({}))
    del t
    await settle()
    unretrieved("load_settings", "billing.errors.ConfigError", "load_settings")

    t = spawn(Pool.Conn().ping())
    del t
    await settle()
    unretrieved("Pool.Conn.ping", "ValueError", "ping")

    t = spawn(stream_updates())
    await asyncio.sleep(0)
    t.cancel()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    del t
    await settle()
    unretrieved("stream_updates", "RuntimeError", "flush_buffer")

    await checkout(17)
    expect.add(TRACEBACK, "charge_card", "billing.errors.Gateway.Timeout",
               obs=tap.take("checkout of order 17 failed"),
               culprit_fn="charge_card")
    log.info("quote service stopped")


run(main())
tap.none_left("never retrieved")
expect.write()
