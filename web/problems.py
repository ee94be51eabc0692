"""The one place where failures become responses.

Domain errors (deliberate.errors) carry a stable code and a message id; here each family gets its HTTP status, and
the answer takes the form the client asked for: an RFC 9457 problem document (`application/problem+json`) for API and
federation clients, a translated HTML page for people. Unexpected exceptions are logged with the request id and
answered with a generic 500 that shows only that id.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from deliberate import errors
from deliberate.errors import N_
from deliberate.validation import InvalidFields
from web.render import page, translate
from web.state import REQUEST_ID, state

log = logging.getLogger(__name__)

# Most specific first: the first matching class decides the status.
STATUS: list[tuple[type[errors.DomainError], int]] = [
    (errors.RateLimited, 429),
    (errors.Unavailable, 503),
    (errors.Unauthenticated, 401),
    (errors.PermissionDenied, 403),
    (errors.AccountGone, 410),  # RFC 9110 §15.5.11: gone for good, as Mastodon answers for a deleted account
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.InvalidInput, 400),
    (errors.MigrationError, 500),
]

# Plain-language pages for the errors aiohttp itself raises (no route, wrong method, body too large…).
HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    400: (N_("Something in the request is wrong."), N_("Please go back and try again.")),
    404: (N_("Page not found"), N_("We could not find what you are looking for.")),
    405: (N_("This action is not possible here."), N_("Please go back and use the buttons on the page.")),
    413: (
        N_("What you sent is too large."),
        N_("Please shorten the text or send a smaller file, and try again."),
    ),
    500: (
        N_("Something went wrong on our side."),
        N_("Please try again in a few minutes. If it happens again, tell the node team this code."),
    ),
    503: (
        N_("This part of the site is not available right now."),
        N_("Please try again in a few minutes."),
    ),
}

JSON_TYPES = (
    "application/json",
    "application/problem+json",
    "application/activity+json",
    "application/ld+json",
)


def status_for(error: errors.DomainError) -> int:
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return 500


def wants_json(request: web.Request) -> bool:
    if request.path.startswith(("/api/", "/.well-known/")) or request.content_type in JSON_TYPES:
        return True
    accept = request.headers.get("Accept", "")
    return any(kind in accept for kind in JSON_TYPES) and "text/html" not in accept


def problem_response(
    request: web.Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    extra: dict[str, Any] | None = None,
) -> web.Response:
    body: dict[str, Any] = {
        # RFC 9457 §3.1: type is a URI identifying the problem kind; ours resolve under the node's base URL.
        "type": f"{state(request).settings.base_url}/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "instance": request.path,
        "request_id": request.get(REQUEST_ID, "-"),
    }
    if detail:
        body["detail"] = detail
    if extra:
        body.update(extra)
    return web.Response(
        text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/problem+json"
    )


def error_page(request: web.Request, *, status: int, title: str, detail: str) -> web.Response:
    return page(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail, "request_id": request.get(REQUEST_ID, "-")},
        status=status,
    )


def explained_on_form(error: errors.DomainError) -> bool:
    """Whether the page that sent a form answers this refusal itself, showing the form again with what the person
    typed and the message (a refusal of the text, or of one field); otherwise it is the error page for its status."""
    return error.explained_on_form or error.field is not None


def field_errors(request: web.Request, error: errors.DomainError) -> dict[str, str]:
    """Translated messages per form field, for re-rendering a form next to what the person typed."""
    items = error.errors if isinstance(error, InvalidFields) else [error]
    return {e.field or "": translate(request, e.message, **e.params) for e in items}


def error_headers(error: errors.DomainError) -> dict[str, str]:
    if isinstance(error, errors.RateLimited):
        return {"Retry-After": str(60 * int(error.params.get("minutes", 1)))}  # RFC 9110 §10.2.3
    if isinstance(error, errors.Unauthenticated):
        return {"WWW-Authenticate": 'Bearer realm="deliberate"'}  # RFC 9110 §11.6.1, RFC 6750 §3
    return {}


def domain_error_response(request: web.Request, error: errors.DomainError) -> web.Response:
    status = status_for(error)
    message = translate(request, error.message, **error.params)
    headers = error_headers(error)
    if wants_json(request):
        extra = None
        if isinstance(error, InvalidFields):
            extra = {"errors": [{"field": f, "detail": m} for f, m in field_errors(request, error).items()]}
        response = problem_response(request, status=status, code=error.code, title=message, extra=extra)
    else:
        detail = " ".join(field_errors(request, error).values()) if isinstance(error, InvalidFields) else ""
        response = error_page(request, status=status, title=message, detail=detail)
    response.headers.update(headers)
    return response


def http_error_response(request: web.Request, exc: web.HTTPException) -> web.StreamResponse:
    status = exc.status
    title_id, detail_id = HTTP_MESSAGES.get(status, HTTP_MESSAGES[400 if status < 500 else 500])
    title, detail = translate(request, title_id), translate(request, detail_id)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(status, f"http_{status}")
    if wants_json(request):
        return problem_response(request, status=status, code=code, title=title, detail=detail)
    return error_page(request, status=status, title=title, detail=detail)


def unexpected_error_response(request: web.Request) -> web.Response:
    title, detail = (translate(request, m) for m in HTTP_MESSAGES[500])
    if wants_json(request):
        return problem_response(request, status=500, code="internal_error", title=title, detail=detail)
    try:
        return error_page(request, status=500, title=title, detail=detail)
    except Exception:  # the template itself failed: answer in plain text rather than not at all
        log.exception("error page failed")
        return web.Response(text=f"{title}\n{detail}\n{request.get(REQUEST_ID, '-')}", status=500)
