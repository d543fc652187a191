"""Scenario: asyncio reports that went through an application's own
exception handler (loop.set_exception_handler), as frameworks install
them.  Logging uses Home Assistant's format, with a time:
``%(asctime)s %(levelname)s (%(threadName)s) [%(name)s] %(message)s``.

  A. Home Assistant's classic handler, "Error doing job: %s" with the
     exception (no future:/handle: line, the traceback right after):
     a task never retrieved (no coro=: named after its culprit _parse),
     an Exception in callback (_on_state) and a Fatal read error on a
     pipe transport
  B. its newer form "Error doing job: %s (%s)" with the context's task,
     which is None for these reports: "... never retrieved (None)"
  C. the same message followed by a blank line before the traceback
     (the message ends with two newlines)
  D. a handler that hands the context on to the default one with a blank
     line after the message: "Task exception was never retrieved", blank
     line, "future: <Task ...>"; likewise for Exception in callback
     (handle:) and Task was destroyed but it is pending! (task:)
"""
# expected: next
import asyncio
import gc
import logging
import os
import sys

from samplekit import (DESTROYED_PENDING, FATAL_TRANSPORT, IN_CALLBACK,
                       NEVER_RETRIEVED, Expect, Tap, defined_at, run, settle,
                       spawn, task_name)

logging.basicConfig(
    level=logging.INFO, stream=sys.stderr,
    format="%(asctime)s %(levelname)s (%(threadName)s) [%(name)s] %(message)s")
log = logging.getLogger("homeassistant")
tap = Tap(timed=True).attach()
expect = Expect()


def classic_handler(loop, context):
    log.error("Error doing job: %s", context["message"],
              exc_info=context.get("exception"))


def newer_handler(loop, context):
    log.error("Error doing job: %s (%s)", context["message"],
              context.get("task"), exc_info=context.get("exception"))


def spaced_handler(loop, context):
    log.error("Error doing job: %s\n\n", context["message"],
              exc_info=context.get("exception"))


def blank_line_handler(loop, context):
    loop.default_exception_handler(
        dict(context, message=context["message"] + "\n"))


class SensorEntity:
    def __init__(self, name, payload):
        self.name = name
        self.payload = payload

    def _parse(self):
        return float(self.payload["temperature"])

    async def async_update(self):
        await asyncio.sleep(0)
        self.state = self._parse()

    def _on_state(self, raw):
        self.state = float(raw)


class Reader(asyncio.Protocol):
    pass


async def wait_forever(name):
    await asyncio.get_event_loop().create_future()


async def never_retrieved(entity):
    t = spawn(entity.async_update())
    name = task_name(t)
    del t
    await settle()
    return name


async def phase_classic():
    loop = asyncio.get_event_loop()
    loop.set_exception_handler(classic_handler)
    await never_retrieved(SensorEntity("sensor.attic", {"humidity": 41}))
    expect.add(NEVER_RETRIEVED, "_parse", "KeyError", culprit_fn="_parse",
               obs=tap.take("Error doing job: Task exception was never retrieved"))

    loop.call_soon(SensorEntity("sensor.porch", {})._on_state, "unavailable")
    await settle()
    expect.add(IN_CALLBACK, "_on_state", "ValueError", culprit_fn="_on_state",
               obs=tap.take("Error doing job: Exception in callback"))

    r, w = os.pipe()
    os.close(r)
    pipe = os.fdopen(w, "rb", buffering=0)
    await loop.connect_read_pipe(Reader, pipe)
    await asyncio.sleep(0.05)
    expect.add(FATAL_TRANSPORT, "_read_ready", "OSError",
               culprit_fn="_read_ready",
               obs=tap.take("Error doing job: Fatal read error on pipe transport"))


async def phase_newer():
    asyncio.get_event_loop().set_exception_handler(newer_handler)
    await never_retrieved(SensorEntity("sensor.garage", {"pressure": 1013}))
    expect.add(NEVER_RETRIEVED, "_parse", "KeyError", culprit_fn="_parse",
               obs=tap.take("Error doing job: Task exception was never retrieved (None)"))


async def phase_spaced():
    asyncio.get_event_loop().set_exception_handler(spaced_handler)
    await never_retrieved(SensorEntity("sensor.cellar", {"co2": 600}))
    expect.add(NEVER_RETRIEVED, "_parse", "KeyError", culprit_fn="_parse",
               obs=tap.take("Error doing job: Task exception was never retrieved"))


async def phase_blank_line():
    loop = asyncio.get_event_loop()
    loop.set_exception_handler(blank_line_handler)
    entity = SensorEntity("sensor.roof", {"wind": 12})
    name = await never_retrieved(entity)
    expect.add(NEVER_RETRIEVED, "SensorEntity.async_update", "KeyError",
               task=name, defined_at=defined_at(SensorEntity.async_update),
               culprit_fn="_parse",
               obs=tap.take("Task exception was never retrieved"))

    loop.call_soon(entity._on_state, "n/a")
    await settle()
    expect.add(IN_CALLBACK, "_on_state", "ValueError", culprit_fn="_on_state",
               obs=tap.take("Exception in callback"))

    t = spawn(wait_forever("sensor.roof"))
    name = task_name(t)
    del t
    await asyncio.sleep(0)
    gc.collect()
    expect.add(DESTROYED_PENDING, "wait_forever", task=name,
               defined_at=defined_at(wait_forever),
               obs=tap.take("Task was destroyed but it is pending!"))


logging.getLogger("homeassistant.setup").info("Setting up sensor")
for phase in (phase_classic, phase_newer, phase_spaced, phase_blank_line):
    run(phase())
logging.getLogger("homeassistant.core").info("Home Assistant stopped")
expect.write()
