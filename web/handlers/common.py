"""Small helpers shared by handlers: redirects, safe "next" targets, form reading, the signed-in user."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from deliberate.accounts.model import Account
from web.state import USER


def redirect(location: str) -> web.Response:
    """303 See Other: the browser follows with a GET (post/redirect/get)."""
    return web.Response(status=303, headers={"Location": location})


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: an open redirect would let a phishing link borrow the node's name."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


async def form_data(request: web.Request) -> dict[str, Any]:
    """The submitted form as plain strings (files ignored); the body limit is enforced by aiohttp."""
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str) and key != "csrf_token"}


def require_user(request: web.Request) -> Account:
    user = request.get(USER)
    if user is None:
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs)}")
    assert isinstance(user, Account)
    return user
