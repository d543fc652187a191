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
from samplekit import (NEVER_RETRIEVED, PY, Expect, defined_at, printed_type,
                       run, settle, spawn, task_name)

logging.basicConfig(
    level=logging.DEBUG,
    format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
    stream=sys.stderr,
)
log = logging.getLogger("orders")
expect = Expect()


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

    for attempt in range(1, 5):
        t = spawn(flaky(attempt))
        exc = TimeoutError if attempt == 4 else ValueError
        expect.add(NEVER_RETRIEVED, "flaky", printed_type(exc),
                   task=task_name(t), defined_at=defined_at(flaky))
        log.debug("scheduled flaky attempt %d", attempt)
        del t
    await settle()
    log.warning("4 flaky attempts scheduled without awaiting them")

    client = Client("https://api.example.test")
    for path in ("/orders/17", "/customers/3"):
        t = spawn(client.fetch(path), name="fetch:" + path)
        expect.add(NEVER_RETRIEVED, "Client.fetch", printed_type(errors.UpstreamError),
                   task=task_name(t), defined_at=defined_at(Client.fetch))
        del t
    log.info("fetch requests dispatched")
    await settle()

    async def inner():
        await asyncio.sleep(0)
        raise RuntimeError("inner helper failed")

    t = spawn(inner())
    expect.add(NEVER_RETRIEVED, "main.<locals>.inner", printed_type(RuntimeError),
               task=task_name(t), defined_at=defined_at(inner))
    del t
    await settle()

    t = spawn(parse_config("retries = five"))
    expect.add(NEVER_RETRIEVED, "parse_config", printed_type(ValueError),
               task=task_name(t), defined_at=defined_at(parse_config))
    del t
    log.info("config reload requested")
    await settle()

    t = spawn(evict_session("s-42"))
    expect.add(NEVER_RETRIEVED, "evict_session", printed_type(KeyError),
               task=task_name(t), defined_at=defined_at(evict_session))
    del t
    t = spawn(check_quota("acme"))
    expect.add(NEVER_RETRIEVED, "check_quota", printed_type(errors.QuotaExceeded),
               task=task_name(t), defined_at=defined_at(check_quota))
    del t
    await settle()
    log.debug("housekeeping done")

    # chained: the final line of the printed chain is the outer exception
    t = spawn(refresh_token("auth.example.test"))
    expect.add(NEVER_RETRIEVED, "refresh_token", printed_type(errors.AuthError),
               task=task_name(t), defined_at=defined_at(refresh_token))
    del t
    t = spawn(store_result("{not json"))
    expect.add(NEVER_RETRIEVED, "store_result", printed_type(KeyError),
               task=task_name(t), defined_at=defined_at(store_result))
    del t
    await settle()
    log.info("order pipeline finished")


run(main())
logging.getLogger("orders").info("exiting")
expect.write()
