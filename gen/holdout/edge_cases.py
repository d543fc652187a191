"""Held-out scenario: long tracebacks, library-only callbacks, odd paths
and names, and output that looks like a traceback but is none.  Logging
format ``%(asctime)s %(levelname)s %(name)s %(message)s``.

  * mutual recursion (to_dict -> _convert -> to_dict ...) in a task,
    never retrieved: CPython only collapses repeated *identical* lines,
    so the traceback is about a thousand frames (2000-4000 lines) long
  * Exception in callback of functools.partial(json.loads, ...): every
    frame is the standard library's, the event is named after the
    innermost frame (raw_decode)
  * a module in a directory whose name has spaces and parentheses
    (``My Plugins (beta)/geo.py``), logged
  * an exception class with a non-ASCII name (``ÜberlaufFehler``) and a
    message with non-ASCII text, never retrieved
  * an exception whose __str__ fails (``<exception str() failed>``)
  * not events: logging's stack_info (``Stack (most recent call
    last):``), traceback.print_stack(), faulthandler.dump_traceback()
    (``Current thread 0x... (most recent call first):``)
"""
# expected: holdout
import asyncio
import faulthandler
import functools
import importlib
import json
import logging
import os
import sys
import traceback

from samplekit import (IN_CALLBACK, NEVER_RETRIEVED, TRACEBACK, Expect, Tap,
                       run, settle, spawn)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("edge")
tap = Tap(timed=True).attach()
expect = Expect()
HERE = os.path.dirname(os.path.abspath(__file__))

GEO = '''def distance(a, b):
    return ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 / b[2]
'''


class ÜberlaufFehler(Exception):
    pass


class BadRepr(Exception):
    def __str__(self):
        raise TypeError("no text")


def to_dict(node):
    return {"value": _convert(node)}


def _convert(node):
    return to_dict(node)


async def export_tree():
    await asyncio.sleep(0)
    return to_dict({"root": 1})


async def fill_tank(litres):
    await asyncio.sleep(0)
    raise ÜberlaufFehler("Tank läuft über: %d Liter > 60 Liter" % litres)


def render(item):
    raise BadRepr(item)


def where_am_i():
    log.info("checkpoint reached", stack_info=True)
    traceback.print_stack(limit=2)
    faulthandler.dump_traceback(all_threads=False)


async def main():
    loop = asyncio.get_event_loop()
    log.info("edge cases starting")

    t = spawn(export_tree())
    del t
    await settle()
    obs = tap.take("Task exception was never retrieved")
    expect.add(NEVER_RETRIEVED, "export_tree", "RecursionError", obs=obs,
               culprit_fn=obs.culprit["function"])

    loop.call_soon(functools.partial(json.loads, '{"id": 7,}'))
    await settle()
    expect.add(IN_CALLBACK, "raw_decode", "json.decoder.JSONDecodeError",
               obs=tap.take("Exception in callback"), culprit_fn="raw_decode")

    plugdir = os.path.join(HERE, "My Plugins (beta)")
    os.makedirs(plugdir, exist_ok=True)
    with open(os.path.join(plugdir, "geo.py"), "w") as f:
        f.write(GEO)
    sys.path.insert(0, plugdir)
    geo = importlib.import_module("geo")
    try:
        geo.distance((0, 0), (3, 4, 0))
    except ZeroDivisionError:
        log.exception("route planning failed")
    expect.add(TRACEBACK, "distance", "ZeroDivisionError",
               obs=tap.take("route planning failed"), culprit_fn="distance")

    t = spawn(fill_tank(75))
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "fill_tank", "ÜberlaufFehler",
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="fill_tank")

    try:
        render("x")
    except BadRepr:
        log.exception("render failed")
    expect.add(TRACEBACK, "render", "BadRepr",
               obs=tap.take("render failed"), culprit_fn="render")

    where_am_i()
    tap.take("checkpoint reached")
    log.info("edge cases done")


run(main())
tap.none_left("never retrieved")
expect.write()
