"""The log handler `deliberate serve` writes with: the lines of one turn of the event loop in one write, in order,
and nothing left waiting once the turn is over or outside a loop."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http import HTTPStatus

import pytest

from web import logs as logs_module
from web.logs import LoopBatchedStreamHandler


class CountingStream(io.StringIO):
    """A stream that counts the writes it gets (each is a system call on a real file)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, CountingStream]]:
    stream = CountingStream()
    handler = LoopBatchedStreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("deliberate.test.batched")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


async def test_the_lines_of_one_loop_turn_are_written_in_order_with_one_write_at_its_end(
    logged: tuple[logging.Logger, CountingStream],
) -> None:
    logger, stream = logged
    for n in range(5):
        logger.info("line %d", n)
    assert stream.getvalue() == ""  # still this turn
    await asyncio.sleep(0)
    assert stream.getvalue() == "".join(f"line {n}\n" for n in range(5)) and stream.writes == 1
    logger.info("next turn")
    await asyncio.sleep(0)
    assert stream.getvalue().endswith("line 4\nnext turn\n") and stream.writes == 2


def test_a_line_logged_outside_an_event_loop_is_written_at_once(
    logged: tuple[logging.Logger, CountingStream],
) -> None:
    logger, stream = logged
    logger.info("starting")
    assert stream.getvalue() == "starting\n"


async def test_a_line_from_another_thread_is_written_at_once_after_the_lines_waiting_before_it(
    logged: tuple[logging.Logger, CountingStream],
) -> None:
    logger, stream = logged
    logger.info("from the loop")
    worker = threading.Thread(target=logger.info, args=("from a thread",))
    worker.start()
    worker.join()
    assert stream.getvalue() == "from the loop\nfrom a thread\n"
    await asyncio.sleep(0)
    assert stream.getvalue() == "from the loop\nfrom a thread\n"  # nothing written twice


def _log_as_the_loop_stops(logger: logging.Logger, message: str) -> None:
    """Log `message` in the last turn of a loop, which stops before the flush it scheduled can run."""
    loop = asyncio.new_event_loop()
    loop.call_soon(logger.info, message)
    loop.call_soon(loop.stop)
    loop.run_forever()
    loop.close()


def test_a_loop_that_stopped_before_its_flush_leaves_no_line_behind(
    logged: tuple[logging.Logger, CountingStream],
) -> None:
    logger, stream = logged
    _log_as_the_loop_stops(logger, "last words")
    assert stream.getvalue() == ""

    async def log_again() -> None:
        logger.info("next loop")

    asyncio.run(log_again())  # the next loop writes what waits, then its own line
    assert stream.getvalue() == "last words\nnext loop\n"
    _log_as_the_loop_stops(logger, "once more")
    logger.info("after")  # outside any loop: at once, after what waits
    assert stream.getvalue().endswith("next loop\nonce more\nafter\n")


def test_flush_writes_what_waits_as_logging_shutdown_does(logged: tuple[logging.Logger, CountingStream]) -> None:
    logger, stream = logged
    _log_as_the_loop_stops(logger, "waiting")
    assert stream.getvalue() == ""
    for handler in logger.handlers:
        handler.flush()
    assert stream.getvalue() == "waiting\n"


def test_the_line_encoder_writes_what_the_standard_json_encoder_writes() -> None:
    standard = json.JSONEncoder(ensure_ascii=False, default=str).encode
    values: list[object] = [
        {"time": "2026-12-07T13:01:35.901+00:00", "status": HTTPStatus.OK, "ms": 0.1, "client": "127.0.0.1"},
        {"texto": 'año ñandú \u2028 "citado" \\ \n', "when": datetime(2026, 12, 4, tzinfo=UTC), "none": None},
        {"nested": {"list": [1, 2.5, True, False, None, "x"], "tuple": (1, "a")}, 1: "int key", 2.5: "float key"},
        {"nan": float("nan"), "inf": float("inf"), "big": 10**30, "neg": -0.0, "set": {1}},
    ]
    for value in values:
        assert logs_module._encode(value) == standard(value)
