"""Scenario: asyncio.TaskGroup and ExceptionGroup tracebacks (3.11+ only).

  1. a TaskGroup with two failing children of different types (fetch_feed:
     errors.UpstreamError, parse_feed: ValueError); the ExceptionGroup is
     caught and logged with logger.exception() -> 2 leaf events;
  2. a nested group: a TaskGroup whose child ``crawl_site`` runs its own
     TaskGroup (resolve_host: socket.gaierror, index_doc: KeyError) next to a
     sibling ``store_blob`` whose error is chained (errors.UpstreamError from
     ConnectionResetError); printed bare with traceback.print_exc() -> 3 leaf
     events (group inside group);
  3. a fire-and-forget task ``batch_job`` whose exception IS an
     ExceptionGroup, never retrieved -> ONE asyncio event whose exception is
     ``ExceptionGroup``; its leaves are not separate events (README);
  4. the program ends with an uncaught ExceptionGroup out of asyncio.run()
     (push_metrics: TimeoutError, push_logs: ConnectionRefusedError) -> 2
     leaf events.
"""
# requires: 3.11
import asyncio
import logging
import socket
import sys
import traceback

import errors
from samplekit import (EXC_GROUP, NEVER_RETRIEVED, Expect, Tap, defined_at,
                       fail, printed_type, settle, spawn, task_name)

if sys.version_info < (3, 11):
    sys.exit("taskgroup.py needs Python 3.11+ (asyncio.TaskGroup)")

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("ingest")
tap = Tap(timed=True).attach()
expect = Expect()
# All leaves of one group wait on the same gate and fail in the same event
# loop iteration, so no sibling is cancelled before it raises (a TaskGroup
# cancels the remaining children as soon as it sees the first failure).
gate = None


def open_gate_soon():
    global gate
    gate = asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, gate.set)


async def fetch_feed(url):
    await gate.wait()
    raise errors.UpstreamError("GET %s -> HTTP 502" % url)


async def parse_feed(name):
    await gate.wait()
    raise ValueError("feed %s, item 3: bad date '2024-13-01'" % name)


async def resolve_host(host):
    await gate.wait()
    raise socket.gaierror(-2, "Name or service not known")


async def index_doc(doc_id):
    await gate.wait()
    raise KeyError(doc_id)


async def crawl_site(host):
    async with asyncio.TaskGroup() as tg:
        tg.create_task(resolve_host(host))
        tg.create_task(index_doc("doc-%s-1" % host))


def _put(key):
    raise ConnectionResetError(104, "Connection reset by peer")


async def store_blob(key):
    await gate.wait()
    try:
        _put(key)
    except ConnectionResetError as exc:
        raise errors.UpstreamError("PUT blob %s failed" % key) from exc


async def charge_card(card, amount):
    await gate.wait()
    raise ValueError("card %s declined for %d cents" % (card, amount))


async def batch_job(batch_id):
    async with asyncio.TaskGroup() as tg:
        tg.create_task(charge_card("4242", 1250))
        tg.create_task(charge_card("4000", 990))


async def push_metrics(endpoint):
    await gate.wait()
    raise TimeoutError("push to %s timed out after 10s" % endpoint)


async def push_logs(endpoint):
    await gate.wait()
    raise ConnectionRefusedError(111, "Connection refused")


def declare_leaves(group_obs, declared):
    """One python.exception-group event per leaf of the group observed in
    GROUP_OBS; DECLARED lists (coroutine, exception type, culprit
    function) as the program raised them, and must name every leaf."""
    leaves = {}
    for leaf in group_obs.leaves():
        leaves[leaf.culprit["function"]] = leaf
    if sorted(leaves) != sorted(fn for _, _, fn in declared):
        fail("group leaves: declared %r, observed %r"
             % (declared, sorted(leaves)))
    for coroutine, exc, fn in declared:
        expect.add(EXC_GROUP, coroutine, printed_type(exc), obs=leaves[fn],
                   culprit_fn=fn)


async def main():
    log.info("ingest round 1")
    open_gate_soon()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fetch_feed("https://feeds.example.test/a.xml"))
            tg.create_task(parse_feed("b"))
    except ExceptionGroup:
        log.exception("ingest round 1 failed")
    # logged: the leaves take the record's time
    declare_leaves(tap.take("ingest round 1 failed"),
                   [("fetch_feed", errors.UpstreamError, "fetch_feed"),
                    ("parse_feed", ValueError, "parse_feed")])

    log.info("ingest round 2 (crawl)")
    open_gate_soon()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(crawl_site("intranet.example.test"))
            tg.create_task(store_blob("crawl/intranet.tar"))
    except ExceptionGroup as eg:
        traceback.print_exc()
        tap.remember(eg, "#print_exc round 2")  # printed bare: no time
    declare_leaves(tap.take("#print_exc round 2"),
                   [("resolve_host", socket.gaierror, "resolve_host"),
                    ("index_doc", KeyError, "index_doc"),
                    ("store_blob", errors.UpstreamError, "store_blob")])
    log.info("crawl round finished with errors")

    open_gate_soon()
    t = spawn(batch_job(7))
    name = task_name(t)
    del t
    await asyncio.sleep(0.05)
    await settle()
    expect.add(NEVER_RETRIEVED, "batch_job", printed_type(ExceptionGroup),
               task=name, defined_at=defined_at(batch_job),
               obs=tap.take("coro=<batch_job()"), culprit_fn="batch_job")
    log.info("billing batch 7 dispatched")

    log.info("shipping telemetry")
    open_gate_soon()
    async with asyncio.TaskGroup() as tg:
        tg.create_task(push_metrics("metrics.example.test:4317"))
        tg.create_task(push_logs("logs.example.test:4317"))


try:
    asyncio.run(main())
except ExceptionGroup as eg:
    # printed by the interpreter once re-raised: no time
    tap.remember(eg, "#uncaught")
    declare_leaves(tap.take("#uncaught"),
                   [("push_metrics", TimeoutError, "push_metrics"),
                    ("push_logs", ConnectionRefusedError, "push_logs")])
    expect.write()
    raise
