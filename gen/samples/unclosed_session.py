"""Scenario: HTTP client sessions and connectors garbage collected while
still open, reported the way aiohttp reports them (through the event
loop's exception handler; logging's default format, no time):

  * a session never used nor closed: "Unclosed client session" and a
    client_session: line
  * a session with a pooled connection, dropped without close(): the
    session's report, then "Unclosed connector" with connections: and
    connector: lines
  * the same twice more from a request handler that creates a session per
    call (the classic leak)
The client library is gen/samples/site-packages/httpkit, which raises
these reports exactly as aiohttp does (aiohttp itself is not installed
for every CPython; aiohttp_real.py runs the real one where it is).  The
rule ids are the ones gen/samples/README.md proposes.
"""
# expected: next
import asyncio
import gc
import logging
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "site-packages"))
import httpkit  # noqa: E402

from samplekit import (UNCLOSED_CONNECTOR, UNCLOSED_SESSION, Expect, Tap,  # noqa: E402
                       run, settle)

logging.basicConfig(level=logging.INFO, stream=sys.stderr)
log = logging.getLogger("pricing")
tap = Tap(timed=False).attach()
expect = Expect()


def expect_report(rule, needle):
    expect.add(rule, None, obs=tap.take(needle), culprit_fn=None)


async def price_of(sku):
    session = httpkit.ClientSession()
    resp = await session.get("https://cdn.example.test/prices.json")
    return resp, sku


async def main():
    log.info("pricing starting")
    session = httpkit.ClientSession()
    del session
    gc.collect()
    expect_report(UNCLOSED_SESSION, "Unclosed client session")

    session = httpkit.ClientSession()
    await session.get("https://cdn.example.test/prices.json")
    del session
    gc.collect()
    expect_report(UNCLOSED_SESSION, "Unclosed client session")
    expect_report(UNCLOSED_CONNECTOR, "Unclosed connector")

    for sku in ("sku-1", "sku-2"):
        await price_of(sku)
        await settle()
        expect_report(UNCLOSED_SESSION, "Unclosed client session")
        expect_report(UNCLOSED_CONNECTOR, "Unclosed connector")
    log.info("pricing stopped")


run(main())
expect.write()
