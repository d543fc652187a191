"""Scenario: programs that die with an uncaught, chained traceback.

The log holds two process crashes, each printed by the interpreter's
default excepthook:
  1. a child process (this same file run with ``--module-level``) failing in
     module-level code: FileNotFoundError -> (direct cause) errors.ConfigError
     -> (during handling) KeyError raised at ``<module>``;
  2. this process failing inside asyncio.run(): ConnectionError -> (direct
     cause) errors.UpstreamError -> (during handling) KeyError raised in the
     method ``RateCache.lookup`` (printed as ``in lookup``).
On 3.7+ asyncio.run() also cancels a leftover task whose cancellation
handler fails, which logs "unhandled exception during asyncio.run()
shutdown" with a traceback (a python.traceback event, README).
Each chain is ONE python.traceback event (README: the culprit of the LAST
traceback of the chain).  The excepthook's reports have no time; the
child's report is observed by the child's own Tap, which hands it to the
parent in a file.  Run with PYTHON_COLORS=1 on 3.13 for the colored
variant (uncaught_color.log).
"""
import asyncio
import atexit
import logging
import os
import subprocess
import sys
import tempfile

import errors
from samplekit import TRACEBACK, Expect, Tap, printed_type

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("rates")

DEFAULTS = {"currency": "USD"}


def load_settings(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError as exc:
        raise errors.ConfigError("cannot load settings from %s" % path) from exc


if sys.argv[1:2] == ["--module-level"]:
    child_tap = Tap(timed=False).hook_excepthook()
    atexit.register(child_tap.dump, sys.argv[2])
    log.info("worker booting")
    try:
        settings = load_settings("/etc/rates/settings.toml")
    except errors.ConfigError:
        settings = DEFAULTS["profile"]
    sys.exit(0)  # not reached


class RateCache:
    def __init__(self):
        self.rates = {"USD": 1.0}

    def lookup(self, currency):
        return self.rates[currency]


def _fetch_page(url):
    raise ConnectionError("connection to %s refused" % url)


async def sync_rates(url):
    await asyncio.sleep(0)
    try:
        _fetch_page(url)
    except ConnectionError as exc:
        raise errors.UpstreamError("rate sync failed") from exc


async def flush_buffers():
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        raise OSError(28, "No space left on device")


async def main():
    log.info("rate service starting")
    asyncio.ensure_future(flush_buffers())
    await asyncio.sleep(0)
    cache = RateCache()
    try:
        await sync_rates("https://rates.example.test/v1/latest")
    except errors.UpstreamError:
        log.warning("falling back to cached rates")
        return cache.lookup("EUR")


def finish():
    """After the excepthook has printed this process's crash."""
    if hasattr(asyncio, "run"):
        # asyncio.run() cancels flush_buffers at shutdown; its handler
        # fails; a logging record with a time
        expect.add(TRACEBACK, "flush_buffers", printed_type(OSError),
                   obs=tap.take("unhandled exception during asyncio.run() shutdown"),
                   culprit_fn="flush_buffers")
    expect.add(TRACEBACK, "lookup", printed_type(KeyError),
               obs=tap.take("excepthook"), culprit_fn="lookup")
    expect.write()


expect = Expect()
tap = Tap(timed=True).attach().hook_excepthook()
log.info("supervisor: starting worker")
fd, child_seen = tempfile.mkstemp(prefix="th-uncaught-", suffix=".json")
os.close(fd)
rc = subprocess.call([sys.executable, sys.argv[0], "--module-level",
                      child_seen])
tap.load(child_seen)
os.unlink(child_seen)
expect.add(TRACEBACK, "<module>", printed_type(KeyError),
           obs=tap.take("excepthook"), culprit_fn="<module>")
log.info("supervisor: worker exited with status %d", rc)
atexit.register(finish)

if hasattr(asyncio, "run"):
    asyncio.run(main())
else:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(main())
