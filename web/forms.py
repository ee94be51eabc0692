"""Showing a form again after a refusal: what the person typed (never passwords), a message next to each field at
fault, one at the top, and the error's status. JSON clients get the RFC 9457 problem instead."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from deliberate.errors import DomainError
from web.problems import domain_error_response, error_headers, field_errors, status_for, wants_json
from web.render import page, translate


def form_page(
    request: web.Request,
    template: str,
    *,
    data: Mapping[str, Any] | None = None,
    keep: Iterable[str] = (),
    error: DomainError | None = None,
    context: Mapping[str, Any] | None = None,
) -> web.Response:
    """Render `template` with `form` (the kept fields of `data`), `errors` and `form_error`."""
    if error is not None and wants_json(request):
        return domain_error_response(request, error)
    values = data or {}
    full: dict[str, Any] = {
        "form": {key: str(values.get(key, ""))[:20000] for key in keep},
        "errors": {},
        "form_error": None,
    }
    status = 200
    if error is not None:
        status = status_for(error)
        messages = field_errors(request, error)
        full["errors"] = {field: text for field, text in messages.items() if field}
        full["form_error"] = messages.get("") or translate(request, error.message, **error.params)
    if context:
        full.update(context)
    response = page(request, template, full, status=status)
    if error is not None:
        response.headers.update(error_headers(error))
    return response
