"""The application the third-party logger scenarios run (loguru_handlers,
structlog_dicts, structlog_kv): the same failures each time, reported
each logger's own way, and declared to the scenario's Expect.

A section: sync_rates logs (LOG_EXCEPTION) a ConnectionError it caught
from fetch_rates (a python.traceback named after fetch_rates); with
CHAIN, refresh_prices raises a RuntimeError from one and the scenario
logs it (named after refresh_prices); then a task, push_metrics, whose
exception is never retrieved and which asyncio reports.
"""
import asyncio
import gc

from samplekit import (NEVER_RETRIEVED, TRACEBACK, defined_at, settle, spawn,
                       task_name)

RATES_URL = "https://rates.example.test/v1/latest"
PRICES_URL = "https://prices.example.test"
METRICS_HOST = "metrics.example.test"


class Noted:
    """What a logger's own hook noted of each record: (text, value)
    pairs, taken oldest first by a needle in the text."""

    def __init__(self):
        self.seen = []

    def note(self, text, value):
        self.seen.append((text, value))

    def take(self, needle):
        for i, (text, value) in enumerate(self.seen):
            if needle in text:
                del self.seen[i]
                return value
        raise SystemExit("rates_app: no record holds %r" % needle)


def fetch_rates(url):
    raise ConnectionError("connection to %s refused" % url)


async def sync_rates(url, log_exception, tap):
    try:
        fetch_rates(url)
    except ConnectionError as exc:
        tap.remember(exc, "sync_rates")
        log_exception("rate sync failed")


async def refresh_prices(url):
    try:
        fetch_rates(url)
    except ConnectionError as exc:
        raise RuntimeError("price refresh failed") from exc


async def push_metrics(host):
    await asyncio.sleep(0)
    raise TimeoutError("metrics push to %s timed out" % host)


async def section(log_exception, tap, expect, times, chain=True):
    """One section (above); TIMES: Noted times of the records, as
    tracehound reports them."""
    await sync_rates(RATES_URL, log_exception, tap)
    expect.add(TRACEBACK, "fetch_rates", "ConnectionError",
               culprit_fn="fetch_rates", obs=tap.take("sync_rates"),
               time=times.take("rate sync failed"))
    if chain:
        try:
            await refresh_prices(PRICES_URL)
        except RuntimeError as exc:
            tap.remember(exc, "refresh_prices")
            log_exception("price refresh failed")
        expect.add(TRACEBACK, "refresh_prices", "RuntimeError",
                   culprit_fn="refresh_prices",
                   obs=tap.take("refresh_prices"),
                   time=times.take("price refresh failed"))
    t = spawn(push_metrics(METRICS_HOST))
    name = task_name(t)
    await asyncio.sleep(0.01)
    del t
    gc.collect()
    await settle()
    expect.add(NEVER_RETRIEVED, "push_metrics", "TimeoutError", task=name,
               defined_at=defined_at(push_metrics), culprit_fn="push_metrics",
               obs=tap.take("Task exception was never retrieved"),
               time=times.take("Task exception was never retrieved"))


class StructlogTimes(Noted):
    """A structlog processor (structlog_dicts, structlog_kv) that notes
    each record's timestamp (ISO 8601 in UTC, as tracehound reports it)
    and passes it on."""

    def __call__(self, logger, method, event_dict):
        self.note(str(event_dict.get("event")), event_dict.get("timestamp"))
        return event_dict


def use_structlog(handler, times, exceptions, renderer):
    """Routes structlog's records and the stdlib's (HANDLER's: asyncio's
    reports, through ProcessorFormatter) through the same processors:
    the level, the time (ISO 8601 in UTC), EXCEPTIONS (the processor that
    renders exc_info), TIMES (a StructlogTimes) and RENDERER."""
    import structlog  # structlog's scenarios only
    stamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[structlog.processors.add_log_level, stamper,
                    exceptions, times, renderer],
        logger_factory=structlog.PrintLoggerFactory(handler.stream),
        cache_logger_on_first_use=False)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_log_level, stamper],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            exceptions, times, renderer]))
