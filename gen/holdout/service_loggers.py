"""Held-out scenario: the same kind of failure written by the loggers and
printers services really use, one after another on stderr:

  * an ASGI-like server under site-packages (asgikit) logging
    "Exception in ASGI application\\n" uvicorn's way (format
    "%(levelprefix)s %(message)s": ``ERROR:    ...``); the handler's error
    is chained ("The above exception was the direct cause...")
  * a structlog ConsoleRenderer-like line (``TIME [error    ] event
    key=value``), then the traceback
  * a logfmt line (``time=... level=error msg="..." order=17``), then the
    traceback
  * every line of a record prefixed as journalctl's short output prints
    it (``Dec  4 10:00:00 web-1 shop[4242]: ``)
  * pytest's log format (``ERROR    name:file.py:LINE message``)
  * discord.py 2's format (``[TIME] [ERROR   ] discord.client: Ignoring
    exception in on_message``) and discord.py 1's print() +
    traceback.print_exc()
  * a format with filename, line and function before the level
  * two print_exc() tracebacks with nothing between them
  * lines that are not events: an ERROR record without a traceback, a
    DeprecationWarning, text that mentions a traceback
"""
# expected: holdout
import logging
import os
import sys
import time
import traceback
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "site-packages"))
import asgikit  # noqa: E402

from billing import errors  # noqa: E402
from samplekit import TRACEBACK, Expect, Tap, run  # noqa: E402

expect = Expect()
tap = Tap(timed=False)


class UvicornFormatter(logging.Formatter):
    def format(self, record):
        record.levelprefix = (record.levelname + ":").ljust(9)
        return super().format(record)


class ConsoleRenderer(logging.Formatter):
    """structlog's dev console: time, [level padded], event, key=value."""

    def format(self, record):
        t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line = "%s.%06dZ [%-9s] %-30s %s" % (
            t, int(record.msecs * 1000), record.levelname.lower(),
            record.getMessage(),
            " ".join("%s=%s" % kv for kv in sorted(record.kv.items())))
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class Logfmt(logging.Formatter):
    def format(self, record):
        t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line = 'time=%sZ level=%s msg="%s" %s' % (
            t, record.levelname.lower(), record.getMessage(),
            " ".join("%s=%s" % kv for kv in sorted(record.kv.items())))
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class Journal(logging.Formatter):
    """journalctl's short format: one journal entry per line."""

    def format(self, record):
        text = super().format(record)
        stamp = time.strftime("%b %e %H:%M:%S", time.localtime(record.created))
        return "\n".join("%s web-1 shop[4242]: %s" % (stamp, ln)
                         for ln in text.split("\n"))


def logger(name, fmt, formatter=logging.Formatter, datefmt=None):
    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(formatter(fmt, datefmt))
    lg = logging.getLogger(name)
    lg.addHandler(h)
    lg.setLevel(logging.INFO)
    lg.propagate = False
    tap.attach(name)
    return lg


server_log = logger("asgikit.error", "%(levelprefix)s %(message)s",
                    UvicornFormatter)
access = logger("asgikit.access", "%(levelprefix)s %(message)s",
                UvicornFormatter)
orders = logger("orders", None, ConsoleRenderer)
payments = logger("payments", None, Logfmt)
shop = logger("shop", "%(levelname)s %(name)s: %(message)s", Journal)
ws = logger("ws.protocol",
            "%(levelname)-8s %(name)s:%(filename)s:%(lineno)d %(message)s")
bot = logger("discord.client",
             "[%(asctime)s] [%(levelname)-8s] %(name)s: %(message)s",
             datefmt="%Y-%m-%d %H:%M:%S")
keepalive = logger("keepalive", "%(asctime)s - %(filename)s - line:%(lineno)d"
                   " - %(funcName)s - %(levelname)s - %(message)s")


class OrderStore:
    def __init__(self):
        self.rows = {}

    def get(self, order_id):
        try:
            return self.rows[order_id]
        except KeyError as exc:
            raise LookupError("order %d not found" % order_id) from exc


