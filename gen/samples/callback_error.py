"""Scenario: exceptions raised by plain callbacks run by the event loop.

Provokes "Exception in callback ..." (each followed by a ``handle:`` line
and a traceback whose first frame is asyncio/events.py ``_run``):
  * loop.call_soon(on_tick, 0)              -> ZeroDivisionError in on_tick
  * loop.call_later(0.01, flush_metrics, r) -> KeyError in flush_metrics
  * loop.call_soon(functools.partial(cache.evict, key)) -> KeyError in evict
  * loop.call_soon(on_message, raw)         -> json.decoder.JSONDecodeError,
    whose innermost frame is the stdlib's ``raw_decode``: named after its
    culprit, the innermost application frame ``on_message``
  * a done-callback ``report_result`` that raises KeyError itself
  * a done-callback ``log_outcome`` that calls task.result() on a failed
    task: the re-raised exception's innermost frame is the coroutine
    ``compute_invoice``
and a streams server whose client_connected_cb coroutine ``handle_client``
fails: CPython versions whose asyncio.streams reports it say "Unhandled
exception in client_connected_cb" (a python.traceback event, README),
older ones "Task exception was never retrieved".

The expected events are declared by hand below; an exception handler also
checks, from the live exception objects, that each declared culprit
function and type is right (the program exits 3 on a mismatch).
"""
import asyncio
import functools
import gc
import inspect
import json
import logging
import sys

from samplekit import (IN_CALLBACK, NEVER_RETRIEVED, TRACEBACK, Expect, Tap,
                       culprit_of, defined_at, printed_type, run, settle)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s [%(levelname)s] %(name)s - %(message)s")
log = logging.getLogger("metrics")
tap = Tap(timed=True).attach()
expect = Expect()
seen = []  # (culprit's function, printed type) for each reported exception


def on_tick(elapsed):
    processed = 1200
    rate = processed / elapsed
    log.info("rate %.1f/s", rate)


def flush_metrics(registry):
    total = registry["requests"] + registry["errors"]
    log.info("flushed %d", total)


class Cache:
    def __init__(self):
        self._data = {"session:k0": 1}

    def evict(self, key):
        del self._data["session:" + key]


def on_message(raw):
    msg = json.loads(raw)
    log.info("message %s", msg)


async def compute_totals():
    await asyncio.sleep(0)
    return {"sum": 1}


def report_result(task):
    log.info("total is %s", task.result()["total"])


async def compute_invoice(order_id):
    await asyncio.sleep(0)
    raise ValueError("order %d has no line items" % order_id)


def log_outcome(task):
    log.info("invoice %s", task.result())


async def handle_client(reader, writer):
    line = await reader.readline()
    raise ValueError("unexpected greeting %r" % line)


def checking_handler(loop, context):
    exc = context.get("exception")
    msg = context.get("message", "")
    if exc is not None and (msg.startswith("Exception in callback")
                            or msg.startswith("Unhandled exception in client_connected_cb")):
        culprit = culprit_of(exc.__traceback__)
        seen.append((culprit["function"] if culprit else None,
                     printed_type(exc)))
    loop.default_exception_handler(context)


async def main():
    loop = asyncio.get_event_loop()
    loop.set_exception_handler(checking_handler)
    log.info("metrics collector started")

    loop.call_soon(on_tick, 0)
    await asyncio.sleep(0)
    expect.add(IN_CALLBACK, "on_tick", printed_type(ZeroDivisionError),
               obs=tap.take("Exception in callback on_tick("),
               culprit_fn="on_tick")

    loop.call_later(0.01, flush_metrics, {"requests": 10})
    await asyncio.sleep(0.05)
    expect.add(IN_CALLBACK, "flush_metrics", printed_type(KeyError),
               obs=tap.take("Exception in callback flush_metrics("),
               culprit_fn="flush_metrics")
    log.info("metrics flush attempted")

    loop.call_soon(functools.partial(Cache().evict, "k1"))
    loop.call_soon(on_message, '{"event": "login", user: 7}')
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    expect.add(IN_CALLBACK, "evict", printed_type(KeyError),
               obs=tap.take("Exception in callback Cache.evict("),
               culprit_fn="evict")
    # the innermost frame is the stdlib's raw_decode; the culprit is ours
    expect.add(IN_CALLBACK, "on_message", printed_type(json.JSONDecodeError),
               obs=tap.take("Exception in callback on_message("),
               culprit_fn="on_message")

    t = loop.create_task(compute_totals())
    t.add_done_callback(report_result)
    await asyncio.sleep(0.01)
    expect.add(IN_CALLBACK, "report_result", printed_type(KeyError),
               obs=tap.take("Exception in callback report_result("),
               culprit_fn="report_result")
    t = loop.create_task(compute_invoice(4711))
    t.add_done_callback(log_outcome)
    del t
    await settle()
    # task.result() re-raises: the innermost application frame is the
    # coroutine's
    expect.add(IN_CALLBACK, "compute_invoice", printed_type(ValueError),
               obs=tap.take("Exception in callback log_outcome("),
               culprit_fn="compute_invoice")
    log.info("invoice pipeline idle")

    server = await asyncio.start_server(handle_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"HELO collector\n")
    await asyncio.sleep(0.1)
    writer.close()
    await asyncio.sleep(0.05)
    server.close()
    await server.wait_closed()
    await settle()
    if "Unhandled exception in client_connected_cb" in inspect.getsource(asyncio.streams):
        expect.add(TRACEBACK, "handle_client", printed_type(ValueError),
                   obs=tap.take("Unhandled exception in client_connected_cb"),
                   culprit_fn="handle_client")
    else:
        expect.add(NEVER_RETRIEVED, "handle_client", printed_type(ValueError),
                   defined_at=defined_at(handle_client),
                   obs=tap.take("Task exception was never retrieved"),
                   culprit_fn="handle_client")
    log.info("collector stopped")


run(main())
gc.collect()

declared = sorted((e["coroutine"], e["exception"]) for e in expect.events
                  if e["rule"] == IN_CALLBACK or e["rule"] == TRACEBACK)
if sorted(seen) != declared:
    sys.stderr.write("SELF-CHECK FAILED: declared %r, observed %r\n" % (declared, sorted(seen)))
    sys.exit(3)
expect.write()
