"""`deliberate serve` runs on uvloop where it is installed, and on asyncio's own loop when `DELIBERATE_UVLOOP=false`."""

from __future__ import annotations

import asyncio

import pytest

from deliberate import cli
from deliberate.settings import Settings


async def _loop_module() -> int:
    return 1 if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else 0


def test_serve_runs_on_uvloop_unless_the_setting_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvloop")
    monkeypatch.delenv("DELIBERATE_UVLOOP", raising=False)
    assert Settings().uvloop is True
    assert cli._run_serving(_loop_module(), on_uvloop=Settings().uvloop) == 1
    monkeypatch.setenv("DELIBERATE_UVLOOP", "false")
    assert Settings().uvloop is False
    assert cli._run_serving(_loop_module(), on_uvloop=Settings().uvloop) == 0
