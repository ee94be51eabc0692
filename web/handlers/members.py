"""Members' data pages: download my data, delete my account (with its confirmation page), and the privacy page.

The download is one JSON document (the same for the page and for /api/v1/account/data with a token). Deleting the
account commits first and then ends every session in Redis: a Redis outage then leaves sessions that point to an
account whose password no longer matches anything and whose data is gone; the page says the account is deleted
either way, and the cookie is cleared.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from deliberate.accounts.model import Account
from deliberate.errors import InvalidInput, LastOwnerOfOrganization, Unauthenticated
from deliberate.members import service as members
from deliberate.members.model import POSTS_CHOICES
from schemas import api
from web.forms import form_page
from web.handlers.common import form_data, redirect, require_user
from web.render import page
from web.sessions import SESSION_COOKIE, SessionStore
from web.state import USER, state

log = logging.getLogger(__name__)


async def _data(request: web.Request, user: Account) -> dict[str, Any]:
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return await members.member_data(conn, clock=app.clock, actor=user)


def _json_download(data: dict[str, Any], username: str) -> web.Response:
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = web.Response(text=body, content_type="application/json", charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{username}-datos.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def download_data(request: web.Request) -> web.Response:
    user = require_user(request)
    return _json_download(await _data(request, user), user.username)


async def account_data_api(request: web.Request) -> web.Response:
    """GET /api/v1/account/data: the same document, for a personal token."""
    user = request.get(USER)
    if not isinstance(user, Account):
        raise Unauthenticated()
    document = api.AccountData.model_validate(await _data(request, user))  # the published contract, checked
    response = web.Response(text=document.model_dump_json(), content_type="application/json", charset="utf-8")
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def _delete_page(
    request: web.Request, user: Account, *, data: dict[str, Any] | None = None, error: Any = None
) -> web.Response:
    async with state(request).db.acquire() as conn:
        blocking = await members.organizations_blocking_deletion(conn, actor=user)
    return form_page(request, "members/delete.html", data=data, keep=("posts",), error=error,
                     context={"blocking": blocking, "choices": POSTS_CHOICES})  # fmt: skip


async def delete_form(request: web.Request) -> web.Response:
    return await _delete_page(request, require_user(request))


async def delete_account(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            deleted = await members.delete_account(
                conn, clock=app.clock, passwords=app.passwords, actor=user, data=data
            )
    except (InvalidInput, LastOwnerOfOrganization) as error:
        return await _delete_page(request, user, data=data, error=error)
    try:
        await SessionStore(app.kv).end_others(deleted.account_id, None)
    except RedisError as exc:
        log.error("sessions of a deleted account could not be ended", extra={"fields": {"error": str(exc)}})
    response = redirect("/account/deleted")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def deleted(request: web.Request) -> web.Response:
    return page(request, "members/deleted.html")


async def privacy(request: web.Request) -> web.Response:
    settings = state(request).settings
    return page(request, "privacy.html", {"operator_contact": settings.operator_contact})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/account/data", download_data, name="account_data")
    router.add_get("/account/delete", delete_form, name="account_delete")
    router.add_post("/account/delete", delete_account)
    router.add_get("/account/deleted", deleted, name="account_deleted")
    router.add_get("/privacy", privacy, name="privacy")
