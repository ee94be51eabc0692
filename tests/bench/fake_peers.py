"""Fake peers for the federation benchmarks: inboxes on loopback that answer every POST with 202 and remember it.

`python -m tests.bench.fake_peers CONTROL_PORT PEERS` listens on CONTROL_PORT for the benchmark's questions and on
PEERS more loopback ports (chosen by the kernel) as peer servers; each peer port is a separate host to the node
(`127.0.0.1:PORT`), every path on it an inbox. It runs in its own process so the node being measured does not share
its event loop with the peers' servers.

Control port, GET only: `/ports` (the peer ports, JSON), `/records` (every POST received so far: port, path, the
client's address, headers in arrival order and the body), `/reset` (forget the records).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
from typing import Any

from aiohttp import web

RECORDS = web.AppKey("records", list[dict[str, Any]])
PORTS = web.AppKey("ports", list[int])


async def inbox(request: web.Request) -> web.Response:
    body = await request.read()
    sock = request.transport.get_extra_info("sockname") if request.transport else None
    peer = request.transport.get_extra_info("peername") if request.transport else None
    request.app[RECORDS].append(
        {
            "port": sock[1] if sock else None,
            "path": request.path,
            "client": f"{peer[0]}:{peer[1]}" if peer else None,
            "headers": list(request.headers.items()),
            "body": body.decode("utf-8", errors="replace"),
        }
    )
    return web.Response(status=202)


async def ports(request: web.Request) -> web.Response:
    return web.json_response(request.app[PORTS])


async def records(request: web.Request) -> web.Response:
    return web.json_response(request.app[RECORDS])


async def reset(request: web.Request) -> web.Response:
    request.app[RECORDS].clear()
    return web.json_response({"ok": True})


async def serve(control_port: int, peers: int) -> None:
    shared: list[dict[str, Any]] = []
    control = web.Application()
    control[RECORDS] = shared
    peer_app = web.Application(client_max_size=1024 * 1024)
    peer_app[RECORDS] = shared
    peer_app.router.add_post("/{path:.*}", inbox)
    sockets = []
    for _ in range(peers):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    control[PORTS] = [sock.getsockname()[1] for sock in sockets]
    control.router.add_get("/ports", ports)
    control.router.add_get("/records", records)
    control.router.add_get("/reset", reset)
    peer_runner = web.AppRunner(peer_app, access_log=None)
    control_runner = web.AppRunner(control, access_log=None)
    await peer_runner.setup()
    await control_runner.setup()
    for sock in sockets:
        await web.SockSite(peer_runner, sock, backlog=1024).start()
    await web.TCPSite(control_runner, "127.0.0.1", control_port).start()
    print(json.dumps({"control": control_port, "peers": control[PORTS]}), flush=True)
    await asyncio.Event().wait()  # until the benchmark stops this process


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2])))


if __name__ == "__main__":
    main()
