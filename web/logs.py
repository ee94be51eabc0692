"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

The request id travels in a context variable set by the observing middleware, so any logger called while a
request is handled (a service, the database layer) is tagged without passing the id around.

Every request writes a line, so the JSON formatter is kept cheap: one encoder for the process (`json.dumps` with
options builds a new one per call) and the time of day formatted once per second; and the lines logged during one
turn of the event loop are written together, at the end of that turn, with one system call rather than one each
(`LoopBatchedStreamHandler`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def _line_encoder() -> Callable[[object], str]:
    """`json.JSONEncoder(ensure_ascii=False, default=str).encode`: separators ", " and ": ", non-ASCII kept, anything
    that is not JSON as its str(). On CPython, from one C encoder for the process, which `encode` would build again
    for every line; without circular-reference bookkeeping, as a log line's fields are never circular (if one were,
    the formatter's error would be reported like any other, by `Handler.handleError`)."""
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:
        return json.JSONEncoder(ensure_ascii=False, default=str).encode
    encoder = make_encoder(None, str, json.encoder.encode_basestring, None, ": ", ", ", False, False, True)

    def encode(value: object) -> str:
        return "".join(encoder(value, 0))

    return encode


_encode = _line_encoder()


def log_fields(logger: logging.Logger, level: int, message: str, fields: dict[str, object]) -> None:
    """`logger.log(level, message, extra={"fields": fields})` without looking up the calling line, which no
    formatter here prints, nor checking `extra` against the record's own attributes; for lines written on every
    request. The caller checks `logger.isEnabledFor(level)`."""
    record = logging.getLogRecordFactory()(logger.name, level, __file__, 0, message, (), None)
    record.fields = fields
    logger.handle(record)


_NO_FIELDS: dict[str, object] = {}


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
        extra = getattr(record, "fields", None)
        # One dict display: the record's own fields first, then its `fields`, which replace any of the same name in
        # place (as `dict.update` would).
        entry: dict[str, object] = {
            "time": self.timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
            **(extra if isinstance(extra, dict) else _NO_FIELDS),
        }
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


class LoopBatchedStreamHandler(logging.StreamHandler[TextIO]):
    """A stream handler that writes the lines logged during one turn of an event loop at the end of that turn, all
    with one write: under load a turn answers many requests, each logging a line (a system call each, otherwise).

    Lines come out in the order they were logged, complete, and no later than the loop's current turn: a line
    logged outside a running loop (another thread, start-up, shutdown) is written at once, with any waiting before
    it. `flush()` writes whatever waits; `logging.shutdown()` calls it at exit."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._waiting: list[str] = []
        self._flush_on: asyncio.AbstractEventLoop | None = None  # the loop a flush is scheduled on, if any
        self._flush_thread = 0  # the thread running that loop

    def emit(self, record: logging.LogRecord) -> None:
        # Called with the handler's lock held (`Handler.handle`).
        try:
            line = self.format(record)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)
            return
        self._waiting.append(line + self.terminator)
        scheduled = self._flush_on
        thread = threading.get_ident()
        # Logged during a turn of the loop whose flush will write it: the usual case, so the cheapest check first
        # (`asyncio.get_running_loop` makes a getpid() system call on every call on Python 3.11).
        if scheduled is not None and self._flush_thread == thread and scheduled.is_running():
            return
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            self.flush()
        elif loop is not scheduled:
            # A flush scheduled on a loop that has since stopped never runs: a new loop schedules its own.
            self._flush_on, self._flush_thread = loop, thread
            loop.call_soon(self.flush)

    def flush(self) -> None:
        with self.lock or contextlib.nullcontext():
            waiting, self._waiting, self._flush_on = self._waiting, [], None
            try:
                if waiting:
                    self.stream.write("".join(waiting))
                self.stream.flush()
            except Exception:
                # As `Handler.handleError` does: a failed log write is reported on stderr, never raised into the
                # caller (here an event loop, whose own error report would log, and so write, again).
                if logging.raiseExceptions:
                    with contextlib.suppress(Exception):
                        traceback.print_exc(file=sys.stderr)


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Called once by the command line entry point (the composition root), never by library code."""
    handler = LoopBatchedStreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # No formatter here prints the process or thread: don't look them up for every record.
    logging.logProcesses = logging.logThreads = logging.logMultiprocessing = False
