"""Scenario: shapes seen in logs users pasted into issue trackers
(gen/README.md) that no other program here produces, logging with
"%(asctime)s - %(name)s - %(levelname)s - %(message)s":

  * a task whose exception message itself holds a task repr with a coro=
    (an asyncio.Event waited on from a second event loop: 3.6-3.9 say
    "Task <Task pending coro=<Event.wait() running at ...> ...> got Future
    <Future pending> attached to a different loop", 3.10+ "<asyncio.locks
    .Event ...> is bound to a different event loop"); the event is named
    after the first coro= of the future: line, Syncer.worker
  * a task destroyed while pending whose name holds a single quote, so
    that 3.8+ print it in double quotes: name="IMAP(ann's inbox)"
  * logging's own "--- Logging error ---" block (a record whose arguments
    do not fit its format): a traceback that is entirely the logging
    module's, then "Call stack:" and frames with no header, then
    "Message: ..." and "Arguments: ..." lines; one python.traceback
  * asyncio's "socket.send() raised exception." warnings (a protocol
    that keeps writing after the connection was lost): no event
"""
# expected: next
import asyncio
import gc
import logging
import socket
import sys

from samplekit import (DESTROYED_PENDING, NEVER_RETRIEVED, TRACEBACK, Expect,
                       Tap, defined_at, run, settle, spawn, task_name)


class RecordingHandler(logging.StreamHandler):
    """A StreamHandler that also tells the Tap which exception its
    handleError() is about to print."""

    def handleError(self, record):
        tap.remember(sys.exc_info()[1], "#logging error")
        super().handleError(record)


tap = Tap(timed=True)
handler = RecordingHandler(sys.stderr)
handler.setFormatter(logging.Formatter(
    "%(asctime)s - %(name)s - %(levelname)s - %(message)s"))
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.INFO)
tap.attach()
log = logging.getLogger("mailer")
expect = Expect()


class Syncer:
    def __init__(self, event):
        self.event = event

    async def worker(self):
        await asyncio.wait_for(self.event.wait(), 5)


async def bind_event():
    """An Event that belongs to this (first) event loop: created here
    (3.6-3.9 bind at construction) and waited on here (3.10+ bind on
    first use)."""
    event = asyncio.Event()
    try:
        await asyncio.wait_for(event.wait(), 0.01)
    except asyncio.TimeoutError:
        pass
    return event


async def idle(mailbox):
    await asyncio.get_event_loop().create_future()


async def main():
    loop = asyncio.get_event_loop()
    log.info("mailer starting")

    t = spawn(Syncer(EVENT).worker())
    name = task_name(t)
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "Syncer.worker", "RuntimeError", task=name,
               defined_at=defined_at(Syncer.worker),
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="worker")

    t = spawn(idle("inbox"), name="IMAP(ann's inbox)")
    name = task_name(t)
    del t
    await asyncio.sleep(0)
    gc.collect()
    expect.add(DESTROYED_PENDING, "idle", task=name, defined_at=defined_at(idle),
               obs=tap.take("Task was destroyed but it is pending!"))

    log.info("%d messages queued for %s", "n/a", "ann")
    expect.add(TRACEBACK, "getMessage", "TypeError",
               obs=tap.take("#logging error"), culprit_fn="getMessage",
               time=None)

    a, b = socket.socketpair()
    transport, _ = await loop.create_connection(asyncio.Protocol, sock=a)
    b.close()
    for i in range(8):
        transport.write(b"x" * 65536)
        await asyncio.sleep(0.01)
    transport.close()
    await settle()
    log.info("mailer stopped")


EVENT = run(bind_event())
run(main())
expect.write()
