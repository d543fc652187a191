"""Scenario: asyncio debug mode.

Debug mode is switched on explicitly by the program (asyncio.run(...,
debug=True), loop.set_debug(True) on 3.6); PYTHONASYNCIODEBUG is NOT set
(regenerate.sh clears it).  In debug mode every task/handle remembers where
it was created, and the reports add a ``source_traceback: Object created
at (most recent call last):`` block (``Handle created at`` for callbacks);
the event's created_at is file:line of the LAST frame of that block, i.e.
``task._source_traceback[-1]`` / ``handle._source_traceback[-1]``, which the
program reads from the live objects.

Provokes:
  * 2 never-retrieved tasks of ``charge_card`` (ValueError) and one of
    ``Ledger.post`` (errors.UpstreamError), created at different lines;
  * one "Exception in callback" of ``on_settlement`` (KeyError);
  * one never-awaited coroutine ``send_receipt`` (debug mode tracks the
    coroutine origin: "Coroutine created at (most recent call last)" on
    3.7+);
and a deliberately slow step, which debug mode reports as
"Executing <Task ...> took N seconds" (an asyncio.slow-callback event
named after the task's coroutine, ``main``).
The logging format shows the time of day without a date: no record has a
time an event could carry (README.md, "Log shapes": asctime, ISO 8601).
"""
import asyncio
import logging
import sys
import time
import warnings

import errors
from samplekit import (IN_CALLBACK, NEVER_AWAITED, NEVER_RETRIEVED,
                       SLOW_CALLBACK, Expect, Tap, defined_at, printed_type,
                       run, settle, task_name)

warnings.simplefilter("default")
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                    format="%(asctime)s.%(msecs)03d %(levelname)s %(name)s %(message)s",
                    datefmt="%H:%M:%S")
log = logging.getLogger("payments")
tap = Tap(timed=False).attach()  # a time of day, no date
expect = Expect()


def created_at(obj):
    frame = obj._source_traceback[-1]
    return "%s:%d" % (frame[0], frame[1])


async def charge_card(card, cents):
    await asyncio.sleep(0)
    raise ValueError("card %s declined (%d cents)" % (card, cents))


class Ledger:
    async def post(self, entry):
        await asyncio.sleep(0)
        raise errors.UpstreamError("ledger rejected entry %s" % entry)


async def send_receipt(order):
    await asyncio.sleep(0)


def on_settlement(batch):
    log.info("settled %d", batch["count"])


def start_charges(loop):
    """Two failing tasks; returns (name, created_at) of each."""
    t1 = loop.create_task(charge_card("4242", 1250))
    t2 = asyncio.ensure_future(charge_card("4000", 990))
    return [(task_name(t), created_at(t)) for t in (t1, t2)]


async def main():
    loop = asyncio.get_event_loop()
    log.info("payments worker up, debug=%s", loop.get_debug())
    charges = start_charges(loop)
    await settle()
    for name, where in charges:
        expect.add(NEVER_RETRIEVED, "charge_card", printed_type(ValueError),
                   task=name, defined_at=defined_at(charge_card),
                   created_at=where, obs=tap.take("coro=<charge_card()"),
                   culprit_fn="charge_card")

    t = loop.create_task(Ledger().post("INV-2024-0042"))
    name, where = task_name(t), created_at(t)
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "Ledger.post", printed_type(errors.UpstreamError),
               task=name, defined_at=defined_at(Ledger.post),
               created_at=where, obs=tap.take("coro=<Ledger.post()"),
               culprit_fn="post")

    h = loop.call_soon(on_settlement, {"batch": 17})
    where = created_at(h)
    del h
    await asyncio.sleep(0)
    expect.add(IN_CALLBACK, "on_settlement", printed_type(KeyError),
               created_at=where,
               obs=tap.take("Exception in callback on_settlement("),
               culprit_fn="on_settlement")

    log.debug("about to block the loop")
    time.sleep(0.15)  # "Executing <Task ...> took 0.15x seconds"
    await asyncio.sleep(0)
    # the slow step is this task's (main's)
    me = (asyncio.current_task() if hasattr(asyncio, "current_task")
          else asyncio.Task.current_task())
    expect.add(SLOW_CALLBACK, "main", task=task_name(me),
               obs=tap.take("Executing <Task"), culprit_fn=None)

    send_receipt("INV-2024-0042")
    # printed by the warnings module: no record, no time
    expect.add(NEVER_AWAITED, "send_receipt", culprit_fn=None, message=None,
               time=None)
    await settle()
    log.info("payments worker done")


run(main(), debug=True)
expect.write()
