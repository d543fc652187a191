"""Scenario: fire-and-forget tasks whose exception is never retrieved.

Provokes "Task exception was never retrieved" for:
  * 4 tasks of the same coroutine ``flaky`` (3 x ValueError, 1 x TimeoutError)
  * a method coroutine ``Client.fetch`` raising ``errors.UpstreamError``
  * a nested coroutine ``main.<locals>.inner``
  * an exception with a multi-line message (``parse_config``)
  * exceptions whose final line is a bare type name (``raise KeyError()``,
    ``raise errors.QuotaExceeded``)
  * an explicitly chained exception (``raise ... from ...``) and an
    implicitly chained one (raised while handling another)
Logging uses a timestamped format, so only the first line of each asyncio
record carries the prefix.
"""
import asyncio
import json
import logging
import sys

import errors
from samplekit import (NEVER_RETRIEVED, PY, Expect, Tap, defined_at,
                       printed_type, run, settle, spawn, task_name)

logging.basicConfig(
    level=logging.DEBUG,
    format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
    stream=sys.stderr,
)
log = logging.getLogger("orders")
tap = Tap(timed=True).attach()
expect = Expect()


def reported(coroutine, exc, name, func, culprit_fn):
    """Declare the never-retrieved report of a task of FUNC (named NAME),
    with the exception and the culprit the program raised."""
    expect.add(NEVER_RETRIEVED, coroutine, printed_type(exc), task=name,
               defined_at=defined_at(func),
               obs=tap.take("coro=<%s()" % coroutine), culprit_fn=culprit_fn)


async def flaky(attempt):
    await asyncio.sleep(0)
    if attempt == 4:
        raise TimeoutError("upstream did not answer within 5.0s")
    raise ValueError("bad payload in attempt %d" % attempt)


class Client:
    def __init__(self, base):
        self.base = base

    async def fetch(self, path):
        await asyncio.sleep(0)
        status = 503 if path.startswith("/orders") else 502
        raise errors.UpstreamError("GET %s%s -> HTTP %d" % (self.base, path, status))


async def parse_config(text):
    await asyncio.sleep(0)
    problems = ["line 3: unknown key 'retries'", "line 7: expected int, got 'five'"]
    raise ValueError("invalid config (%d problems):\n  %s" % (len(problems), "\n  ".join(problems)))


async def evict_session(session_id):
    await asyncio.sleep(0)
    raise KeyError()


async def check_quota(account):
    await asyncio.sleep(0)
    raise errors.QuotaExceeded


def _open_socket(host):
    raise ConnectionResetError(104, "Connection reset by peer")


async def refresh_token(host):
    await asyncio.sleep(0)
    try:
        _open_socket(host)
    except ConnectionResetError as exc:
        raise errors.AuthError("token refresh against %s failed" % host) from exc


async def store_result(raw):
    stats = {"ok": 0}
    await asyncio.sleep(0)
    try:
        return json.loads(raw)
    except ValueError:
        stats["retries"] += 1


async def main():
    log.info("order pipeline starting (python %d.%d)", *PY)

    names = []
    for attempt in range(1, 5):
        t = spawn(flaky(attempt))
        names.append(task_name(t))
        log.debug("scheduled flaky attempt %d", attempt)
        del t
    await settle()
    # reported in the order they failed: the order they were started
    for attempt, name in enumerate(names, 1):
        exc = TimeoutError if attempt == 4 else ValueError
        reported("flaky", exc, name, flaky, "flaky")
    log.warning("4 flaky attempts scheduled without awaiting them")

    client = Client("https://api.example.test")
    names = []
    for path in ("/orders/17", "/customers/3"):
        t = spawn(client.fetch(path), name="fetch:" + path)
        names.append(task_name(t))
        del t
    log.info("fetch requests dispatched")
    await settle()
    for name in names:
        reported("Client.fetch", errors.UpstreamError, name, Client.fetch,
                 "fetch")

    async def inner():
        await asyncio.sleep(0)
        raise RuntimeError("inner helper failed")

    t = spawn(inner())
    name = task_name(t)
    del t
    await settle()
    reported("main.<locals>.inner", RuntimeError, name, inner, "inner")

    t = spawn(parse_config("retries = five"))
    name = task_name(t)
    del t
    log.info("config reload requested")
    await settle()
    reported("parse_config", ValueError, name, parse_config, "parse_config")

    t = spawn(evict_session("s-42"))
    evict_name = task_name(t)
    del t
    t = spawn(check_quota("acme"))
    quota_name = task_name(t)
    del t
    await settle()
    reported("evict_session", KeyError, evict_name, evict_session,
             "evict_session")
    reported("check_quota", errors.QuotaExceeded, quota_name, check_quota,
             "check_quota")
    log.debug("housekeeping done")

    # chained: the final line of the printed chain is the outer exception
    t = spawn(refresh_token("auth.example.test"))
    token_name = task_name(t)
    del t
    t = spawn(store_result("{not json"))
    store_name = task_name(t)
    del t
    await settle()
    reported("refresh_token", errors.AuthError, token_name, refresh_token,
             "refresh_token")
    reported("store_result", KeyError, store_name, store_result,
             "store_result")
    log.info("order pipeline finished")


run(main())
logging.getLogger("orders").info("exiting")
expect.write()
