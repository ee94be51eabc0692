"""Consultation pages: the list, publishing (officials), the document with its sections, positions, updates and the
council's answer, the response form, the summary with its charts, the export, versions and their differences.

Every POST calls one service function in one transaction and redirects (post/redirect/get); a refusal re-renders
the form it came from with a translated message next to the field. Dates are typed and shown in Lima time.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from deliberate.consultations import service as consultations
from deliberate.consultations.model import AUDIENCES, STANCES, Document, ExportRow, lima_input
from deliberate.errors import DomainError, InvalidInput
from deliberate.forums import service as forums
from deliberate.organizations import service as orgs
from deliberate.validation import LIMA
from web.forms import form_page
from web.handlers.common import form_data, redirect, require_user
from web.handlers.federation import consultation_document, wants_activity_json
from web.problems import explained_on_form
from web.render import page
from web.state import USER, state

PUBLISH_FIELDS = ("title", "summary", "opens_at", "closes_at", "answer_due_at", "audience", "counting", "ask_stances",
                  "document", "questions")  # fmt: skip
CHART_WIDTH = 300


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/consultations", index, name="consultations")
    router.add_get("/consultations/new", new_form)
    router.add_get("/consultations/officials", officials)
    router.add_post("/consultations/officials", appoint_official)
    router.add_post("/consultations", publish)
    router.add_get("/c/{slug}", show, name="consultation")
    router.add_get("/c/{slug}/respond", respond_form)
    router.add_post("/c/{slug}/respond", respond)
    router.add_post("/c/{slug}/sections/{number}/comments", comment)
    router.add_post("/c/{slug}/positions", submit_position)
    router.add_post("/c/{slug}/positions/{position_id}/approve", approve_position)
    router.add_get("/c/{slug}/summary", summary)
    router.add_get("/c/{slug}/export.csv", export_csv)
    router.add_get("/c/{slug}/export.json", export_json)
    router.add_get("/c/{slug}/answer", answer_form)
    router.add_post("/c/{slug}/answer", answer)
    router.add_post("/c/{slug}/updates", publish_update)
    router.add_get("/c/{slug}/edit", edit_form)
    router.add_post("/c/{slug}/edit", edit)
    router.add_get("/c/{slug}/versions", versions)
    router.add_get("/c/{slug}/versions/{version}", show_version)


def _slug(request: web.Request) -> str:
    return request.match_info["slug"]


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise web.HTTPNotFound() from None


def _now(request: web.Request) -> datetime:
    return state(request).clock.now()


async def index(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        listed = await consultations.list_consultations(conn)
    user = request.get(USER)
    return page(request, "consultations/index.html", {
        "consultations": listed, "now": _now(request), "can_publish": user is not None and user.has_role("official"),
        "is_operator": user is not None and user.has_role("operator"),
    })  # fmt: skip


# Officials (operators)


async def _officials_page(request: web.Request, **form: Any) -> web.Response:
    user = require_user(request)
    async with state(request).db.acquire() as conn:
        listed = await consultations.list_officials(conn, actor=user)
    return form_page(request, "consultations/officials.html", keep=("username", "name", "office"),
                     context={"officials": listed}, **form)  # fmt: skip


async def officials(request: web.Request) -> web.Response:
    return await _officials_page(request)


async def appoint_official(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            await consultations.appoint_official(
                conn, clock=app.clock, actor=user, username=str(data.get("username", "")), data=data
            )
    except DomainError as error:
        if not explained_on_form(error):  # an unknown username names its field
            raise
        return await _officials_page(request, data=data, error=error)
    return redirect("/consultations/officials")


# Publishing


def _publish_context(request: web.Request, *, action: str, version_of: str | None = None) -> dict[str, Any]:
    return {"audiences": AUDIENCES, "action": action, "version_of": version_of}


async def new_form(request: web.Request) -> web.Response:
    user = require_user(request)
    consultations.check_official(user, state(request).clock)
    data = {"audience": "everyone", "ask_stances": "1"}
    return form_page(request, "consultations/publish.html", data=data, keep=PUBLISH_FIELDS,
                     context=_publish_context(request, action="/consultations"))  # fmt: skip


async def publish(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            created = await consultations.publish_consultation(conn, clock=app.clock, actor=user, data=data)
    except InvalidInput as error:
        return form_page(request, "consultations/publish.html", data=data, keep=PUBLISH_FIELDS, error=error,
                         context=_publish_context(request, action="/consultations"))  # fmt: skip
    return redirect(f"/c/{created.slug}")


def _as_form(document: Document) -> dict[str, str]:
    c = document.consultation
    text = "\n".join(f"## {s.heading}\n{s.source.rstrip()}\n" for s in document.sections)
    blocks = []
    for q in document.questions:
        blocks.append("\n".join([f"{q.kind}: {q.prompt}", *(o.label for o in q.options)]))
    return {
        "title": c.title, "summary": c.summary, "opens_at": lima_input(c.opens_at),
        "closes_at": lima_input(c.closes_at), "answer_due_at": lima_input(c.answer_due_at), "audience": c.audience,
        "counting": c.counting, "ask_stances": "1" if c.ask_stances else "", "document": text,
        "questions": "\n\n".join(blocks),
    }  # fmt: skip


async def edit_form(request: web.Request) -> web.Response:
    user = require_user(request)
    consultations.check_official(user, state(request).clock)
    async with state(request).db.acquire() as conn:
        document = await consultations.access_consultation(conn, _slug(request))
    return form_page(request, "consultations/publish.html", data=_as_form(document), keep=PUBLISH_FIELDS,
                     context=_publish_context(request, action=f"/c/{_slug(request)}/edit",
                                              version_of=document.consultation.title))  # fmt: skip


async def edit(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    slug = _slug(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            created = await consultations.publish_new_version(conn, clock=app.clock, actor=user, slug=slug, data=data)
    except DomainError as error:
        if not explained_on_form(error):  # closed meanwhile: the edited text stays on the form
            raise
        async with app.db.acquire() as conn:
            document = await consultations.access_consultation(conn, slug)
        return form_page(request, "consultations/publish.html", data=data, keep=PUBLISH_FIELDS, error=error,
                         context=_publish_context(request, action=f"/c/{slug}/edit",
                                                  version_of=document.consultation.title))  # fmt: skip
    return redirect(f"/c/{created.slug}/versions")


# Reading


async def _page_context(request: web.Request, *, version: int | None = None) -> dict[str, Any]:
    user = request.get(USER)
    async with state(request).db.acquire() as conn:
        document = await consultations.access_consultation(conn, _slug(request), version=version)
        c = document.consultation
        positions = await consultations.positions(conn, c)
        admin_of = {org.id for org in await orgs.organizations_administered_by(conn, user)}
        member_of = await orgs.public_memberships(conn, user) if user else []
        forum = await forums.forum_by_id(conn, c.forum_id)
        context: dict[str, Any] = {
            "document": document,
            "c": c,
            "now": _now(request),
            "positions": [p for p in positions if p.approved_at is not None],
            "pending": [p for p in positions if p.approved_at is None and p.organization_id in admin_of],
            "member_of": member_of,
            "updates": await consultations.updates(conn, c),
            "answer": await consultations.council_answer(conn, c),
            "is_official": user is not None and user.has_role("official") and not c.remote,
            "in_audience": await consultations.in_audience(conn, c, user),
            "mine": await consultations.my_response(conn, c, user),
            # Members of other districts follow the comment forum from their own node with this address.
            "forum_address": f"{forum.slug}@{urlsplit(state(request).settings.base_url).netloc}",
            "failed": None,
            "submitted": {},
        }
    return context


async def show(request: web.Request) -> web.Response:
    if wants_activity_json(request):
        return await consultation_document(request, _slug(request))
    return form_page(request, "consultations/show.html", context=await _page_context(request))


async def show_version(request: web.Request) -> web.Response:
    version = _int(request.match_info["version"])
    return form_page(request, "consultations/show.html", context=await _page_context(request, version=version))


async def versions(request: web.Request) -> web.Response:
    slug = _slug(request)
    async with state(request).db.acquire() as conn:
        listed = await consultations.versions(conn, slug)
        diffs = [await consultations.version_diff(conn, slug, v.version) for v in listed if v.version > 1]
    return page(request, "consultations/versions.html", {"slug": slug, "versions": listed, "diffs": diffs})


# Taking part


async def respond_form(request: web.Request) -> web.Response:
    require_user(request)
    return form_page(request, "consultations/respond.html", context=await _page_context(request))


async def respond(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            await consultations.respond(conn, clock=app.clock, actor=user, slug=_slug(request), data=data)
    except DomainError as error:
        if not explained_on_form(error):
            raise
        context = await _page_context(request)
        context["submitted"] = data
        return form_page(request, "consultations/respond.html", error=error, context=context)
    return redirect(f"/c/{_slug(request)}?saved=1#response")


async def comment(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    number = _int(request.match_info["number"])
    try:
        async with app.db.acquire() as conn, conn.transaction():
            post = await consultations.comment_on_section(
                conn, clock=app.clock, actor=user, slug=_slug(request), number=number, data=data,
                as_organization=str(data.get("as_organization") or "") or None,
            )  # fmt: skip
    except DomainError as error:
        if not explained_on_form(error):
            raise
        return form_page(request, "consultations/show.html", data=data, keep=("body",), error=error,
                         context=await _page_context(request) | {"failed": f"comment-{number}"})  # fmt: skip
    return redirect(f"/t/{post.thread_id}?after={max(post.id - 1, 0)}#p{post.id}")


async def submit_position(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            await consultations.submit_position(
                conn, clock=app.clock, actor=user, slug=_slug(request),
                organization_slug=str(data.get("organization", "")), data=data,
            )  # fmt: skip
    except DomainError as error:
        if not explained_on_form(error):
            raise
        return form_page(request, "consultations/show.html", data=data, keep=("body",), error=error,
                         context=await _page_context(request) | {"failed": "position"})  # fmt: skip
    return redirect(f"/c/{_slug(request)}#positions")


async def approve_position(request: web.Request) -> web.Response:
    user = require_user(request)
    app = state(request)
    async with app.db.acquire() as conn, conn.transaction():
        await consultations.approve_position(
            conn, clock=app.clock, actor=user, position_id=_int(request.match_info["position_id"])
        )
    return redirect(f"/c/{_slug(request)}#positions")


# The council's side


async def _answer_context(request: web.Request) -> dict[str, Any]:
    """The consultation and, next to each section's reply, what people said about it."""
    async with state(request).db.acquire() as conn:
        result = await consultations.summary(conn, _slug(request))
    tallies = {t.section.id: t.counts for t in result.sections}
    return await _page_context(request) | {"tallies": tallies, "participants": result.participants}


