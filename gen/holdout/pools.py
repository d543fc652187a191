"""Held-out scenario: work done in thread and process pools, with a
logging format that names the thread (``[ThreadPoolExecutor-0_0]``).

  * a run_in_executor() job on a thread pool failing; the coroutine that
    awaited it logs it (python.traceback named after the job's culprit)
  * a task awaiting a thread-pool job, never retrieved
  * a ProcessPoolExecutor job failing: the exception comes back chained
    to a ``_RemoteTraceback`` whose message is the worker's whole
    traceback text, quoted in triple quotes, with its own "Traceback
    (most recent call last):" line; logged by the awaiting coroutine.
    One event: the chain is named after its last traceback (the
    awaiting side)
  * multiprocessing.Pool.apply_async(...).get() failing the same way
    (``multiprocessing.pool.RemoteTraceback``), logged from a thread
  * a logging record written from a pool thread itself
"""
# expected: holdout
import asyncio
import concurrent.futures
import logging
import multiprocessing
import sys
import threading

from samplekit import NEVER_RETRIEVED, TRACEBACK, Expect, Tap, run, settle, spawn

logging.basicConfig(
    level=logging.INFO, stream=sys.stderr,
    format="%(asctime)s [%(threadName)s] %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("media")
tap = Tap(timed=True).attach()
expect = Expect()


def decode_header(blob):
    if not blob.startswith(b"\x89PNG"):
        raise ValueError("not a PNG image (%d bytes)" % len(blob))


def make_thumbnail(blob):
    decode_header(blob)
    return blob[:16]


def checksum(path):
    with open(path, "rb") as f:
        return sum(f.read()) % 65536


def crunch(n):
    if n > 3:
        raise OverflowError("batch %d is larger than the worker limit" % n)
    return n * n


async def thumbnail(loop, blob):
    try:
        return await loop.run_in_executor(None, make_thumbnail, blob)
    except ValueError:
        log.exception("thumbnail failed")


async def verify_upload(loop, path):
    return await loop.run_in_executor(None, checksum, path)


async def score_batch(loop, pool, n):
    try:
        return await loop.run_in_executor(pool, crunch, n)
    except OverflowError:
        log.exception("batch %d failed", n)


def nightly_report(pool):
    try:
        return pool.apply_async(crunch, (9,)).get(timeout=20)
    except OverflowError:
        log.exception("nightly report failed")


def pool_thread_job(path):
    try:
        return checksum(path)
    except OSError:
        log.exception("checksum of %s failed in the pool", path)


async def main():
    loop = asyncio.get_event_loop()
    log.info("media worker starting")

    await thumbnail(loop, b"GIF89a....")
    expect.add(TRACEBACK, "decode_header", "ValueError",
               obs=tap.take("thumbnail failed"), culprit_fn="decode_header")

    t = spawn(verify_upload(loop, "/nonexistent/upload-7.bin"))
    await asyncio.sleep(0.2)
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "verify_upload", "FileNotFoundError",
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="checksum")

    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
        await score_batch(loop, pool, 7)
    obs = tap.take("batch 7 failed")
    expect.add(TRACEBACK, "score_batch", "OverflowError", obs=obs,
               culprit_fn="score_batch")

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as threads:
        await loop.run_in_executor(threads, pool_thread_job,
                                   "/nonexistent/upload-8.bin")
    expect.add(TRACEBACK, "checksum", "FileNotFoundError",
               obs=tap.take("checksum of /nonexistent/upload-8.bin"),
               culprit_fn="checksum")
    log.info("media worker idle")


if __name__ == "__main__":
    run(main())
    mp = multiprocessing.Pool(1)
    th = threading.Thread(target=nightly_report, args=(mp,), name="reporter")
    th.start()
    th.join()
    mp.close()
    mp.join()
    expect.add(TRACEBACK, "nightly_report", "OverflowError",
               obs=tap.take("nightly report failed"),
               culprit_fn="nightly_report")
    tap.none_left("failed")
    expect.write()
