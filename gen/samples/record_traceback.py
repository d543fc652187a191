"""Scenario: tracebacks that belong to a logging record (logger.exception,
exc_info=True / exc_info=exc), in the formats services use, each with a
time on the record's first line.  Every logger has its own handler and
format; all write to stderr:

  * "%(asctime)s %(levelname)s [%(name)s] %(message)s": logger.exception
  * celery's "[%(asctime)s: %(levelname)s/%(processName)s] %(message)s":
    "Task ... raised unexpected: ..." with exc_info=True
  * "%(asctime)s - %(name)s - %(levelname)s - %(message)s": a WARNING
    with exc_info=exc
  * "%(asctime)s | %(levelname)s | %(name)s | %(message)s": a message of
    two lines, then the traceback
  * tornado's LogFormatter style: "[E %(asctime)s module:line] ..." with
    every continuation line (the traceback too) indented by four spaces
Each event is a python.traceback named after its culprit, with the
record's time.
"""
# expected: next
import logging
import sys

from samplekit import TRACEBACK, Expect, Tap

expect = Expect()
tap = Tap(timed=True)


class IndentingFormatter(logging.Formatter):
    """Indents every line after the first by four spaces, traceback
    included (what tornado.log.LogFormatter does)."""

    def format(self, record):
        return super().format(record).replace("\n", "\n    ")


def logger(name, fmt, formatter=logging.Formatter):
    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(formatter(fmt))
    lg = logging.getLogger(name)
    lg.addHandler(h)
    lg.setLevel(logging.INFO)
    lg.propagate = False
    tap.attach(name)
    return lg


billing = logger("billing", "%(asctime)s %(levelname)s [%(name)s] %(message)s")
celery = logger("celery.app.trace",
                "[%(asctime)s: %(levelname)s/%(processName)s] %(message)s")
api = logger("api.client", "%(asctime)s - %(name)s - %(levelname)s - %(message)s")
sync = logger("sync", "%(asctime)s | %(levelname)s | %(name)s | %(message)s")
web = logger("tornado.application",
             "[%(levelname)1.1s %(asctime)s %(module)s:%(lineno)d] %(message)s",
             IndentingFormatter)


class CardDeclined(Exception):
    pass


def _authorize(order, amount):
    raise CardDeclined("order %d: card declined (insufficient funds, %.2f EUR)"
                       % (order, amount))


def charge(order):
    _authorize(order, 129.90)


def fetch_rates(currency):
    rates = {"EUR": 1.0}
    return rates[currency]


def on_kernel_reply(msg):
    return msg["content"]["status"]


billing.info("billing worker ready")
try:
    charge(17)
except CardDeclined:
    billing.exception("charge failed for order %d", 17)
expect.add(TRACEBACK, "_authorize", "CardDeclined", culprit_fn="_authorize",
           obs=tap.take("charge failed for order 17"))

try:
    charge(18)
except CardDeclined as exc:
    celery.error("Task %s[%s] raised unexpected: %r", "billing.charge",
                 "5f0c2a7e-1d4b-4c8e-9a61-0b7d3e2f9c11", exc, exc_info=True)
expect.add(TRACEBACK, "_authorize", "CardDeclined", culprit_fn="_authorize",
           obs=tap.take("raised unexpected"))

try:
    fetch_rates("CHF")
except KeyError as exc:
    api.warning("retrying upstream call", exc_info=exc)
expect.add(TRACEBACK, "fetch_rates", "KeyError", culprit_fn="fetch_rates",
           obs=tap.take("retrying upstream call"))

try:
    fetch_rates("GBP")
except KeyError:
    sync.error("rate sync failed\nretry 3 of 3 exhausted, giving up",
               exc_info=True)
expect.add(TRACEBACK, "fetch_rates", "KeyError", culprit_fn="fetch_rates",
           obs=tap.take("rate sync failed"))

try:
    on_kernel_reply({"content": {}})
except KeyError:
    web.error("Uncaught exception in ZMQStream callback", exc_info=True)
expect.add(TRACEBACK, "on_kernel_reply", "KeyError",
           culprit_fn="on_kernel_reply",
           obs=tap.take("Uncaught exception in ZMQStream callback"))
billing.info("billing worker stopped")
expect.write()
