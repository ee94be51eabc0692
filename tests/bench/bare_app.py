"""The baseline: a bare aiohttp handler returning a fixed string, served the way `deliberate serve` serves a node
(one process, one event loop, aiohttp's own server, no access log). `python -m tests.bench.bare_app PORT`."""

from __future__ import annotations

import sys

from aiohttp import web

BODY = "ok"


async def fixed(_request: web.Request) -> web.Response:
    return web.Response(text=BODY)


def main() -> None:
    app = web.Application()
    app.router.add_get("/", fixed)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
