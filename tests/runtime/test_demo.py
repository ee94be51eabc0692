"""`deliberate demo` (what `make demo` runs): two district nodes with sample content, stopped cleanly by Ctrl-C,
and a second run reuses the data."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from deliberate.runtime.embedded import free_port

BIN = Path(sys.executable).parent / "deliberate"


def start_demo(data_dir: Path, base_port: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [str(BIN), "demo", "--data-dir", str(data_dir), "--base-port", str(base_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    banner, deadline = "", time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        banner += line
        if "Ctrl-C" in line:
            return process, banner
    process.kill()
    raise AssertionError(f"the demo did not start:\n{banner}")


async def page(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def login_status(url: str, username: str, password: str) -> int:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        html = await (await session.get(url + "/login")).text()
        token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = await session.post(
            url + "/login", data={"username": username, "password": password, "csrf_token": token}
        )
        return response.status


def test_the_demo_runs_two_seeded_nodes_and_stops_everything(tmp_path: Path) -> None:
    base = free_port()
    while base > 65000:
        base = free_port()
    ves, vmt = f"http://127.0.0.1:{base}", f"http://127.0.0.1:{base + 1}"
    process, banner = start_demo(tmp_path / "demo", base)
    try:
        assert ves in banner and vmt in banner and "demo-clave-2026" in banner
        status, html = asyncio.run(page(ves + "/"))
        assert status == 200 and "Villa El Salvador" in html
        status, html = asyncio.run(page(vmt + "/"))
        assert status == 200 and "Villa María del Triunfo" in html
        assert asyncio.run(login_status(ves, "rosa.quispe", "demo-clave-2026")) == 200
        assert asyncio.run(login_status(vmt, "maria.flores", "demo-clave-2026")) == 200
        assert asyncio.run(login_status(vmt, "rosa.quispe", "demo-clave-2026")) == 401  # each node its own people
        # Already federating: each node follows the other's district forum and has its recent threads.
        mirror = f"/f/presupuesto-participativo-2027@127.0.0.1:{base}"
        deadline, html = time.monotonic() + 30, ""
        while time.monotonic() < deadline:
            status, html = asyncio.run(page(vmt + mirror))
            if status == 200 and "centro de cómputo" in html:
                break
            time.sleep(0.1)
        assert "centro de cómputo" in html, html
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
    for district in ("ves", "vmt"):
        assert not (tmp_path / "demo" / district / "postgres" / "pgdata" / "postmaster.pid").exists()

    process, _ = start_demo(tmp_path / "demo", base)  # the second run reuses the data
    try:
        assert asyncio.run(login_status(ves, "rosa.quispe", "demo-clave-2026")) == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