STORE = OrderStore()


async def show_order(scope):
    order_id = int(scope["path"].rsplit("/", 1)[1])
    return STORE.get(order_id)


def apply_discount(order, code):
    percent = {"SPRING": 10}[code]
    return order["total"] * (100 - percent) / 100


def parse_amount(text):
    return int(text)


def capture(order):
    raise errors.PaymentRejected("card declined for order %d" % order)


def read_frame(buf):
    if not buf:
        raise ConnectionError("connection closed while reading a frame")


async def on_message(msg):
    return msg["content"].split()[1]


async def on_ready():
    return {}["guild"]


def send_ping(sock):
    return sock.send(b"ping")


async def serve():
    app = asgikit.Middleware(asgikit.Middleware(show_order))
    access.info('10.0.0.7:51234 - "GET /orders/7 HTTP/1.1" 200 OK')
    await asgikit.run_asgi(app, {"path": "/orders/41"})
    expect.add(TRACEBACK, "get", "LookupError",
               obs=tap.take("Exception in ASGI application"),
               culprit_fn="get")
    access.info('10.0.0.7:51236 - "GET /orders/41 HTTP/1.1" 500 Internal Server Error')

    try:
        apply_discount({"total": 100}, "WINTER")
    except KeyError:
        orders.error("discount failed", exc_info=True,
                     extra={"kv": {"order": 17, "code": "WINTER"}})
    expect.add(TRACEBACK, "apply_discount", "KeyError",
               obs=tap.take("discount failed"), culprit_fn="apply_discount")

    try:
        capture(18)
    except errors.BillingError:
        payments.error("payment failed", exc_info=True,
                       extra={"kv": {"order": 18}})
    expect.add(TRACEBACK, "capture", "billing.errors.PaymentRejected",
               obs=tap.take("payment failed"), culprit_fn="capture")

    try:
        parse_amount("12,50")
    except ValueError:
        shop.exception("could not parse amount")
    expect.add(TRACEBACK, "parse_amount", "ValueError",
               obs=tap.take("could not parse amount"), culprit_fn="parse_amount")

    try:
        read_frame(b"")
    except ConnectionError:
        ws.exception("Error in data transfer")
    expect.add(TRACEBACK, "read_frame", "ConnectionError",
               obs=tap.take("Error in data transfer"), culprit_fn="read_frame")

    try:
        await on_message({"content": "!roll"})
    except Exception:
        bot.exception("Ignoring exception in on_message")
    expect.add(TRACEBACK, "on_message", "IndexError",
               obs=tap.take("Ignoring exception in on_message"),
               culprit_fn="on_message")

    try:
        await on_ready()
    except Exception as exc:
        print("Ignoring exception in on_ready", file=sys.stderr)
        traceback.print_exc()
        tap.remember(exc, "print_exc on_ready")
    expect.add(TRACEBACK, "on_ready", "KeyError",
               obs=tap.take("print_exc on_ready"), culprit_fn="on_ready")

    try:
        send_ping(None)
    except AttributeError:
        keepalive.warning("Unexpected exception in keepalive ping task",
                          exc_info=True)
    expect.add(TRACEBACK, "send_ping", "AttributeError",
               obs=tap.take("keepalive ping task"), culprit_fn="send_ping")

    for text in ("7 €", "n/a"):
        try:
            parse_amount(text)
        except ValueError as exc:
            traceback.print_exc()
            tap.remember(exc, "print_exc " + text)
        expect.add(TRACEBACK, "parse_amount", "ValueError",
                   obs=tap.take("print_exc " + text), culprit_fn="parse_amount")

    # not events
    shop.error("upstream returned 503, retrying in 2s")
    access.error("no traceback available for request 7f3a (sampling)")
    warnings.simplefilter("default")
    warnings.warn("OrderStore.get(id) is deprecated; use fetch()",
                  DeprecationWarning)
    tap.seen.clear()


run(serve())
expect.write()
