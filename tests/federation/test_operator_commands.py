"""Operators' federation commands, run as the real `deliberate` program against a running node's database (refusals
and second reads through the same `main` in this process)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from deliberate.peers import service as peers
from tests.conftest import Node, Visitor
from tests.federation.support import host, member, settle, sql, start, value
from tests.federation.test_delivery_faults import _go_offline
from tests.runtime.cli_support import run_main
from tests.web.support import es
from web.state import STATE

BIN = Path(sys.executable).parent / "deliberate"


def _command(node: Node, *args: str) -> tuple[list[str], dict[str, str]]:
    command = ["federation", *args, "--database-url", node.settings.database_url,
               "--redis-url", node.settings.redis_url]  # fmt: skip
    env = {**os.environ, "DELIBERATE_SECRET_KEY": node.settings.secret_key,
           "DELIBERATE_PUBLIC_URL": node.base_url}  # fmt: skip
    return command, env


async def cli(node: Node, *args: str) -> subprocess.CompletedProcess[str]:
    """The real program, in its own process (it makes its own keys when it rotates them)."""
    command, env = _command(node, *args)
    return await asyncio.to_thread(
        subprocess.run, [str(BIN), *command], capture_output=True, text=True, env=env, timeout=120
    )


async def cli_here(node: Node, *args: str) -> subprocess.CompletedProcess[str]:
    """The same command's `main` in this process (tests/runtime/cli_support.py), for refusals and for reading the
    status again once a test has run the real program: without starting a new Python each time."""
    command, env = _command(node, *args)
    return await asyncio.to_thread(run_main, *command, env=env)


async def _obras_followed_from_vmt(node_factory: Any) -> tuple[Node, Node, Visitor, Visitor]:
    ves = await start(node_factory, "ves")
    vmt = await start(node_factory, "vmt")
    operator = await member(ves, "operadora", "operator")
    await operator.submit("/forums", {"name": "Obras"}, form_page="/forums/new")
    rosa = await member(vmt, "rosa")
    await rosa.submit("/forums/remote", {"address": f"obras@{host(ves)}"})
    await settle(ves, vmt)
    return ves, vmt, operator, rosa


async def test_status_block_and_key_rotation_from_the_command_line(node_factory: Any) -> None:
    ves, vmt, operator, _rosa = await _obras_followed_from_vmt(node_factory)

    status = await cli(ves, "status")
    assert status.returncode == 0 and host(vmt) in status.stdout and " ok " in status.stdout, status

    group_key = "SELECT public_key_pem FROM remote_actor WHERE uri = $1"
    before = await value(vmt, group_key, f"{ves.base_url}/f/obras")
    rotated = await cli(ves, "rotate-key", "f/obras")
    assert rotated.returncode == 0 and "1 inboxes" in rotated.stdout, rotated
    await settle(ves, vmt)
    assert await value(vmt, group_key, f"{ves.base_url}/f/obras") != before
    # Announces now signed with the new key are still heard.
    await operator.submit("/f/obras/threads", {"title": "Después de la rotación", "body": "Sigue llegando"},
                          form_page="/f/obras")  # fmt: skip
    await settle(ves, vmt)
    assert await value(vmt, "SELECT count(*) FROM thread WHERE title = 'Después de la rotación'") == 1

    blocked = await cli(ves, "block", host(vmt), "--reason", "pruebas")
    assert blocked.returncode == 0, blocked
    status = await cli_here(ves, "status")
    assert "blocked" in status.stdout
    assert (await cli_here(ves, "rotate-key", "x/nadie")).returncode == 2


def _line(output: str, server: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(server + " ")]
    assert len(lines) == 1, output
    return lines[0]


async def test_the_status_shows_a_failing_peers_queue_its_latest_error_and_only_a_pause_that_lasts(
    node_factory: Any,
) -> None:
    ves, vmt, operator, _rosa = await _obras_followed_from_vmt(node_factory)
    await _go_offline(vmt)
    await operator.submit("/f/obras/threads", {"title": "Sin respuesta", "body": "VMT no contesta"},
                          form_page="/f/obras")  # fmt: skip
    await ves.app[STATE].fed.worker.run_until_idle()
    pending = await value(ves, "SELECT count(*) FROM delivery WHERE state = 'pending' AND attempts = 1")
    latest = await value(ves, "SELECT last_error FROM delivery WHERE state = 'pending' ORDER BY id DESC LIMIT 1")
    assert pending >= 1 and latest, await sql(ves, "SELECT state, attempts, last_error FROM delivery")
    # A refusal from long ago, which an alphabetical pick among every row's error would show instead.
    await sql(ves, """INSERT INTO delivery (activity_id, inbox, host, body, signer_kind, signer_id, state,
                                            next_attempt_at, created_at, last_error)
                      VALUES ('https://ves.example/old', $1, $2, '\\x', 'group', 1, 'failed', now() - interval '9 days',
                              now() - interval '9 days', 'zz: HTTP 410 long ago')""",
              vmt.base_url + "/inbox", host(vmt))  # fmt: skip
    # The host was paused for a while; that pause has ended.
    await sql(ves, "UPDATE instance SET paused_until = now() - interval '1 minute' WHERE host = $1", host(vmt))

    line = _line((await cli(ves, "status")).stdout, host(vmt))
    assert line.split()[1:3] == [str(pending), "1"], line
    assert " ok " in line and "paused" not in line and latest[:60] in line and "zz" not in line, line
    async with ves.app[STATE].db.acquire() as conn:
        (row,) = [p for p in await peers.status(conn, as_admin=True) if p.host == host(vmt)]
    assert row.paused_until is None and row.last_error == latest and row.consecutive_failures >= 1, row

    await sql(ves, "UPDATE instance SET paused_until = now() + interval '1 hour' WHERE host = $1", host(vmt))
    assert "paused→" in _line((await cli_here(ves, "status")).stdout, host(vmt))


async def test_blocking_from_the_command_line_stores_the_host_as_the_web_form_does(node_factory: Any) -> None:
    ves = await start(node_factory, "ves")
    blocked = await cli(ves, "block", " Spam.Example ", "--reason", "spam")
    assert blocked.returncode == 0, blocked
    assert await value(ves, "SELECT host FROM instance WHERE blocked_at IS NOT NULL") == "spam.example"
    for wrong in ("https://spam.example/", "spam example", "admin@spam.example", ""):
        refused = await cli_here(ves, "block", wrong)
        assert refused.returncode == 2 and "host name" in refused.stderr, (wrong, refused)
    assert await value(ves, "SELECT count(*) FROM instance") == 1


async def test_operators_see_the_queue_per_peer_and_block_a_server_from_the_page(node_factory: Any) -> None:
    ves, vmt, operator, rosa = await _obras_followed_from_vmt(node_factory)

    response = await operator.get("/admin/federation")
    assert response.status == 200 and host(vmt) in operator.last_html
    assert (await rosa.get("/admin/federation")).status == 403  # on her own node she is a member, not an operator
    admin = "/admin/federation"
    refused = await operator.submit(admin + "/block", {"host": "no es un host/"}, form_page=admin)
    assert refused.status == 400 and await value(ves, "SELECT count(*) FROM instance WHERE blocked_at IS NOT NULL") == 0
    response = await operator.submit("/admin/federation/block", {"host": host(vmt), "reason": "spam"},
                                     form_page="/admin/federation")  # fmt: skip
    assert response.status == 200 and response.url.path == "/admin/federation"
    assert await value(ves, "SELECT block_reason FROM instance WHERE host = $1", host(vmt)) == "spam"
    response = await operator.submit("/admin/federation/unblock", {"host": host(vmt)}, form_page="/admin/federation")
    assert await value(ves, "SELECT blocked_at FROM instance WHERE host = $1", host(vmt)) is None


async def test_following_a_forum_that_is_not_one_says_why_and_changes_nothing(node_factory: Any) -> None:
    vmt = await start(node_factory, "vmt")
    rosa = await member(vmt, "rosa")
    for address, status, message in (
        ("esto no es una dirección", 400, "That address is not a forum on another node. Write it as name@server."),
        ("obras@127.0.0.1:1", 503, "We could not reach that server. Please check the address and try again later."),
        (f"rosa@{host(vmt)}", 400, "That address is not a forum on another node. Write it as name@server."),
    ):
        response = await rosa.submit("/forums/remote", {"address": address})
        assert response.status == status, (address, rosa.last_html)
        assert es(message) in rosa.last_html and address.split("@")[0] in rosa.last_html  # what she typed stays
    assert await value(vmt, "SELECT count(*) FROM forum") == 0
    assert await value(vmt, "SELECT count(*) FROM following") == 0
