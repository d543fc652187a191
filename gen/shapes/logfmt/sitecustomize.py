"""Log-format hook for the shape runs (gen/shapes/regenerate.sh).

Python imports ``sitecustomize`` at start-up from any directory on
PYTHONPATH.  With ``TH_LOG_FORMAT`` set, this module wraps
``logging.basicConfig`` so that, after a scenario program configured logging
its own way (level, stream), every root handler gets the formatter named by
the variable instead of the program's format string.  Without the variable
it does nothing at all, so the scenario programs in gen/samples/ stay
untouched and produce their usual output.

  python-json-logger  one JSON object per record, imitating
                      python-json-logger 2.x ``JsonFormatter("%(asctime)s
                      %(levelname)s %(name)s %(message)s")``: keys asctime,
                      levelname, name, message, exc_info (the formatted
                      traceback), then the record's non-standard attributes
                      (on 3.12+ that is ``taskName``, which python-json-logger
                      2.x does not know as reserved); ``ensure_ascii`` on
                      (its default): non-ASCII as \\uXXXX escapes.
  structlog           one JSON object per record, imitating structlog's
                      stdlib ``ProcessorFormatter`` with foreign_pre_chain
                      [add_log_level, add_logger_name,
                      TimeStamper(fmt="iso", utc=True)], format_exc_info and
                      ``JSONRenderer(ensure_ascii=False)``: keys event, level
                      (lower case), logger, timestamp (ISO 8601 UTC, ``Z``),
                      exception; non-ASCII written as raw UTF-8.
  colorlog            imitating colorlog's ``ColoredFormatter("%(log_color)s
                      %(levelname)-8s%(reset)s %(blue)s%(message)s")`` with its
                      default colors and reset=True: the whole record,
                      traceback included, is colored; ESC[0m ends it.
  tsv                 plain logging with a tab-separated format
                      ``%(asctime)s\\t%(levelname)s\\t%(name)s\\t%(message)s``.
  syslog              every root handler replaced by a
                      ``logging.handlers.SysLogHandler`` on the socket
                      ``TH_SYSLOG_SOCKET`` names, ident ``TH_SYSLOG_IDENT``
                      (the syslog tag, e.g. ``billing: ``), format
                      ``%(levelname)s %(name)s: %(message)s``: a record of
                      several lines (a traceback) is one syslog message.

Only the standard library is used (no pip on the generating machine).
"""
import os

_FMT = os.environ.get("TH_LOG_FORMAT")

if _FMT:
    import datetime
    import json
    import logging
    import sys

    # attributes every LogRecord has; the rest are "extra" fields
    _STANDARD = set(vars(logging.LogRecord("n", 0, "p", 0, "m", None, None))) \
        | {"message", "asctime"}
    if sys.version_info >= (3, 12):
        # python-json-logger 2.x predates 3.12's LogRecord.taskName and
        # emits it as an extra field
        _STANDARD.discard("taskName")

    class PythonJsonLoggerFormatter(logging.Formatter):
        def format(self, record):
            record.message = record.getMessage()
            record.asctime = self.formatTime(record, self.datefmt)
            doc = {
                "asctime": record.asctime,
                "levelname": record.levelname,
                "name": record.name,
                "message": record.message,
            }
            if record.exc_info:
                doc["exc_info"] = self.formatException(record.exc_info)
            elif record.exc_text:
                doc["exc_info"] = record.exc_text
            if record.stack_info:
                doc["stack_info"] = self.formatStack(record.stack_info)
            for key, value in vars(record).items():
                if key not in _STANDARD and key not in doc:
                    doc[key] = value
            return json.dumps(doc, default=str)

    class StructlogFormatter(logging.Formatter):
        def format(self, record):
            ts = datetime.datetime.fromtimestamp(
                record.created, tz=datetime.timezone.utc)
            doc = {
                "event": record.getMessage(),
                "level": record.levelname.lower(),
                "logger": record.name,
                "timestamp": ts.isoformat().replace("+00:00", "Z"),
            }
            if record.exc_info:
                doc["exception"] = self.formatException(record.exc_info)
            return json.dumps(doc, ensure_ascii=False, default=str)

    class ColorlogFormatter(logging.Formatter):
        ESC = {"reset": "\033[0m", "blue": "\033[34m"}
        LEVEL = {"DEBUG": "\033[37m", "INFO": "\033[32m",
                 "WARNING": "\033[33m", "ERROR": "\033[31m",
                 "CRITICAL": "\033[01;31m"}

        def __init__(self):
            logging.Formatter.__init__(
                self, "%(log_color)s%(levelname)-8s%(reset)s "
                      "%(blue)s%(message)s")

        def formatMessage(self, record):
            record.log_color = self.LEVEL.get(record.levelname, "")
            record.reset = self.ESC["reset"]
            record.blue = self.ESC["blue"]
            return logging.Formatter.formatMessage(self, record)

        def format(self, record):
            message = logging.Formatter.format(self, record)
            if not message.endswith(self.ESC["reset"]):
                message += self.ESC["reset"]
            return message

    def _formatter():
        if _FMT == "python-json-logger":
            return PythonJsonLoggerFormatter()
        if _FMT == "structlog":
            return StructlogFormatter()
        if _FMT == "colorlog":
            return ColorlogFormatter()
        if _FMT == "tsv":
            return logging.Formatter(
                "%(asctime)s\t%(levelname)s\t%(name)s\t%(message)s")
        raise SystemExit("TH_LOG_FORMAT: unknown format %r" % _FMT)

    _basic_config = logging.basicConfig

    def _syslog_handler():
        import logging.handlers
        handler = logging.handlers.SysLogHandler(
            address=os.environ["TH_SYSLOG_SOCKET"])
        handler.ident = os.environ.get("TH_SYSLOG_IDENT", "")
        handler.setFormatter(
            logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        return handler

    def basicConfig(*args, **kwargs):
        _basic_config(*args, **kwargs)
        root = logging.getLogger()
        for handler in list(root.handlers):
            if _FMT == "syslog":
                root.removeHandler(handler)
                root.addHandler(_syslog_handler())
            else:
                handler.setFormatter(_formatter())

    logging.basicConfig = basicConfig
