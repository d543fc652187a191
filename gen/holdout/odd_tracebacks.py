"""Held-out scenario: tracebacks of unusual shape, with logging's default
format (``ERROR:name:message``, no time):

  * SyntaxError from compile() of a rule in ``<string>``: the caret lines
    and a ``File "<string>", line 1`` line that is not a frame (no ``in
    FUNC``); culprit: the function that called compile()
  * IndentationError importing a plugin file with a bad indent: the same
    non-frame line, with the plugin's path (an application path)
  * a function defined by exec() of source named ``<stdin>``: its frame
    (``File "<stdin>", line 3, in handler``) is application code
  * eval() of a bad expression: the innermost application frame is
    ``<string>``'s ``<module>``
  * RecursionError in a task, never retrieved ("[Previous line repeated
    N more times]"), and in a call_soon() callback (Exception in callback)
  * exceptions whose final line is the bare type: an empty message, and a
    message starting with a newline
  * a very long one-line message (3000 characters), never retrieved
  * socket.gaierror (a C module's exception), never retrieved
  * 3.11+: an exception with two notes (add_note) after its final line
  * Conn.__del__ failing three times in a row with "Event loop is
    closed" (``Exception ignored in: <function Conn.__del__ ...>``,
    3.6: ``<bound method Conn.__del__ of ...>``)
"""
# expected: holdout
import asyncio
import gc
import importlib
import logging
import os
import socket
import sys

from samplekit import (IN_CALLBACK, NEVER_RETRIEVED, PY, TRACEBACK,
                       UNRAISABLE, Expect, Tap, run, settle, spawn)

logging.basicConfig(level=logging.INFO, stream=sys.stderr)
log = logging.getLogger("rules")
tap = Tap(timed=False).attach()
expect = Expect()
HERE = os.path.dirname(os.path.abspath(__file__))

BROKEN_PLUGIN = '''"""A plugin with a bad indent."""


def setup(app):
    app.register("audit")
      app.register("export")
'''

SNIPPET = '''
def handler(event):
    ratio = event["hits"] / event["misses"]
    return ratio
'''


def load_rule(text):
    return compile(text, "<string>", "eval")


def load_plugin(name):
    return importlib.import_module("plugins." + name)


def run_snippet(event):
    ns = {}
    exec(compile(SNIPPET, "<stdin>", "exec"), ns)
    return ns["handler"](event)


def evaluate(expr, env):
    return eval(expr, {}, env)


def flatten(node):
    return flatten([node])


async def build_tree():
    await asyncio.sleep(0)
    return flatten(1)


def resolve_alias(name, aliases):
    return resolve_alias(aliases[name], aliases)


def check_quota(used):
    if used > 10:
        raise ValueError("")


def migrate(step):
    raise RuntimeError("\nstep %s: schema version mismatch" % step)


async def upload_blob(size):
    await asyncio.sleep(0)
    raise ValueError("payload rejected: " + "x" * 3000)


async def resolve_host(host):
    await asyncio.sleep(0)
    raise socket.gaierror(-2, "Name or service not known")


def validate_invoice(inv):
    err = ValueError("invoice %d: total does not match its lines" % inv)
    err.add_note("lines sum to 118.00, total says 120.00")
    err.add_note("see https://wiki.example.test/invoices#totals")
    raise err


class Conn:
    def __init__(self, loop, name):
        self.loop = loop
        self.name = name

    def __del__(self):
        with tap.catching("del Conn " + self.name):
            self.loop.call_soon(print, "closing", self.name)


def logged(fn, *args, label, exc, culprit, coroutine=None):
    try:
        fn(*args)
    except Exception:
        log.exception(label)
    expect.add(TRACEBACK, coroutine or culprit, exc, obs=tap.take(label),
               culprit_fn=culprit)


async def main():
    loop = asyncio.get_event_loop()
    log.info("rules engine starting")
    logged(load_rule, "price > ", label="bad rule 7", exc="SyntaxError",
           culprit="load_rule")

    os.makedirs(os.path.join(HERE, "plugins"), exist_ok=True)
    with open(os.path.join(HERE, "plugins", "__init__.py"), "w"):
        pass
    with open(os.path.join(HERE, "plugins", "audit_plugin.py"), "w") as f:
        f.write(BROKEN_PLUGIN)
    sys.path.insert(0, HERE)
    logged(load_plugin, "audit_plugin", label="plugin audit_plugin not loaded",
           exc="IndentationError", culprit="load_plugin")

    logged(run_snippet, {"hits": 3, "misses": 0}, label="snippet failed",
           exc="ZeroDivisionError", culprit="handler")
    logged(evaluate, "total / count", {"total": 1}, label="expression failed",
           exc="NameError", culprit="<module>")

    t = spawn(build_tree())
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "build_tree", "RecursionError",
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="flatten")

    loop.call_soon(resolve_alias, "a", {"a": "b", "b": "a"})
    await settle()
    expect.add(IN_CALLBACK, "resolve_alias", "RecursionError",
               obs=tap.take("Exception in callback resolve_alias"),
               culprit_fn="resolve_alias")

    logged(check_quota, 11, label="quota check failed", exc="ValueError",
           culprit="check_quota")
    logged(migrate, "0042", label="migration failed", exc="RuntimeError",
           culprit="migrate")

    t = spawn(upload_blob(3000))
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "upload_blob", "ValueError",
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="upload_blob")

    t = spawn(resolve_host("db.internal.test"))
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "resolve_host", "socket.gaierror",
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="resolve_host")

    if PY >= (3, 11):
        logged(validate_invoice, 907, label="invoice rejected",
               exc="ValueError", culprit="validate_invoice")
    log.info("rules engine stopped")


run(main())
closed = asyncio.new_event_loop()
closed.close()
conns = [Conn(closed, n) for n in ("db-1", "db-2", "db-3")]
del conns
gc.collect()
for n in ("db-1", "db-2", "db-3"):
    obs = tap.take("del Conn " + n)
    expect.add(UNRAISABLE, "Conn.__del__", "RuntimeError", obs=obs,
               culprit_fn="__del__")
tap.none_left("never retrieved")
expect.write()
