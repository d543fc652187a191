"""Held-out scenario: Ctrl-C (a real SIGINT) while asyncio.run() runs a
service, with logging's ``%(asctime)s %(levelname)-5s [%(name)s] %(message)s``
and ``stack_info=True`` on one logged exception:

  * before the interrupt, a handled error logged with logger.exception(
    ..., stack_info=True): the traceback, then "Stack (most recent call
    last):" and the frames of the logging call, which are no part of the
    traceback (the event is named after the traceback's culprit)
  * the interrupt: 3.11+ asyncio.run() cancels the main task and raises
    KeyboardInterrupt from the CancelledError ("During handling of the
    above exception..."); 3.7-3.10 the KeyboardInterrupt comes out of the
    selector; 3.6 out of run_until_complete
  * asyncio.run() (3.7+) then cancels a worker (not started on 3.6)
    whose cleanup fails:
    "unhandled exception during asyncio.run() shutdown" with its task
    and traceback (a python.traceback named after the culprit)
Exit status 1 or 130 (3.8+ end an uncaught KeyboardInterrupt with SIGINT).
"""
# expected: holdout
# exit: 1 130
import asyncio
import atexit
import logging
import os
import signal
import sys
import threading

from samplekit import TRACEBACK, Expect, Tap, run

logging.basicConfig(
    level=logging.INFO, stream=sys.stderr,
    format="%(asctime)s %(levelname)-5s [%(name)s] %(message)s")
log = logging.getLogger("indexer")
tap = Tap(timed=True).attach().hook_excepthook()
expect = Expect()


def parse_doc(raw):
    return raw["title"].strip()


async def release_slot(n):
    raise ConnectionAbortedError("slot %d: index server gone" % n)


async def index_worker(n):
    try:
        await asyncio.sleep(3600)
    finally:
        await release_slot(n)


async def main():
    log.info("indexer starting")
    try:
        parse_doc({"body": "..."})
    except KeyError:
        log.exception("document skipped", stack_info=True)
    expect.add(TRACEBACK, "parse_doc", "KeyError",
               obs=tap.take("document skipped"), culprit_fn="parse_doc")
    if hasattr(asyncio, "run"):
        # 3.6 has no asyncio.run() to cancel it at the end
        asyncio.get_event_loop().create_task(index_worker(3))
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    await asyncio.sleep(3600)


def finish():
    obs = tap.take("excepthook")
    expect.add(TRACEBACK, obs.culprit["function"], "KeyboardInterrupt",
               obs=obs, culprit_fn=obs.culprit["function"])
    if hasattr(asyncio, "run"):
        expect.add(TRACEBACK, "release_slot", "ConnectionAbortedError",
                   obs=tap.take("unhandled exception during asyncio.run() "
                                "shutdown"), culprit_fn="release_slot")
    expect.write()


atexit.register(finish)
run(main())
