"""Scenario: asyncio transports that fail, reported with the transport's
own messages (logging with a time on each record's first line):

  * "Fatal read error on pipe transport": a read pipe transport opened on
    the write end of a pipe whose read end is closed (os.read fails with
    EBADF), every version
  * a protocol whose data_received fails in _parse_frame: 3.7+ "Fatal
    error: protocol.data_received() call failed.", 3.6 "Exception in
    callback _SelectorSocketTransport._read_ready()"
  * a protocol whose eof_received fails: 3.7+ "Fatal error:
    protocol.eof_received() call failed." (3.6 would report it again on
    every loop iteration, so it is left out there)
Each is followed by protocol: and transport: lines and a traceback.  The
rule id and the coroutine (the culprit's function) of these events are
the ones gen/samples/README.md proposes.
"""
# expected: next
import asyncio
import logging
import os
import socket
import sys

from samplekit import (FATAL_TRANSPORT, IN_CALLBACK, PY, Expect, Tap, run,
                       settle)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("gateway")
tap = Tap(timed=True).attach()
expect = Expect()


class Reader(asyncio.Protocol):
    pass


def _parse_frame(data):
    fields = data.decode().split(",")
    return int(fields[0]), int(fields[3])


class FrameProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.frame = _parse_frame(data)


class EofProtocol(asyncio.Protocol):
    def eof_received(self):
        raise ValueError("peer closed the stream in the middle of a frame")


async def main():
    loop = asyncio.get_event_loop()
    log.info("gateway starting")

    r, w = os.pipe()
    os.close(r)
    await loop.connect_read_pipe(Reader, os.fdopen(w, "rb", buffering=0))
    await asyncio.sleep(0.05)
    expect.add(FATAL_TRANSPORT, "_read_ready", "OSError",
               obs=tap.take("Fatal read error on pipe transport"),
               culprit_fn="_read_ready")

    a, b = socket.socketpair()
    transport, _ = await loop.create_connection(FrameProtocol, sock=a)
    b.send(b"17,2")
    await asyncio.sleep(0.05)
    if PY >= (3, 7):
        expect.add(FATAL_TRANSPORT, "_parse_frame", "IndexError",
                   obs=tap.take("Fatal error: protocol.data_received() call failed."),
                   culprit_fn="_parse_frame")
    else:
        expect.add(IN_CALLBACK, "_parse_frame", "IndexError",
                   obs=tap.take("Exception in callback _SelectorSocketTransport._read_ready()"),
                   culprit_fn="_parse_frame")
    transport.close()
    b.close()
    await settle()

    if PY >= (3, 7):
        a, b = socket.socketpair()
        transport, _ = await loop.create_connection(EofProtocol, sock=a)
        b.shutdown(socket.SHUT_WR)
        await asyncio.sleep(0.05)
        expect.add(FATAL_TRANSPORT, "eof_received", "ValueError",
                   obs=tap.take("Fatal error: protocol.eof_received() call failed."),
                   culprit_fn="eof_received")
        transport.close()
        b.close()
        await settle()
    log.info("gateway stopped")


run(main())
expect.write()
