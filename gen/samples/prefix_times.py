"""Scenario: logging formats that write the record's time where the
plain "%(asctime)s ..." reading does not find it.  Every logger has its
own handler and format; all write to stderr:

  * Django's "verbose" format, the level first:
    "{levelname} {asctime} {module} {process:d} {thread:d} {message}";
    asyncio's own logger writes through it too (a task never retrieved)
  * "[%(levelname)s] %(asctime)s %(name)s: %(message)s"
  * a padded level and the time in brackets:
    "%(levelname)-8s [%(asctime)s] %(name)s: %(message)s"
  * a slashed date, datefmt "%Y/%m/%d %H:%M:%S"
  * a clock in UTC (converter time.gmtime) named by %Z:
    datefmt "%Y-%m-%d %H:%M:%S %Z"
  * gunicorn's error log, "[%(asctime)s] [%(process)d] [%(levelname)s]
    %(message)s" with datefmt "%Y-%m-%d %H:%M:%S %z" (the offset after
    a blank: "[2024-05-01 10:00:01 +0000]")
  * Airflow's "[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s -
    %(message)s", once as its log files write the time (ISO 8601 with
    the offset, "2024-05-01T10:00:01.123+0000") and once as its log view
    shows it (datefmt "%Y-%m-%d, %H:%M:%S %Z" in UTC)
Each logger.exception is a python.traceback named after its culprit,
with the record's time as tracehound reports it: as written, or in UTC
with a "Z" when the prefix names the zone.
"""
# expected: next
import asyncio
import datetime
import logging
import sys
import time

from samplekit import (NEVER_RETRIEVED, TRACEBACK, Expect, Tap, defined_at,
                       iso_time, run, settle, spawn, task_name)

expect = Expect()


def local_seconds(record):
    """The record's time as its asctime writes it without msecs."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))


def utc_seconds(record):
    """The record's time in UTC, as tracehound prints a zoned time."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))


def utc_millis(record):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return stamp + ".%03dZ" % record.msecs


class IsoOffsetFormatter(logging.Formatter):
    """The time as Airflow's log files write it: ISO 8601 with the
    milliseconds and the local offset ("+0000" on a UTC machine)."""

    def formatTime(self, record, datefmt=None):
        ct = time.localtime(record.created)
        return (time.strftime("%Y-%m-%dT%H:%M:%S", ct)
                + ".%03d" % record.msecs + time.strftime("%z", ct))


class UtcFormatter(logging.Formatter):
    converter = time.gmtime


class TimedTap(Tap):
    """A Tap that knows, logger by logger, how tracehound reads the time
    its format writes."""

    def __init__(self):
        Tap.__init__(self, timed=True)
        self.reads = {}

    def emit(self, record):
        Tap.emit(self, record)
        self.seen[-1].time = self.reads[record.name](record)


tap = TimedTap()


def logger(name, fmt, read_time, datefmt=None, style="%",
           formatter=logging.Formatter):
    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(formatter(fmt, datefmt, style))
    lg = logging.getLogger(name)
    lg.addHandler(h)
    lg.setLevel(logging.INFO)
    lg.propagate = False
    tap.reads[name] = read_time
    tap.attach(name)
    return lg


DJANGO = "{levelname} {asctime} {module} {process:d} {thread:d} {message}"
django = logger("django.request", DJANGO, iso_time, style="{")
aio = logger("asyncio", DJANGO, iso_time, style="{")
worker = logger("worker", "[%(levelname)s] %(asctime)s %(name)s: %(message)s",
                iso_time)
padded = logger("billing",
                "%(levelname)-8s [%(asctime)s] %(name)s: %(message)s",
                iso_time)
slashed = logger("ingest", "%(asctime)s %(levelname)s %(name)s %(message)s",
                 local_seconds, datefmt="%Y/%m/%d %H:%M:%S")
utc = logger("mailer", "%(asctime)s %(levelname)s %(name)s: %(message)s",
             utc_seconds, datefmt="%Y-%m-%d %H:%M:%S %Z",
             formatter=UtcFormatter)
gunicorn = logger("gunicorn.error",
                  "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
                  utc_seconds, datefmt="%Y-%m-%d %H:%M:%S %z")
AIRFLOW = "[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s"
airflow_file = logger("airflow.task", AIRFLOW, utc_millis,
                      formatter=IsoOffsetFormatter)
airflow_view = logger("airflow.view", AIRFLOW, utc_seconds,
                      datefmt="%Y-%m-%d, %H:%M:%S %Z", formatter=UtcFormatter)


class Declined(Exception):
    pass


def render_invoice(order):
    return "%(order)d: %(total).2f" % {"order": order}


def settle_payment(order):
    raise Declined("order %d: card declined" % order)


def parse_batch(line):
    return int(line.split(";")[2])


def send_digest(address):
    raise ConnectionRefusedError(111, "Connection refused")


def boot_worker(number):
    raise ImportError("worker %d: no module named 'app.wsgi'" % number)


def load_partition(day):
    partitions = {"2024-05-01": 12}
    return partitions[day]


def logged_failure(lg, message, exception, call, *args):
    """Calls CALL(*ARGS), which raises EXCEPTION, logs the failure with
    LG's logger.exception(MESSAGE) and declares it: a python.traceback
    named after CALL, its culprit."""
    try:
        call(*args)
    except Exception:
        lg.exception(message)
    expect.add(TRACEBACK, call.__name__, exception,
               culprit_fn=call.__name__, obs=tap.take(message))


async def refresh_rates():
    await asyncio.sleep(0)
    raise TimeoutError("rate provider did not answer in 5.0 s")


async def main():
    django.info("request handling ready")
    logged_failure(django, "Internal Server Error: /invoices/17", "KeyError",
                   render_invoice, 17)

    t = spawn(refresh_rates(), name="rates-refresher")
    name = task_name(t)
    await settle()
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "refresh_rates", "TimeoutError", task=name,
               defined_at=defined_at(refresh_rates),
               culprit_fn="refresh_rates",
               obs=tap.take("Task exception was never retrieved"))

    logged_failure(worker, "payment failed", "Declined", settle_payment, 18)
    logged_failure(padded, "invoice not rendered", "KeyError",
                   render_invoice, 19)
    logged_failure(slashed, "batch rejected", "IndexError", parse_batch,
                   "a;b")
    logged_failure(utc, "digest not sent", "ConnectionRefusedError",
                   send_digest, "ops@example.test")
    logged_failure(gunicorn, "Exception in worker process", "ImportError",
                   boot_worker, 3)
    logged_failure(airflow_file, "Task failed with exception", "KeyError",
                   load_partition, "2024-05-02")
    logged_failure(airflow_view, "Task failed with exception", "KeyError",
                   load_partition, "2024-05-03")
    django.info("request handling stopped")


run(main())
expect.write()
