"""Scenario: loguru (Debian's python3-loguru, for the system CPython only:
run with /usr/bin/python3), whose own traceback format is not CPython's,
with the stdlib logging of asyncio routed into it by the InterceptHandler
of loguru's documentation.  Three sink settings, one after the other:

  A. loguru's defaults, backtrace=True and diagnose=True: a blank line
     after "Traceback (most recent call last):", between the frames and
     before the final line, each frame's variables drawn under it with
     box characters, and the frame that caught the exception marked
     "> File" (not indented)
  B. backtrace=True, diagnose=False (the setting loguru advises for
     production): the "> File" mark, no blank lines
  C. both False: CPython's own format
  D. the defaults again with colorize=True (a terminal, or a container
     run with a tty): every part of every line in ANSI colors
  E. the defaults with serialize=True (JSON lines for a log collector):
     {"text": "<what D would print, uncolored>\n", "record": {...}},
     whose time is the record's, in UTC with its microseconds

In each: logger.exception in a coroutine (sync_rates) that caught a
ConnectionError from fetch_rates (a python.traceback named after
fetch_rates), and a task whose exception is never retrieved, reported by
asyncio through the InterceptHandler (push_metrics).  In A also a chain
(`raise ... from`), whose blank lines loguru doubles.
"""
# interpreter: /usr/bin/python3
# needs-module: loguru
# expected: next
import asyncio
import datetime
import logging
import sys

from loguru import logger

import rates_app
from samplekit import Expect, Tap


class InterceptHandler(logging.Handler):
    """loguru's documented bridge: stdlib records re-logged by loguru,
    with their exception."""

    def emit(self, record):
        try:
            level = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        frame, depth = logging.currentframe(), 2
        while frame and frame.f_code.co_filename == logging.__file__:
            frame = frame.f_back
            depth += 1
        logger.opt(depth=depth, exception=record.exc_info).log(
            level, record.getMessage())


class LoguruTimes(rates_app.Noted):
    """A silent loguru sink: the time each message shows. loguru's
    default format prints it to the millisecond, in local time; a
    serialized record holds it whole, with its zone (str() of an aware
    datetime), which tracehound reports in UTC."""

    def __init__(self):
        rates_app.Noted.__init__(self)
        self.serialized = False

    def __call__(self, message):
        t = message.record["time"]
        if self.serialized:
            u = t.astimezone(datetime.timezone.utc)
            shown = u.strftime("%Y-%m-%dT%H:%M:%S") + (
                ".%06d" % u.microsecond if u.microsecond else "") + "Z"
        else:
            shown = (t.strftime("%Y-%m-%dT%H:%M:%S")
                     + ".%03d" % (t.microsecond // 1000))
        self.note(message.record["message"], shown)


times = LoguruTimes()
logging.basicConfig(handlers=[InterceptHandler()], level=logging.INFO,
                    force=True)
tap = Tap(timed=False).attach()
expect = Expect()


def use_sink(backtrace, diagnose, colorize=False, serialize=False):
    logger.remove()
    logger.add(sys.stderr, backtrace=backtrace, diagnose=diagnose,
               colorize=colorize, serialize=serialize)
    times.serialized = serialize
    logger.add(times, format="{message}")


async def section(name, chain):
    logger.info("section {}", name)
    await rates_app.section(logger.exception, tap, expect, times, chain)


async def main():
    use_sink(True, True)
    await section("A", chain=True)
    use_sink(True, False)
    await section("B", chain=False)
    use_sink(False, False)
    await section("C", chain=False)
    use_sink(True, True, colorize=True)
    await section("D", chain=True)
    use_sink(True, True, serialize=True)
    await section("E", chain=True)
    use_sink(False, False)
    logger.info("done")


asyncio.run(main())
expect.write()
