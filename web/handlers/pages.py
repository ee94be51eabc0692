"""The home page and the language switch."""

from __future__ import annotations

from aiohttp import web

from deliberate.consultations import service as consultations
from deliberate.errors import N_, InvalidInput
from web.handlers.common import form_data, redirect, safe_next
from web.i18n import SUPPORTED
from web.render import LANG_COOKIE, page
from web.state import state


class UnknownLanguage(InvalidInput):
    code = "unknown_language"
    message = N_("That language is not available. Please choose Español, Runasimi or English.")


async def home(request: web.Request) -> web.Response:
    app = state(request)
    async with app.db.acquire() as conn:
        overdue = await consultations.overdue_consultations(conn, clock=app.clock)
    return page(request, "home.html", {"overdue": overdue, "now": app.clock.now()})


async def choose_language(request: web.Request) -> web.Response:
    data = await form_data(request)
    lang = str(data.get("lang", ""))
    if lang not in SUPPORTED:
        raise UnknownLanguage(field="lang")
    response = redirect(safe_next(str(data.get("next", ""))))
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=state(request).settings.secure_cookies,
        path="/",
    )
    return response
