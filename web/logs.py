"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

The request id travels in a context variable set by the observing middleware, so any logger called while a
request is handled (a service, the database layer) is tagged without passing the id around.

Every request writes a line, so the JSON formatter is kept cheap: one encoder for the process (`json.dumps` with
options builds a new one per call) and the time of day formatted once per second.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


def log_fields(logger: logging.Logger, level: int, message: str, fields: dict[str, object]) -> None:
    """`logger.log(level, message, extra={"fields": fields})` without looking up the calling line, which no
    formatter here prints; for lines written on every request. The caller checks `logger.isEnabledFor(level)`."""
    logger.handle(logger.makeRecord(logger.name, level, __file__, 0, message, (), None, extra={"fields": fields}))


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._second: tuple[int, str] = (-1, "")

    def timestamp(self, created: float) -> str:
        """`created` as ISO 8601 in UTC with milliseconds, as `datetime.isoformat(timespec="milliseconds")`."""
        micros = round(created * 1_000_000)
        second, fraction = divmod(micros, 1_000_000)
        cached = self._second
        if cached[0] != second:
            cached = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
            self._second = cached  # one assignment: safe if two threads log at once
        return f"{cached[1]}.{fraction // 1000:03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encode(entry)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname:<7} [{request_id_var.get()}] {record.name}: {record.getMessage()}"
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            line += " " + " ".join(f"{key}={value}" for key, value in extra.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Called once by the command line entry point (the composition root), never by library code."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # No formatter here prints the process or thread: don't look them up for every record.
    logging.logProcesses = logging.logThreads = logging.logMultiprocessing = False
