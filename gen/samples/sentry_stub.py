"""A minimal imitation of sentry_sdk's asyncio integration (no network).

Like ``sentry_sdk.integrations.asyncio.patch_asyncio`` it installs a task
factory that wraps every new task's coroutine in
``_coro_creating_hub_and_span``, which awaits the real coroutine, reports
its exception and re-raises it through ``reraise``.  The task's repr
therefore shows the wrapper
(``coro=<patch_asyncio.<locals>._sentry_task_factory.<locals>._coro_creating_hub_and_span() ...>``)
and the traceback shows the wrapper frames above the real coroutine's.
"""
import asyncio
import logging
import sys

logger = logging.getLogger("sentry_sdk.errors")


def reraise(tp, value, tb=None):
    assert value is not None
    if value.__traceback__ is not tb:
        raise value.with_traceback(tb)
    raise value


class Span:
    def __init__(self, op, description):
        self.op = op
        self.description = description

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Hub:
    current = None

    def __init__(self, parent=None):
        self.parent = parent

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def start_span(self, op, description):
        return Span(op, description)

    def capture_exception(self, exc_info):
        logger.debug("captured event for %s", exc_info[0].__name__)


Hub.current = Hub()


def _capture_exception(hub):
    exc_info = sys.exc_info()
    hub.capture_exception(exc_info)
    return exc_info


def get_name(coro):
    return getattr(coro, "__qualname__", None) or getattr(coro, "__name__", "?")


def patch_asyncio():
    loop = asyncio.get_event_loop()
    orig_task_factory = loop.get_task_factory()

    def _sentry_task_factory(loop, coro, **kwargs):

        async def _coro_creating_hub_and_span():
            hub = Hub(Hub.current)
            result = None
            with hub:
                with hub.start_span(op="function", description=get_name(coro)):
                    try:
                        result = await coro
                    except Exception:
                        reraise(*_capture_exception(hub))
            return result

        if orig_task_factory:
            return orig_task_factory(loop, _coro_creating_hub_and_span(), **kwargs)
        task = asyncio.Task(_coro_creating_hub_and_span(), loop=loop, **kwargs)
        if task._source_traceback:
            del task._source_traceback[-1]
        return task

    loop.set_task_factory(_sentry_task_factory)


def init(dsn=None):
    logger.info("sentry initialized (dsn=%s)", dsn)
    patch_asyncio()
