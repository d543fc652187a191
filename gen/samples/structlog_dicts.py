"""Scenario: structlog (Debian's python3-structlog, for the system CPython
only: run with /usr/bin/python3) writing JSON with its dict_tracebacks
processor, the production setup of structlog's documentation: an
exception is a list of dicts ({"exc_type", "exc_value", "is_cause",
"frames": [{"filename", "lineno", "name", ...}]}), not text, so the log
holds no "Traceback (most recent call last):" at all.  asyncio's own
reports reach the same JSON through structlog's ProcessorFormatter on the
stdlib handler.  Two renderings, one after the other:

  A. json.dumps' default separators ({"event": "...", "exception": [...]})
  B. compact separators ({"event":"...","exception":[...]})

In each: log.exception in a coroutine (sync_rates) that caught a
ConnectionError from fetch_rates (a python.traceback named after
fetch_rates), a chain (`raise ... from`, named after refresh_prices), and
a task whose exception is never retrieved (push_metrics), reported by
asyncio.
"""
# interpreter: /usr/bin/python3
# needs-module: structlog
# expected: next
import asyncio
import gc
import json
import logging
import sys

import structlog

from samplekit import (NEVER_RETRIEVED, TRACEBACK, Expect, Tap, defined_at,
                       settle, spawn, task_name)


class Times:
    """A structlog processor that notes each record's timestamp (ISO
    8601 in UTC, as tracehound reports it) and passes it on."""

    def __init__(self):
        self.seen = []

    def __call__(self, logger, method, event_dict):
        self.seen.append((str(event_dict.get("event")),
                          event_dict.get("timestamp")))
        return event_dict

    def take(self, needle):
        for i, (text, time) in enumerate(self.seen):
            if needle in text:
                del self.seen[i]
                return time
        raise SystemExit("structlog_dicts: no record holds %r" % needle)


times = Times()
timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
handler = logging.StreamHandler(sys.stderr)
logging.basicConfig(handlers=[handler], level=logging.INFO, force=True)
tap = Tap(timed=False).attach()
expect = Expect()
log = structlog.get_logger()


def use_renderer(**dumps_kw):
    renderer = structlog.processors.JSONRenderer(json.dumps, **dumps_kw)
    structlog.configure(
        processors=[structlog.processors.add_log_level, timestamper,
                    structlog.processors.dict_tracebacks, times, renderer],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_log_level, timestamper],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.dict_tracebacks, times, renderer]))


def fetch_rates(url):
    raise ConnectionError("connection to %s refused" % url)


async def sync_rates(url):
    try:
        fetch_rates(url)
    except ConnectionError as exc:
        tap.remember(exc, "sync_rates")
        log.exception("rate sync failed")


async def refresh_prices(url):
    try:
        fetch_rates(url)
    except ConnectionError as exc:
        raise RuntimeError("price refresh failed") from exc


async def push_metrics(host):
    await asyncio.sleep(0)
    raise TimeoutError("metrics push to %s timed out" % host)


async def section(name):
    log.info("section", name=name)
    await sync_rates("https://rates.example.test/v1/latest")
    expect.add(TRACEBACK, "fetch_rates", "ConnectionError",
               culprit_fn="fetch_rates", obs=tap.take("sync_rates"),
               time=times.take("rate sync failed"))
    try:
        await refresh_prices("https://prices.example.test")
    except RuntimeError as exc:
        tap.remember(exc, "refresh_prices")
        log.exception("price refresh failed")
    expect.add(TRACEBACK, "refresh_prices", "RuntimeError",
               culprit_fn="refresh_prices", obs=tap.take("refresh_prices"),
               time=times.take("price refresh failed"))
    t = spawn(push_metrics("metrics.example.test"))
    name_ = task_name(t)
    await asyncio.sleep(0.01)
    del t
    gc.collect()
    await settle()
    expect.add(NEVER_RETRIEVED, "push_metrics", "TimeoutError", task=name_,
               defined_at=defined_at(push_metrics), culprit_fn="push_metrics",
               obs=tap.take("Task exception was never retrieved"),
               time=times.take("Task exception was never retrieved"))


async def main():
    use_renderer()
    await section("A")
    use_renderer(separators=(",", ":"))
    await section("B")
    log.info("done")


asyncio.run(main())
expect.write()