async def answer_form(request: web.Request) -> web.Response:
    user = require_user(request)
    consultations.check_official(user, state(request).clock)
    return form_page(request, "consultations/answer.html", context=await _answer_context(request))


async def answer(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            await consultations.publish_answer(conn, clock=app.clock, actor=user, slug=_slug(request), data=data)
    except DomainError as error:
        if not explained_on_form(error):
            raise
        keep = ["general", "changes", *(k for k in data if k.startswith("reply_"))]
        return form_page(request, "consultations/answer.html", data=data, keep=keep, error=error,
                         context=await _answer_context(request))  # fmt: skip
    return redirect(f"/c/{_slug(request)}#answer")


async def publish_update(request: web.Request) -> web.Response:
    user = require_user(request)
    data = await form_data(request)
    app = state(request)
    try:
        async with app.db.acquire() as conn, conn.transaction():
            await consultations.publish_update(conn, clock=app.clock, actor=user, slug=_slug(request), data=data)
    except InvalidInput as error:
        return form_page(request, "consultations/show.html", data=data, keep=("body",), error=error,
                         context=await _page_context(request) | {"failed": "update"})  # fmt: skip
    return redirect(f"/c/{_slug(request)}#updates")


# Summary and export


def _bar(count: int, total: int) -> int:
    """A bar's width in the chart's units; a non-zero count stays visible."""
    if total <= 0 or count <= 0:
        return 0
    return max(round(CHART_WIDTH * count / total), 2)


async def summary(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        result = await consultations.summary(conn, _slug(request))
    return page(request, "consultations/summary.html", {
        "summary": result, "c": result.document.consultation, "now": _now(request), "stances": STANCES,
        "bar": _bar, "chart_width": CHART_WIDTH,
    })  # fmt: skip


def _stamp(value: datetime) -> str:
    """ISO 8601 in Lima time with its offset: the council reads Lima time, and the instant stays exact."""
    return value.astimezone(LIMA).isoformat(timespec="seconds")


def _export_record(document: Document, row: ExportRow) -> dict[str, Any]:
    return {
        "participant": row.participant,
        "username": row.username,
        "name": row.name,
        "first_answered_at": _stamp(row.first_answered_at),
        "last_answered_at": _stamp(row.last_answered_at),
        "stances": {str(n): {"stance": s, "reason": r} for n, (s, r) in sorted(row.stances.items())},
        "answers": {str(n): text for n, text in sorted(row.answers.items())},
    }


async def export_json(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        document, rows = await consultations.export(conn, _slug(request))
    c = document.consultation
    body = {
        "consultation": {"slug": c.slug, "version": c.version, "title": c.title,
                         "opens_at": _stamp(c.opens_at), "closes_at": _stamp(c.closes_at)},
        "sections": [{"number": s.number, "heading": s.heading} for s in document.sections],
        "questions": [{"number": q.number, "kind": q.kind, "prompt": q.prompt,
                       "options": [o.label for o in q.options]} for q in document.questions],
        "responses": [_export_record(document, row) for row in rows],
    }  # fmt: skip
    return web.Response(
        text=json.dumps(body, ensure_ascii=False, indent=1), content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{c.slug}-v{c.version}.json"'},
    )  # fmt: skip


def _cell(value: Any) -> Any:
    """A spreadsheet cell that cannot run: text a participant typed starting with =, +, -, @ (or a tab or carriage
    return) would be read by Excel or LibreOffice as a formula, so it gets a leading apostrophe (OWASP, "CSV
    Injection"). Numbers and dates are written by us and stay as they are."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def export_csv(request: web.Request) -> web.Response:
    async with state(request).db.acquire() as conn:
        document, rows = await consultations.export(conn, _slug(request))
    c = document.consultation
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["participant", "username", "name", "first_answered_at", "last_answered_at"]
    for s in document.sections:
        header += [f"section_{s.number}_stance", f"section_{s.number}_reason"]
    header += [f"question_{q.number}" for q in document.questions]
    writer.writerow(header)
    for row in rows:
        line: list[Any] = [row.participant, row.username or "", row.name or "", _stamp(row.first_answered_at),
                           _stamp(row.last_answered_at)]  # fmt: skip
        for s in document.sections:
            stance, reason = row.stances.get(s.number, ("", ""))
            line += [stance, reason]
        line += [row.answers.get(q.number, "") for q in document.questions]
        writer.writerow([line[0], *(_cell(v) for v in line[1:])])
    return web.Response(
        text=out.getvalue(), content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{c.slug}-v{c.version}.csv"'},
    )  # fmt: skip
