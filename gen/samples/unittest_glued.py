"""Scenario: reports that start in the middle of a line, after the
"test_name (module.Class) ... " that unittest's verbose runner writes
before running a test (the report comes before the test's "ok"):

  * a coroutine send_reminder called without await:
    "... /tmp/app/unittest_glued.py:NN: RuntimeWarning: coroutine
    'send_reminder' was never awaited"
  * a task of refresh_cache that fails and is collected during the test:
    "... Task exception was never retrieved" (logging's last-resort
    handler: bare lines)
  * asyncio debug mode's slow-callback warning for a blocking callback:
    "... Executing <Handle rebuild_index() ...> took 0.15x seconds"
"""
# expected: next
import asyncio
import gc
import sys
import time
import unittest

from samplekit import (NEVER_AWAITED, NEVER_RETRIEVED, SLOW_CALLBACK, Expect,
                       Tap, bare_stderr_logging, defined_at, task_name)

bare_stderr_logging()
tap = Tap(timed=False).attach()
expect = Expect()


async def send_reminder(user_id):
    await asyncio.sleep(0)


async def refresh_cache(key):
    await asyncio.sleep(0)
    raise LookupError("cache key %r vanished during refresh" % key)


def rebuild_index():
    time.sleep(0.15)


def in_new_loop(coro, debug=False):
    loop = asyncio.new_event_loop()
    loop.set_debug(debug)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


class ReminderTests(unittest.TestCase):
    def test_a_reminder_is_sent(self):
        send_reminder(7)
        expect.add(NEVER_AWAITED, "send_reminder", culprit_fn=None,
                   message=None, time=None)

    def test_b_cache_refreshes_in_background(self):
        async def scenario():
            t = asyncio.get_event_loop().create_task(refresh_cache("user:7"))
            name = task_name(t)
            for _ in range(3):
                await asyncio.sleep(0)
            del t
            gc.collect()
            return name
        name = in_new_loop(scenario())
        expect.add(NEVER_RETRIEVED, "refresh_cache", "LookupError", task=name,
                   defined_at=defined_at(refresh_cache),
                   obs=tap.take("Task exception was never retrieved"),
                   culprit_fn="refresh_cache")

    def test_c_index_rebuild_is_scheduled(self):
        async def scenario():
            asyncio.get_event_loop().call_soon(rebuild_index)
            await asyncio.sleep(0.01)
        in_new_loop(scenario(), debug=True)
        expect.add(SLOW_CALLBACK, "rebuild_index", culprit_fn=None,
                   obs=tap.take("Executing <Handle rebuild_index"))


unittest.main(argv=[sys.argv[0]], verbosity=2, exit=False)
tap.none_left("Executing <")
expect.write()
