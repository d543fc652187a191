"""Scenario for the shapes (gen/shapes/): failures whose text needs escaping.

Double and single quotes, backslashes (Windows and UNC paths), a tab,
non-ASCII letters and an emoji outside the Basic Multilingual Plane (a
surrogate pair once JSON-escaped) appear in exception messages, in the reprs
on the ``future:`` and ``handle:`` lines, in a task name and in coroutine and
function names.  Run plain (escapes-plain.log) and through the JSON log
formatters (json-*.log), it checks that decoding and unescaping give back
the same events.

  * never retrieved: ``größe_prüfen`` raising ValueError (quotes, a
    backslash path, a tab, „unicode“, 🐍), in a task named
    ``export "Q3" – Zoë``;
  * never retrieved: ``sync_quota`` raising RuntimeError whose message is
    two lines and holds a JSON document with escaped quotes and a UNC path;
  * Exception in callback: ``charger_fichier`` raising FileNotFoundError for
    a path full of backslashes and quotes (also in the handle's repr);
  * logger.exception(): a python.traceback event whose innermost frame is
    ``décoder_réponse`` (KeyError with quotes and non-ASCII), logged with a
    two-line message whose second line starts with a tab.
"""
import asyncio
import json
import logging
import sys

from samplekit import (IN_CALLBACK, NEVER_RETRIEVED, TRACEBACK, Expect, Tap,
                       defined_at, printed_type, run, settle, spawn,
                       task_name)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("exporter")
tap = Tap(timed=True).attach()
expect = Expect()


async def größe_prüfen(pfad):
    await asyncio.sleep(0)
    raise ValueError('Größe von "%s" ungültig: „%s“ ✗ 🐍' % (pfad, "1,5\tMiB"))


async def sync_quota(account):
    await asyncio.sleep(0)
    body = json.dumps({"error": 'quota "exceeded"', "path": "\\\\srv\\share\\%s" % account})
    raise RuntimeError("upstream said: %s\nretry after 30s" % body)


def charger_fichier(chemin):
    with open(chemin) as f:
        return f.read()


def décoder_réponse(corps):
    return corps['clé "manquante" – ünïcode']


async def main():
    loop = asyncio.get_event_loop()
    log.info("export démarré")

    t = spawn(größe_prüfen("C:\\Exports\\données.csv"), name='export "Q3" – Zoë')
    name = task_name(t)
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "größe_prüfen", printed_type(ValueError),
               task=name, defined_at=defined_at(größe_prüfen),
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="größe_prüfen")

    t = spawn(sync_quota("acme"))
    name = task_name(t)
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "sync_quota", printed_type(RuntimeError),
               task=name, defined_at=defined_at(sync_quota),
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="sync_quota")

    loop.call_soon(charger_fichier, 'C:\\Users\\Zoë\\"rapport" 2024.txt')
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    expect.add(IN_CALLBACK, "charger_fichier", printed_type(FileNotFoundError),
               obs=tap.take("Exception in callback charger_fichier("),
               culprit_fn="charger_fichier")

    try:
        décoder_réponse({"clé": "C:\\temp"})
    except KeyError:
        log.exception('réponse invalide du serveur «api»:\n\t{"clé": "C:\\\\temp"}')
    expect.add(TRACEBACK, "décoder_réponse", printed_type(KeyError),
               obs=tap.take("réponse invalide du serveur"),
               culprit_fn="décoder_réponse")
    log.info("export terminé")


run(main())
expect.write()
