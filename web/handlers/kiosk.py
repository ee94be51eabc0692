"""Kiosk mode for shared computers at ICT centres (/admin/kiosk, operators only; /kiosk/end for everyone).

An operator, signed in on the shared computer itself, turns kiosk mode on for that browser: it gets a long-lived
cookie signed with the node's secret (web/sessions.py), naming nobody. On a kiosk browser:
* a session ends after KIOSK_IDLE_SECONDS without a request, checked on the server with the node's clock
  (SessionStore.load), and its cookie is not kept once the browser closes (the session middleware);
* the header shows a "Finish" button (Spanish "Terminar") that ends the session, forgets the language chosen and asks
  the browser to clear its cache (`/kiosk/end`);
* every page is sent with `Cache-Control: no-store` (web/middlewares.py), so the back button shows nothing of the
  person before;
* the start page explains in plain words what the platform is for and how the computer is shared.
There is no "remember me" on the log-in form, kiosk or not. Turning kiosk mode on logs the operator out, so the
computer is left ready for the public; only an operator can turn it off again.
"""

from __future__ import annotations

from aiohttp import web
from redis.exceptions import RedisError

from deliberate.accounts.model import Account
from deliberate.errors import NotOperator, Unavailable
from web.csrf import CSRF_COOKIE
from web.handlers.common import redirect, require_user
from web.render import LANG_COOKIE, page
from web.sessions import (
    KIOSK,
    KIOSK_COOKIE,
    KIOSK_COOKIE_AGE,
    KIOSK_IDLE_SECONDS,
    SESSION_COOKIE,
    SessionStore,
    new_kiosk_cookie,
)
from web.state import state


def _require_operator(request: web.Request) -> Account:
    user = require_user(request)
    if not user.has_role("operator"):
        raise NotOperator()
    return user


async def settings_page(request: web.Request) -> web.Response:
    _require_operator(request)
    return page(
        request,
        "admin/kiosk.html",
        {"is_kiosk": in_kiosk(request), "idle_minutes": KIOSK_IDLE_SECONDS // 60},
    )


async def switch(request: web.Request) -> web.Response:
    _require_operator(request)
    app = state(request)
    if request.match_info["action"] == "off":
        response = redirect("/admin/kiosk")
        response.del_cookie(KIOSK_COOKIE, path="/")
        return response
    response = await _end_session(request, "/")
    response.set_cookie(
        KIOSK_COOKIE,
        new_kiosk_cookie(app.secret_key),
        max_age=KIOSK_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=app.settings.secure_cookies,
        path="/",
    )
    return response


async def end(request: web.Request) -> web.Response:
    """The "Finish" button: the next person at this computer starts from nothing."""
    response = await _end_session(request, "/")
    response.del_cookie(LANG_COOKIE, path="/")
    response.del_cookie(CSRF_COOKIE, path="/")
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


async def _end_session(request: web.Request, target: str) -> web.Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        try:
            await SessionStore(state(request).kv, state(request).clock).end(session_id)
        except RedisError:
            raise Unavailable() from None
    response = redirect(target)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def in_kiosk(request: web.Request) -> bool:
    return bool(request.get(KIOSK))


# For base.html and home.html (installed by create_app).
TEMPLATE_GLOBALS = {"in_kiosk": in_kiosk, "kiosk_idle_minutes": KIOSK_IDLE_SECONDS // 60}


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/kiosk", settings_page, name="admin_kiosk")
    router.add_post("/admin/kiosk/{action:on|off}", switch)
    router.add_post("/kiosk/end", end, name="kiosk_end")
