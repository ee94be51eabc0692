"""The baselines: bare aiohttp handlers served the way `deliberate serve` serves a node (one process, one event loop,
on uvloop when it is installed, aiohttp's own server, no access log). `python -m tests.bench.bare_app PORT`.

`GET /` returns a fixed string (the thread page's baseline); `POST /inbox` reads the body and answers 202, nothing
else (what any aiohttp inbox costs, the inbox benchmark's reference)."""

from __future__ import annotations

import sys

from aiohttp import web

BODY = "ok"


async def fixed(_request: web.Request) -> web.Response:
    return web.Response(text=BODY)


async def accepted(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(status=202)


def main() -> None:
    app = web.Application()
    app.router.add_get("/", fixed)
    app.router.add_post("/inbox", accepted)
    try:
        import uvloop
    except ImportError:
        loop = None
    else:
        loop = uvloop.new_event_loop()
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None, loop=loop)


if __name__ == "__main__":
    main()
