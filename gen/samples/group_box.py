"""Scenario (3.11+): exception-group boxes with multi-line messages,
logged with logger.exception (a time on the record's first line), and an
uncaught one at the end (exit status 1).  The traceback module (used by
logging) frames every line of a message with the box's "|" margin; the
interpreter's own printing of an uncaught exception in 3.11 and 3.12
prints the second and later lines of a leaf's message, and of the
group's own message, without it (3.13 frames them).

  * a leaf whose message is a multi-line HTML error body, followed by
    another leaf
  * a leaf whose message holds a blank line
  * a nested group (a TaskGroup inside a TaskGroup task): leaves depth
    first
  * a group of exceptions that were never raised (leaves without a
    traceback: no culprit, so the event has no coroutine)
  * two groups chained by "During handling of the above exception,
    another exception occurred:": the events are the leaves of the last
    group (a chain is named after its last traceback)
  * uncaught, printed by the interpreter: a group with a multi-line
    message of its own whose leaves are the HTML body, the message with
    a blank line, and a KeyError after them
"""
# requires: 3.11
# expected: next
import asyncio
import atexit
import logging
import sys

import errors
from samplekit import EXC_GROUP, Expect, Tap, fail

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("crawler")
tap = Tap(timed=True).attach()
expect = Expect()

BAD_GATEWAY = """upstream returned 502:
<html>
<head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center></body>
</html>"""

BAD_HEADER = """400, message:
  Invalid header value char:

    b'X-Trace: \\x01'
               ^"""


async def fetch_page(url):
    await asyncio.sleep(0)
    raise errors.UpstreamError(BAD_GATEWAY)


async def parse_prices(url):
    await asyncio.sleep(0)
    prices = {}
    return prices["sku-1"]


async def read_headers(url):
    await asyncio.sleep(0)
    raise errors.UpstreamError(BAD_HEADER)


async def crawl(*steps):
    async with asyncio.TaskGroup() as tg:
        for step in steps:
            tg.create_task(step("https://shop.example.test/"))


async def crawl_site(url):
    await crawl(fetch_page, read_headers)


def validate_order(order):
    problems = []
    if "sku" not in order:
        problems.append(ValueError("sku missing"))
    if "price" not in order:
        problems.append(KeyError("price"))
    if problems:
        raise ExceptionGroup("order %d is invalid" % order["id"], problems)


async def crawl_twice():
    try:
        await crawl(parse_prices)
    except ExceptionGroup:
        await crawl(fetch_page)


def logged(label, leaves):
    """Declare one event per leaf of the group logged under LABEL:
    LEAVES is [(culprit function or None, printed type)]."""
    obs = tap.take(label)
    got = obs.leaves()
    if len(got) != len(leaves):
        fail("%s: %d leaves, declared %r" % (label, len(got), leaves))
    for o, (fn, exc) in zip(got, leaves):
        expect.add(EXC_GROUP, fn, exc, obs=o, culprit_fn=fn)


async def main():
    log.info("crawl starting")
    try:
        await crawl(fetch_page, parse_prices)
    except ExceptionGroup:
        log.exception("crawl of shop.example.test failed")
    logged("crawl of shop.example.test failed",
           [("fetch_page", "errors.UpstreamError"), ("parse_prices", "KeyError")])

    try:
        await crawl(read_headers)
    except ExceptionGroup:
        log.exception("header check failed")
    logged("header check failed", [("read_headers", "errors.UpstreamError")])

    try:
        await crawl(crawl_site, parse_prices)
    except ExceptionGroup:
        log.exception("site crawl failed")
    logged("site crawl failed",
           [("parse_prices", "KeyError"),
            ("fetch_page", "errors.UpstreamError"),
            ("read_headers", "errors.UpstreamError")])

    try:
        validate_order({"id": 17})
    except ExceptionGroup:
        log.exception("order rejected")
    logged("order rejected", [(None, "ValueError"), (None, "KeyError")])

    try:
        await crawl_twice()
    except ExceptionGroup:
        log.exception("crawl retry failed")
    logged("crawl retry failed", [("fetch_page", "errors.UpstreamError")])
    log.info("crawl finished, final pass")
    try:
        await crawl(fetch_page, read_headers, parse_prices)
    except ExceptionGroup as eg:
        raise ExceptionGroup("final pass failed:\n3 of 3 steps",
                             eg.exceptions) from None


def finish():
    logged("excepthook", [("fetch_page", "errors.UpstreamError"),
                          ("read_headers", "errors.UpstreamError"),
                          ("parse_prices", "KeyError")])
    expect.write()


tap.hook_excepthook()
atexit.register(finish)
asyncio.run(main())
