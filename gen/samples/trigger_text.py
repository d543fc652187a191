"""Scenario: triggers that follow other text on their line.  Logging uses
a format without a time (``%(levelname)s %(name)s: %(message)s``), and
the application puts tracebacks into its own messages:

  * log.error("%s", format_exc()): "ERROR app.pusher: Traceback (most
    recent call last):"
  * log.error("push failed: %s", format_exc()): the header after the
    application's words
  * a traceback in double quotes, and one in a Markdown code fence (as
    chat-notification handlers post them), each quote or fence opening
    on the header's line and closing on a line of its own
  * log.warning("Unexpected exception in keepalive ping task %s",
    format_exc()) (python-socketio/websockets style)
  * logging's exc_info=True after a message: the usual record first line,
    then the traceback (for contrast)
  * asyncio's own "Task exception was never retrieved" under this format:
    "ERROR asyncio: Task exception was never retrieved"
Every event is a python.traceback named after its culprit, except the
asyncio one.
"""
# expected: next
import asyncio
import errno
import logging
import sys
import traceback

from samplekit import (NEVER_RETRIEVED, TRACEBACK, Expect, Tap, defined_at,
                       run, settle, spawn, task_name)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("app.pusher")
tap = Tap(timed=False).attach()
expect = Expect()


class PushError(Exception):
    pass


def _send(device, payload):
    if device.startswith("ios"):
        raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    raise PushError("device %s rejected payload of %d bytes" % (device, len(payload)))


def push(device, payload):
    _send(device, payload)


def attempt(label, fmt, device, exc):
    """Push, and on failure log FMT % format_exc()."""
    try:
        push(device, b"x" * 64)
    except Exception as e:
        log.error(fmt, traceback.format_exc())
        tap.remember(e, label)
    expect.add(TRACEBACK, "_send", exc, obs=tap.take(label), culprit_fn="_send")


async def keepalive(ws_id):
    await asyncio.sleep(0)
    raise asyncio.TimeoutError()


async def main():
    log.info("pusher started")
    attempt("#bare", "%s", "android-17", "PushError")
    attempt("#after words", "push failed: %s", "android-18", "PushError")
    attempt("#quoted", '"%s"', "ios-3", "ConnectionResetError")
    attempt("#fenced", "```%s```", "ios-4", "ConnectionResetError")

    try:
        await keepalive(7)
    except asyncio.TimeoutError as e:
        log.warning("Unexpected exception in keepalive ping task %s",
                    traceback.format_exc())
        tap.remember(e, "#keepalive")
    expect.add(TRACEBACK, "keepalive", asyncio.TimeoutError,
               obs=tap.take("#keepalive"), culprit_fn="keepalive")

    try:
        push("android-19", b"y" * 8)
    except PushError:
        log.error("push to android-19 failed", exc_info=True)
    expect.add(TRACEBACK, "_send", "PushError",
               obs=tap.take("push to android-19 failed"), culprit_fn="_send")

    t = spawn(keepalive(8))
    name = task_name(t)
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "keepalive", asyncio.TimeoutError, task=name,
               defined_at=defined_at(keepalive),
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="keepalive")
    log.info("pusher stopped")


run(main())
expect.write()
