"""Rendering pages: the per-request language, translation helpers, and the context every template receives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import hdrs, web

from web.csrf import LazyToken
from web.i18n import NATIVE_NAMES, SUPPORTED, negotiate
from web.state import LANG, UNREAD, USER, state

LANG_COOKIE = "lang"


def language(request: web.Request) -> str:
    """The request's language, chosen once by whichever layer asks first."""
    lang = request.get(LANG)
    return choose_language(request) if lang is None else str(lang)


def choose_language(request: web.Request) -> str:
    """Choose the request's language now and keep it on the request, for a layer that knows it asks first."""
    lang = negotiate(
        request.cookies.get(LANG_COOKIE),
        request.headers.get(hdrs.ACCEPT_LANGUAGE),
        state(request).settings.default_language,
    )
    request[LANG] = lang
    return lang


def translate(request: web.Request, message: str, **params: Any) -> str:
    """`message` in the request's language, with `%(name)s` placeholders filled."""
    text: str = state(request).translations[language(request)].gettext(message)
    return text % params if params else text


def page(
    request: web.Request, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200
) -> web.Response:
    app_state = state(request)
    lang = language(request)
    full: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "languages": [(code, NATIVE_NAMES[code]) for code in SUPPORTED],
        "user": request.get(USER),
        "unread": request.get(UNREAD, 0),
        "csrf_token": LazyToken(request),
        "node_name": app_state.settings.node_name,
        "base_url": app_state.settings.base_url,
        "_translations": app_state.translations[lang],
        "static_version": app_state.static_version,
    }
    if context:
        full.update(context)
    body = app_state.jinja.get_template(template).render(full)
    response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
    response.headers["Content-Language"] = lang
    # Accept-Encoding: the same page kept for readers who are not signed in is answered gzip-coded to clients that
    # take it (web/cache.py), so a shared cache must not hand it to one that does not.
    response.headers["Vary"] = "Accept-Language, Cookie, Accept-Encoding"
    return response
