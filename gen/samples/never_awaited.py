"""Scenario: coroutines called but never awaited.

Settings are explicit: the process starts WITHOUT tracemalloc (no -X
tracemalloc, PYTHONTRACEMALLOC unset) and with the "default" warnings
filter; the program then changes them itself, section by section:

  A. default filter, no tracemalloc: ``send_email``, ``Worker.run`` once
     each; ``refresh_cache`` called 3 times from ONE line is reported once
     (the default action shows a warning once per location);
  B. filter "always": ``refresh_cache`` 3 times from one line -> 3 warnings;
  C. tracemalloc.start(): ``publish_event`` and ``Worker.stop`` -> the
     warning is followed by "Object allocated at (most recent call last):";
  D. logging.captureWarnings(True): ``audit_log`` -> the warning is emitted
     as a logging record (prefix on its first line only);
  E. a coroutine object kept in a module global and never awaited is
     finalized at interpreter shutdown -> "sys:1: RuntimeWarning: ..."
     (3.13 prints "<sys>:0: ...").
Python 3.6 prints no "Enable tracemalloc ..." hint line.
A warning has no exception, hence no message and no culprit (the
"Object allocated at" frames of C are not a traceback); only D's, a
logging record, has a time.
"""
import asyncio
import logging
import sys
import tracemalloc
import warnings

from samplekit import NEVER_AWAITED, Expect, Tap, run

warnings.simplefilter("default")
logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)-8s %(name)s: %(message)s")
log = logging.getLogger("notifier")
tap = Tap(timed=True).attach()
expect = Expect()


def warned(coroutine):
    """A warning printed by the warnings module: no record, no time."""
    expect.add(NEVER_AWAITED, coroutine, culprit_fn=None, message=None,
               time=None)


async def send_email(to, subject):
    await asyncio.sleep(0)


async def refresh_cache(key):
    await asyncio.sleep(0)


async def publish_event(topic, payload):
    await asyncio.sleep(0)


async def audit_log(action):
    await asyncio.sleep(0)


async def close_connections():
    await asyncio.sleep(0)


class Worker:
    async def run(self):
        await asyncio.sleep(0)

    async def stop(self):
        await asyncio.sleep(0)


async def section_a():
    log.info("section A: default warnings filter, tracemalloc off")
    send_email("ops@example.test", "nightly report")
    warned("send_email")
    Worker().run()
    warned("Worker.run")
    for key in ("users", "orders", "prices"):
        refresh_cache(key)
    # same location three times: the "default" action reports it once
    warned("refresh_cache")
    await asyncio.sleep(0)


async def section_b():
    log.info("section B: warnings filter 'always'")
    warnings.simplefilter("always", RuntimeWarning)
    for key in ("users", "orders", "prices"):
        refresh_cache(key)
        warned("refresh_cache")
    await asyncio.sleep(0)


async def section_c():
    tracemalloc.start(10)
    log.info("section C: tracemalloc started")
    publish_event("orders.created", {"id": 17})
    warned("publish_event")
    w = Worker()
    w.stop()
    warned("Worker.stop")
    await asyncio.sleep(0)


async def section_d():
    logging.captureWarnings(True)
    log.info("section D: warnings captured by logging")
    audit_log("login")
    # a py.warnings record: its time is the record's
    expect.add(NEVER_AWAITED, "audit_log", culprit_fn=None,
               obs=tap.take("coroutine 'audit_log' was never awaited"))
    await asyncio.sleep(0)
    logging.captureWarnings(False)
    tracemalloc.stop()


async def main():
    await section_a()
    await section_b()
    await section_c()
    await section_d()
    log.info("all sections done")


run(main())

# E. finalized only at interpreter shutdown
_pending_shutdown = close_connections()
warned("close_connections")
log.info("exiting with a coroutine object left in a global")
expect.write()
