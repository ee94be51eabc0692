"""Cross-site request forgery protection for every state-changing request.

Two checks, both needed to pass (OWASP CSRF cheat sheet): the Origin header, when the browser sends one, must be
this node; and the form's `csrf_token` (or the `X-CSRF-Token` header) must be the HMAC, under the node's secret, of
the random value in the `csrf` cookie. The token does not live in Redis, so forms keep working while Redis is down,
and it does not depend on being logged in, so the log-in form itself is protected.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from aiohttp import web

from deliberate.errors import N_, PermissionDenied
from web.state import NEW_CSRF_COOKIE, state

CSRF_COOKIE = "csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(PermissionDenied):
    code = "csrf_rejected"
    message = N_("This form was not sent from this site or has expired. Please go back, reload the page and try again.")


def _sign(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: web.Request) -> str:
    """The token for forms on this page; creates the cookie value on first use (set by the middleware)."""
    value = request.cookies.get(CSRF_COOKIE) or request.get(NEW_CSRF_COOKIE)
    if not value:
        value = secrets.token_urlsafe(24)
        request[NEW_CSRF_COOKIE] = value
    return _sign(state(request).secret_key, str(value))


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # older browsers and non-browser clients; the token still has to match
        return True
    allowed = {state(request).settings.base_url.rstrip("/"), f"{request.scheme}://{request.host}"}
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" in allowed


async def check_csrf(request: web.Request) -> None:
    if request.method in SAFE_METHODS:
        return
    if not _same_origin(request):
        raise CsrfRejected()
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(HEADER)
    if sent is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not cookie or not sent or not hmac.compare_digest(sent, _sign(state(request).secret_key, cookie)):
        raise CsrfRejected()


def set_csrf_cookie(request: web.Request, response: web.StreamResponse) -> None:
    value = request.get(NEW_CSRF_COOKIE)
    if value:
        response.set_cookie(
            CSRF_COOKIE,
            str(value),
            httponly=True,
            samesite="Lax",
            secure=state(request).settings.secure_cookies,
            path="/",
        )
