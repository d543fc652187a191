"""Scenario: structlog (Debian's python3-structlog, for the system CPython
only: run with /usr/bin/python3) writing each record on one line as
key=value pairs, its exception formatted by format_exc_info: the
traceback is a value of the line, its line ends escaped (or, in D, kept
raw inside the value's quotes).  asyncio's own reports reach the same
renderer through structlog's ProcessorFormatter on the stdlib handler.
Four renderings, one after the other:

  A. KeyValueRenderer, structlog's default order (event first): each
     value a Python repr, 'text' or "text" with \\n, \\' and \\xhh
  B. KeyValueRenderer(key_order=["timestamp", "level", "event"])
  C. LogfmtRenderer as structlog 24.1 and later write it: a value with a
     blank, '=' or '"' in double quotes, its backslashes doubled, its '"'
     and line ends escaped.  Debian's structlog (22.3) is older, so
     Logfmt24 below renders by those rules (structlog's CHANGELOG, 24.1.0:
     "LogfmtRenderer now escapes newlines", "... now escapes backslashes
     and double quotes").
  D. Debian's own LogfmtRenderer (structlog 22.3): a quoted value keeps
     its line ends, so a traceback spans lines, each '"' in it written
     \" (File \"/tmp/app/rates_app.py\", ...); asyncio's message and
     its exception are two such values, the record's timestamp between
     them.

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
import logging
import sys

import structlog

import rates_app
from samplekit import Expect, Tap


class Logfmt24:
    """A structlog renderer that writes logfmt by structlog 24.1's rules
    (above): the pairs in the event dict's order, True as a bare flag."""

    def __call__(self, logger, method, event_dict):
        pairs = []
        for key, value in event_dict.items():
            if value is None:
                pairs.append(key + "=")
                continue
            if value is True:
                pairs.append(key)
                continue
            text = "false" if value is False else str(value)
            quoted = " " in text or "=" in text or '"' in text
            if quoted:
                text = text.replace("\\", "\\\\")
            text = text.replace('"', '\\"').replace("\n", "\\n")
            pairs.append('%s="%s"' % (key, text) if quoted
                         else "%s=%s" % (key, text))
        return " ".join(pairs)


times = rates_app.StructlogTimes()
handler = logging.StreamHandler(sys.stderr)
logging.basicConfig(handlers=[handler], level=logging.INFO, force=True)
tap = Tap(timed=False).attach()
expect = Expect()
log = structlog.get_logger()


def use_renderer(renderer):
    rates_app.use_structlog(handler, times,
                            structlog.processors.format_exc_info, renderer)


async def section(name):
    log.info("section", name=name)
    await rates_app.section(log.exception, tap, expect, times)


async def main():
    use_renderer(structlog.processors.KeyValueRenderer())
    await section("A")
    use_renderer(structlog.processors.KeyValueRenderer(
        key_order=["timestamp", "level", "event"]))
    await section("B")
    use_renderer(Logfmt24())
    await section("C")
    use_renderer(structlog.processors.LogfmtRenderer())
    await section("D")
    log.info("done")


asyncio.run(main())
expect.write()
