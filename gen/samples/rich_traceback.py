"""Scenario: tracebacks drawn by rich (Debian's python3-rich, for the
system CPython only: run with /usr/bin/python3) in a panel, as
`rich.traceback.install()`'s excepthook and `Console.print_exception()`
write them to a file or a pipe (80 columns, no colors):

    ╭───────────────────── Traceback (most recent call last) ─────────────╮
    │ /tmp/app/rich_traceback.py:61 in settle_invoice                      │
    │                                                                      │
    │   60 │   │   await asyncio.sleep(0)                                  │
    │ ❱ 61 │   │   raise ConnectionResetError("ledger closed the stream")  │
    ╰──────────────────────────────────────────────────────────────────────╯
    ConnectionResetError: ledger closed the stream

A frame is its heading ("PATH:LINE in FUNCTION") and a few lines of its
code, the failing one marked with "❱"; the exception's type is printed
without its module ("UpstreamError", where Python prints
"errors.UpstreamError").  Logging: "%(asctime)s %(levelname)s
[%(name)s] %(message)s".

  * a task's failure printed by print_exception() in the coroutine that
    awaited it: a chain of two panels ("The above exception was the
    direct cause ..."), the culprit in the first frame of the last
  * print_exception(show_locals=True): each frame's locals in a panel of
    their own beside its code
  * a frame in a module under a long path: rich wraps its heading over
    two lines of the panel
  * a SyntaxError in a module imported: a second panel, with no title,
    after the traceback's, names the place and the line of code
  * a task whose exception is never retrieved, logged by asyncio through
    logging as Python prints it (rich only draws what it is asked to)
  * structlog's ConsoleRenderer (Debian's python3-structlog), which has
    rich draw a record's exception, in colors: a panel whose title an
    escape splits, after the record's line and with its time
  * the uncaught exception that ends the program, drawn by rich's
    excepthook, out of asyncio.run()
"""
# interpreter: /usr/bin/python3
# needs-module: rich, structlog
# expected: next
import asyncio
import logging
import os
import sys

import structlog
from rich.console import Console
from rich.traceback import install

from samplekit import (NEVER_RETRIEVED, TRACEBACK, Expect, Tap, defined_at,
                       lose_task)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
log = logging.getLogger("billing")
console = Console(file=sys.stderr, width=80)
install(console=console, width=80)
# after install(): the tap's hook hands each exception on to rich's
tap = Tap(timed=True).attach().hook_excepthook()
expect = Expect()

# a module deep enough that its frame heading is wider than the panel
DEEP = os.path.join(os.getcwd(), "vendor", "acme_payments_gateway_client",
                    "transports", "settlement_channels")
os.makedirs(DEEP, exist_ok=True)
with open(os.path.join(DEEP, "ledger_reconciliation.py"), "w") as f:
    f.write("def reconcile_settlement_batch(batch):\n"
            "    raise ValueError('batch %s does not balance' % batch)\n")
with open(os.path.join(DEEP, "fee_rules.py"), "w") as f:
    f.write("FEES = {'eu': 0.3,\n        'us' 0.25}\n")
sys.path.insert(0, DEEP)
import ledger_reconciliation  # noqa: E402


class UpstreamError(Exception):
    pass


def rich_seen(obs):
    """The observation as rich prints it: the type without its module."""
    obs.exception = type(obs.exc).__name__
    return obs


def printed(exc):
    """An Observation of EXC, handled (not seen by a hook)."""
    from samplekit import Observation
    return rich_seen(Observation(exc))


async def settle_invoice(invoice):
    await asyncio.sleep(0)
    raise ConnectionResetError("ledger closed the stream for %s" % invoice)


async def post_invoice(invoice):
    try:
        await settle_invoice(invoice)
    except ConnectionResetError as exc:
        raise UpstreamError("invoice %s not posted" % invoice) from exc


async def refund(order, amount):
    limit = 100
    if amount > limit:
        raise PermissionError("refund of %d over the limit for %s"
                              % (amount, order))


def load_tariff(region):
    raise LookupError("no tariff for region %s" % region)


stamps = []


def keep_stamp(logger, name, event_dict):
    """The record's time as its line shows it (ISO 8601, no zone)."""
    stamps.append(event_dict["timestamp"].replace(" ", "T"))
    return event_dict


structlog.configure(
    processors=[structlog.processors.add_log_level,
                structlog.processors.StackInfoRenderer(),
                structlog.dev.set_exc_info,
                structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S",
                                                 utc=False),
                keep_stamp,
                structlog.dev.ConsoleRenderer(colors=True)],
    logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))
slog = structlog.get_logger()


async def fetch_rates():
    await asyncio.sleep(0)
    raise TimeoutError("rates service did not answer")


async def main():
    log.info("billing run starting")
    try:
        await post_invoice("INV-2291")
    except UpstreamError as exc:
        console.print_exception()
        expect.add(TRACEBACK, "post_invoice", "UpstreamError",
                   obs=printed(exc), culprit_fn="post_invoice")

    try:
        await refund("ORD-77", 250)
    except PermissionError as exc:
        console.print_exception(show_locals=True)
        expect.add(TRACEBACK, "refund", "PermissionError",
                   obs=printed(exc), culprit_fn="refund")

    try:
        ledger_reconciliation.reconcile_settlement_batch("B-1187")
    except ValueError as exc:
        console.print_exception()
        expect.add(TRACEBACK, "reconcile_settlement_batch", "ValueError",
                   obs=printed(exc), culprit_fn="reconcile_settlement_batch")

    try:
        import fee_rules  # noqa: F401
    except SyntaxError as exc:
        console.print_exception()
        expect.add(TRACEBACK, "main", "SyntaxError", obs=printed(exc),
                   culprit_fn="main", message=exc.msg)

    try:
        load_tariff("eu-west")
    except LookupError as exc:
        slog.exception("tariff lookup failed")
        expect.add(TRACEBACK, "load_tariff", "LookupError",
                   obs=printed(exc), culprit_fn="load_tariff",
                   time=stamps[-1])

    name = await lose_task(fetch_rates())
    expect.add(NEVER_RETRIEVED, "fetch_rates", "TimeoutError", task=name,
               defined_at=defined_at(fetch_rates), culprit_fn="fetch_rates",
               obs=tap.take("Task exception was never retrieved"))
    log.info("closing the period")
    await post_invoice("INV-2292")


def finish():
    """After rich's excepthook has drawn this process's crash."""
    expect.add(TRACEBACK, "post_invoice", "UpstreamError",
               obs=rich_seen(tap.take("excepthook")),
               culprit_fn="post_invoice")
    expect.write()


import atexit  # noqa: E402
atexit.register(finish)
asyncio.run(main())
