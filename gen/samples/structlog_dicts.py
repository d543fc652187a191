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
import json
import logging
import sys

import structlog

import rates_app
from samplekit import Expect, Tap


times = rates_app.StructlogTimes()
handler = logging.StreamHandler(sys.stderr)
logging.basicConfig(handlers=[handler], level=logging.INFO, force=True)
tap = Tap(timed=False).attach()
expect = Expect()
log = structlog.get_logger()


def use_renderer(**dumps_kw):
    rates_app.use_structlog(
        handler, times, structlog.processors.dict_tracebacks,
        structlog.processors.JSONRenderer(json.dumps, **dumps_kw))


async def section(name):
    log.info("section", name=name)
    await rates_app.section(log.exception, tap, expect, times)


async def main():
    use_renderer()
    await section("A")
    use_renderer(separators=(",", ":"))
    await section("B")
    log.info("done")


asyncio.run(main())
expect.write()
