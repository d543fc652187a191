"""Held-out scenario: tracebacks whose frames carry the paths of other
machines (Windows installs, macOS framework and Homebrew builds, a user
site, eggs) and application paths that only look like library ones.

The code really runs: each module's source is compiled under the path it
would have there (``compile(src, PATH, "exec")``) and put in linecache,
so CPython prints those paths, and the source lines, in its tracebacks.
Which frames are library code follows the frame rule of README.md
("What it finds"): site-packages, dist-packages, lib/pythonX.Y, frozen
modules; everything else, ``C:\\bots\\...`` and ``/srv/app/lib/`` too, is
the application's (``samplekit.is_library``).  Windows standard-library
paths (``C:\\Python311\\Lib\\``) are left out: the rule leaves them open.

  * a discord-like library under a Windows site-packages awaiting an
    application handler under ``C:\\bots\\``, which fails (logged)
  * an aiohttp-like connector under a Windows user site
    (``AppData\\Roaming\\Python\\Python38\\site-packages``) failing below
    the application's fetch_page (a task, never retrieved)
  * a macOS framework build's lib/python3.11 and Homebrew's
    site-packages below an application under /Users/ (logged)
  * ~/.local/lib/python3.10/site-packages (a Telethon-like dispatcher)
    calling the application's handler (a task, never retrieved)
  * an egg under dist-packages below an application module under
    /srv/app/lib/ (application code: no lib/pythonX.Y), logged
"""
# expected: holdout
import asyncio
import linecache
import logging
import sys

from samplekit import NEVER_RETRIEVED, TRACEBACK, Expect, Tap, run, settle

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("paths")
tap = Tap(timed=True).attach()
expect = Expect()


def load(path, src, name="app", **env):
    """The module NAME with source SRC as if it lived at PATH (its source
    in linecache)."""
    lines = src.splitlines(True)
    linecache.cache[path] = (len(src), None, lines, path)
    ns = dict(env, __name__=name)
    exec(compile(src, path, "exec"), ns)
    return ns


WIN_SITE = "C:\\Users\\ann\\AppData\\Local\\Programs\\Python\\Python311\\Lib\\site-packages"
discord = load(WIN_SITE + "\\discord\\client.py", '''
async def _run_event(coro, event_name, *args):
    await coro(*args)


async def dispatch(handler, message):
    await _run_event(handler, "on_message", message)
''')
cog = load("C:\\bots\\music\\cogs\\player.py", '''
def queue_position(message):
    return message["queue"].index(message["track"])


async def on_message(message):
    return queue_position(message)
''')

USER_SITE = "C:\\Users\\ann\\AppData\\Roaming\\Python\\Python38\\site-packages"
connector = load(USER_SITE + "\\aiohttp\\connector.py", name="aiohttp.connector", src='''
class ClientConnectorError(OSError):
    pass


async def _create_connection(host):
    raise ClientConnectorError("Cannot connect to host %s:443 ssl:default" % host)


async def connect(host):
    return await _create_connection(host)
''')
scraper = load("D:\\work\\scraper\\fetch.py", '''
async def fetch_page(url):
    host = url.split("/")[2]
    return await connector["connect"](host)
''', connector=connector)

MAC_STD = "/Library/Frameworks/Python.framework/Versions/3.11/lib/python3.11"
mac_json = load(MAC_STD + "/json/decoder.py", '''
def raw_decode(s):
    if not s.startswith("{"):
        raise ValueError("Expecting value: line 1 column 1 (char 0)")
    return {}
''')
httpx = load("/opt/homebrew/lib/python3.12/site-packages/httpx/_models.py", '''
def json_body(text):
    return decoder["raw_decode"](text)
''', decoder=mac_json)
mac_app = load("/Users/ann/dev/pricebot/main.py", '''
def refresh_prices(body):
    return httpx["json_body"](body)
''', httpx=httpx)

telethon = load("/home/ann/.local/lib/python3.10/site-packages/telethon/client/updates.py", '''
async def _dispatch_update(handler, update):
    return await handler(update)
''')
bot = load("/home/ann/bots/notify/handlers.py", '''
async def on_new_message(update):
    return update.text.upper()


async def run_dispatch(update):
    return await telethon["_dispatch_update"](on_new_message, update)
''', telethon=telethon)

egg = load("/usr/lib/python3/dist-packages/pyreports-1.0.egg/pyreports/render.py", '''
def render(rows):
    return "\\n".join("%s: %s" % (r[0], r[1]) for r in rows)
''')
srv = load("/srv/app/lib/reports.py", '''
def monthly_report(rows):
    return render["render"](rows)
''', render=egg)


async def main():
    log.info("paths starting")
    try:
        await discord["dispatch"](cog["on_message"],
                                  {"queue": ["a", "b"], "track": "c"})
    except ValueError:
        log.exception("Ignoring exception in on_message")
    expect.add(TRACEBACK, "queue_position", "ValueError",
               obs=tap.take("Ignoring exception in on_message"),
               culprit_fn="queue_position")

    t = asyncio.get_event_loop().create_task(
        scraper["fetch_page"]("https://shop.example.test/items"))
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "fetch_page",
               "aiohttp.connector.ClientConnectorError",
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="fetch_page")

    try:
        mac_app["refresh_prices"]("<html>")
    except ValueError:
        log.exception("price refresh failed")
    expect.add(TRACEBACK, "refresh_prices", "ValueError",
               obs=tap.take("price refresh failed"),
               culprit_fn="refresh_prices")

    t = asyncio.get_event_loop().create_task(bot["run_dispatch"](None))
    del t
    await settle()
    expect.add(NEVER_RETRIEVED, "run_dispatch", "AttributeError",
               obs=tap.take("Task exception was never retrieved"),
               culprit_fn="on_new_message")

    try:
        srv["monthly_report"]([("jan", 1), ("feb",)])
    except IndexError:
        log.exception("report failed")
    expect.add(TRACEBACK, "monthly_report", "IndexError",
               obs=tap.take("report failed"), culprit_fn="monthly_report")
    log.info("paths done")


run(main())
tap.none_left("never retrieved")
expect.write()
