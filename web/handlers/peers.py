"""The operators' federation page: the delivery queue per peer server, and blocking or unblocking a server. And,
for every member, the page where they follow a person or an organization of another server by its address."""

from __future__ import annotations

from aiohttp import web

from deliberate.errors import InvalidInput
from deliberate.peers import service as peers
from federation import follows
from web.forms import form_page
from web.handlers.common import form_data, redirect, require_user
from web.handlers.remote_follow import follow_by_address
from web.state import state


async def status_page(request: web.Request) -> web.Response:
    user = require_user(request)
    app = state(request)
    async with app.db.acquire() as conn:
        rows = await peers.status(conn, actor=user, clock=app.clock)
    return form_page(request, "admin/federation.html", keep=("host", "reason"),
                     context={"peers": rows, "mode": app.settings.federation_mode})  # fmt: skip


async def block(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    host = str(data.get("host", ""))  # checked and lower-cased by the service, as at the command line
    blocked = request.match_info["action"] == "block"
    try:
        async with app.db.acquire() as conn, conn.transaction():
            if blocked:
                await peers.block_instance(conn, clock=app.clock, actor=user, host=host,
                                           reason=str(data.get("reason", "")))  # fmt: skip
            else:
                await peers.unblock_instance(conn, clock=app.clock, actor=user, host=host)
    except InvalidInput as error:
        async with app.db.acquire() as conn:
            rows = await peers.status(conn, actor=user, clock=app.clock)
        return form_page(request, "admin/federation.html", data=data, keep=("host", "reason"), error=error,
                         context={"peers": rows, "mode": app.settings.federation_mode})  # fmt: skip
    return redirect("/admin/federation")


async def remote_actor_form(request: web.Request) -> web.Response:
    require_user(request)
    return form_page(request, "notifications/remote.html", keep=("address",))


async def follow_remote_actor(request: web.Request) -> web.Response:
    """POST address=name@server (or the actor's URL): follow them, then see their page here, with its button."""
    return await follow_by_address(request, follows.follow_actor, template="notifications/remote.html",
                                   page_of=lambda account: f"/u/{account.username}")  # fmt: skip


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/federation", status_page, name="admin_federation")
    router.add_post("/admin/federation/{action:block|unblock}", block)
    router.add_get("/follow/remote", remote_actor_form)
    router.add_post("/follow/remote", follow_remote_actor)
