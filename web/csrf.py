"""Cross-site request forgery protection for every state-changing request.

Two checks, both needed to pass (OWASP CSRF cheat sheet): the Origin header, when the browser sends one, must be
this node; and the form's `csrf_token` (or the `X-CSRF-Token` header) must carry the HMAC, under the node's
secret, of the random value in the `csrf` cookie. The token does not live in Redis, so forms keep working while
Redis is down, and it does not depend on being logged in, so the log-in form itself is protected.

Each page gets the HMAC masked with fresh random bytes (token = mask ‖ mask⊕hmac, as Django does): pages are
gzipped by nginx, and a secret repeated identically in compressed responses can be recovered byte by byte by an
attacker who can inject text into the page (BREACH).
"""

from __future__ import annotations

import base64
import binascii
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
# Choosing the display language changes nothing but a cookie: a forged request can do no harm, and the language form
# (on every page) carrying no per-visitor token keeps pages for readers who are not signed in identical, so they
# can be cached (web/cache.py). The Origin check still applies.
TOKEN_EXEMPT = frozenset({"/language"})


class CsrfRejected(PermissionDenied):
    code = "csrf_rejected"
    message = N_("This form was not sent from this site or has expired. Please go back, reload the page and try again.")


def _sign(secret: str, value: str) -> bytes:
    return hmac.new(secret.encode(), f"csrf:{value}".encode(), hashlib.sha256).digest()


def _mask(signed: bytes) -> str:
    mask = secrets.token_bytes(len(signed))
    return base64.urlsafe_b64encode(mask + bytes(a ^ b for a, b in zip(mask, signed, strict=True))).decode()


def _unmask(token: str) -> bytes | None:
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except (binascii.Error, ValueError):
        return None
    half = len(raw) // 2
    if half == 0 or len(raw) % 2:
        return None
    return bytes(a ^ b for a, b in zip(raw[:half], raw[half:], strict=True))


class LazyToken:
    """The page's CSRF token, made (and its cookie set) only if a template prints it, so a page without a form
    sets no cookie and is the same for every reader."""

    def __init__(self, request: web.Request) -> None:
        self._request = request
        self._value: str | None = None

    def __str__(self) -> str:
        if self._value is None:
            self._value = csrf_token(self._request)
        return self._value

    def __html__(self) -> str:  # Jinja's autoescape: the token is URL-safe base64, nothing to escape
        return str(self)


def csrf_token(request: web.Request) -> str:
    """A token for forms on this page, masked afresh; creates the cookie value on first use (set by a middleware)."""
    value = request.cookies.get(CSRF_COOKIE) or request.get(NEW_CSRF_COOKIE)
    if not value:
        value = secrets.token_urlsafe(24)
        request[NEW_CSRF_COOKIE] = value
    return _mask(_sign(state(request).secret_key, str(value)))


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # older browsers and non-browser clients; the token still has to match
        return True
    allowed = {state(request).settings.base_url.rstrip("/"), f"{request.scheme}://{request.host}"}
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" in allowed


def is_inbox(path: str) -> bool:
    """ActivityPub inboxes take server-to-server POSTs authenticated by HTTP signatures, never by cookies, so a
    forged cross-site request gains nothing there; they need no CSRF token (and peers could not send one)."""
    return path == "/inbox" or (path.endswith("/inbox") and path.count("/") == 3) or path == "/actor/inbox"


async def check_csrf(request: web.Request) -> None:
    if request.method in SAFE_METHODS or is_inbox(request.path):
        return
    if not _same_origin(request):
        raise CsrfRejected()
    if request.path in TOKEN_EXEMPT:
        return
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(HEADER)
    if sent is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    unmasked = _unmask(sent) if sent and len(sent) < 200 else None
    if not cookie or unmasked is None or not hmac.compare_digest(unmasked, _sign(state(request).secret_key, cookie)):
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
