"""Held-out scenario: a supervisor whose child processes share its stderr,
as cron wrappers and process managers run them.  Each child dies of an
uncaught exception printed by its interpreter:

  * ``python3 -m jobs.nightly``: runpy's frames above the job's (3.11+
    ``<frozen runpy>``, older versions runpy.py of the standard library)
  * ``python3 -c "..."``: frames in ``<string>``, ``<module>`` the
    culprit
  * ``python3 -`` with the program on standard input: frames in
    ``<stdin>``; the exception is chained ("During handling ...")
  * a child killed by an asyncio crash: asyncio.run() out of a coroutine
    defined in ``<string>``

The supervisor logs "job ... exited with status 1" (ERROR records without
a traceback: no events).  Each child reports its own exception (type,
message, culprit) to the supervisor through a file, from its
sys.excepthook: the facts come from the live objects, as everywhere.
"""
# expected: holdout
import json
import logging
import os
import subprocess
import sys
import tempfile
import types

from samplekit import TRACEBACK, Expect

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(name)s[%(process)d] %(levelname)s %(message)s")
log = logging.getLogger("supervisor")
expect = Expect()
HERE = os.path.dirname(os.path.abspath(__file__))

# installed in every child before its own code: reports the uncaught
# exception's facts to the file $TH_CHILD_FACTS, then lets the real hook
# print it
HOOK = r'''
import json as _j, os as _o, sys as _s
import samplekit as _k
def _hook(t, v, tb, _prev=_s.excepthook):
    with open(_o.environ["TH_CHILD_FACTS"], "w") as _f:
        _j.dump({"exception": _k.printed_type(v), "message": _k.message_of(v),
                 "culprit": _k.culprit_of(tb)}, _f)
    _prev(t, v, tb)
_s.excepthook = _hook
'''

NIGHTLY = '''"""The nightly job, run as python3 -m jobs.nightly."""
import sitecustomize_hook  # noqa: F401


def rotate(path):
    with open(path) as f:
        return f.read()


def main():
    rotate("/nonexistent/archive/2026-12-03.tar")


if __name__ == "__main__":
    main()
'''

ONE_LINER = ("import sitecustomize_hook\n"
             "rows = [1, 2, 0]\n"
             "print(sum(100 // r for r in rows))\n")

STDIN_PROGRAM = '''import sitecustomize_hook
import json
def load(text):
    try:
        return json.loads(text)
    except ValueError:
        raise RuntimeError("settings are not JSON")
load("{'a': 1}")
'''

ASYNC_PROGRAM = '''import sitecustomize_hook
import asyncio
async def consume(q):
    item = await q.get()
    return item["id"]
async def main():
    q = asyncio.Queue()
    q.put_nowait({"name": "x"})
    await consume(q)
asyncio.run(main()) if hasattr(asyncio, "run") else asyncio.get_event_loop().run_until_complete(main())
'''


def run_child(name, args, stdin=None):
    facts = tempfile.mktemp(prefix="child-facts-")
    env = dict(os.environ, TH_CHILD_FACTS=facts,
               PYTHONPATH=HERE)
    log.info("starting job %s", name)
    p = subprocess.Popen([sys.executable] + args, env=env, cwd=HERE,
                         stdin=subprocess.PIPE if stdin else None,
                         stderr=sys.stderr, stdout=sys.stderr)
    p.communicate(stdin.encode() if stdin else None)
    rc = p.returncode
    log.error("job %s exited with status %d", name, rc)
    with open(facts) as f:
        got = json.load(f)
    os.unlink(facts)
    return types.SimpleNamespace(time=None, **got)


def main():
    with open(os.path.join(HERE, "sitecustomize_hook.py"), "w") as f:
        f.write(HOOK)
    os.makedirs(os.path.join(HERE, "jobs"), exist_ok=True)
    with open(os.path.join(HERE, "jobs", "__init__.py"), "w"):
        pass
    with open(os.path.join(HERE, "jobs", "nightly.py"), "w") as f:
        f.write(NIGHTLY)

    obs = run_child("nightly", ["-m", "jobs.nightly"])
    expect.add(TRACEBACK, "rotate", "FileNotFoundError", obs=obs,
               culprit_fn="rotate")
    obs = run_child("ratios", ["-c", ONE_LINER])
    expect.add(TRACEBACK, "<genexpr>", "ZeroDivisionError", obs=obs,
               culprit_fn="<genexpr>")
    obs = run_child("settings", ["-"], stdin=STDIN_PROGRAM)
    expect.add(TRACEBACK, "load", "RuntimeError", obs=obs, culprit_fn="load")
    obs = run_child("consumer", ["-c", ASYNC_PROGRAM])
    expect.add(TRACEBACK, "consume", "KeyError", obs=obs,
               culprit_fn="consume")
    log.info("all jobs done")


main()
expect.write()
