"""Scenario: the asyncio failures under uvloop (Debian's python3-uvloop,
for the system CPython only: run with /usr/bin/python3), whose loop,
handles and transports are its own (Cython, frames such as
"uvloop/cbhandles.pyx", line 63, in uvloop.loop.Handle._run, with no
source line) while tasks and futures are asyncio's.  Logging:
"%(asctime)s %(levelname)s [%(name)s] %(message)s".

  * a task (refresh_cache) whose exception is never retrieved
  * Exception in callback: call_soon (apply_discount) and call_later
    (expire_session), uvloop's Handle and TimerHandle
  * a protocol whose connection_made fails (OrderProtocol): Exception in
    callback UVTransport._call_connection_made, uvloop's transport
    frames, then the protocol's
  * a run_in_executor future never retrieved (parse_export)
  * a task still pending when the loop is closed (poll_queue): Task was
    destroyed but it is pending!
"""
# interpreter: /usr/bin/python3
# needs-module: uvloop
# expected: next
import asyncio
import gc
import logging
import sys

import uvloop

from samplekit import (DESTROYED_PENDING, IN_CALLBACK, NEVER_RETRIEVED,
                       Expect, Tap, defined_at, settle, spawn, task_name)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
log = logging.getLogger("shop")
tap = Tap(timed=True).attach()
expect = Expect()


async def refresh_cache(region):
    await asyncio.sleep(0)
    raise LookupError("no cache shard for region %s" % region)


def apply_discount(code):
    raise KeyError(code)


def expire_session(sid):
    raise PermissionError("session %s is locked" % sid)


def parse_export(path):
    raise UnicodeError("%s is not UTF-8" % path)


class OrderProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        raise ConnectionAbortedError("order feed handshake rejected")


async def poll_queue(name):
    await asyncio.sleep(3600)


async def main():
    loop = asyncio.get_running_loop()
    log.info("loop: %s", type(loop).__module__)

    t = spawn(refresh_cache("eu-west"))
    name = task_name(t)
    await asyncio.sleep(0.01)
    del t
    gc.collect()
    await settle()
    expect.add(NEVER_RETRIEVED, "refresh_cache", "LookupError", task=name,
               defined_at=defined_at(refresh_cache),
               culprit_fn="refresh_cache",
               obs=tap.take("Task exception was never retrieved"))

    loop.call_soon(apply_discount, "SPRING24")
    await asyncio.sleep(0.01)
    expect.add(IN_CALLBACK, "apply_discount", "KeyError",
               culprit_fn="apply_discount",
               obs=tap.take("Exception in callback"))
    loop.call_later(0.001, expire_session, "s-2291")
    await asyncio.sleep(0.02)
    expect.add(IN_CALLBACK, "expire_session", "PermissionError",
               culprit_fn="expire_session",
               obs=tap.take("Exception in callback"))

    server = await loop.create_server(OrderProtocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(0.05)
    expect.add(IN_CALLBACK, "connection_made", "ConnectionAbortedError",
               culprit_fn="connection_made",
               obs=tap.take("Exception in callback"))
    writer.close()
    server.close()
    await server.wait_closed()

    f = loop.run_in_executor(None, parse_export, "/srv/export.csv")
    await asyncio.sleep(0.05)
    del f
    gc.collect()
    await settle()
    expect.add(NEVER_RETRIEVED, "parse_export", "UnicodeError",
               culprit_fn="parse_export",
               obs=tap.take("Future exception was never retrieved"))

    t = spawn(poll_queue("orders"))
    name = task_name(t)
    await asyncio.sleep(0)
    return name


uvloop.install()
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
pending = loop.run_until_complete(main())
loop.close()
gc.collect()
expect.add(DESTROYED_PENDING, "poll_queue", task=pending,
           defined_at=defined_at(poll_queue), culprit_fn=None,
           obs=tap.take("Task was destroyed but it is pending!"))
log.info("done")
expect.write()
