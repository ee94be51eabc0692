"""Consultation use cases: officials publish and answer, members and organizations take part.

The rules live here once: only officials (role 'official') publish, publish new versions, post interim updates and
answer; a published text never changes in place (a new version does, and the old one stays readable with a diff);
answers are taken from opening until closing only, from the consultation's audience only, in the format of each
question; the council answers once, after closing. Every refusal is a typed error raised before anything is
written, so a refused request changes nothing. Answers and positions take a share lock on the consultation's current
row and a new version or the council's answer an exclusive one, so answers run side by side but never interleave
with the publication of a new version.

Comments are forum posts: each consultation gets a public forum and each section a thread opened with the
section's text, so reports, hiding, the moderation log and federation work on them unchanged.
"""

from __future__ import annotations

import difflib
import html as html_lib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.budgets import service as budgets
from deliberate.clock import Clock
from deliberate.consultations import queries
from deliberate.consultations.model import (
    AUDIENCES,
    COUNTINGS,
    REASON_MAX,
    SECTION_MAX,
    STANCES,
    TEXT_ANSWER_MAX,
    Consultation,
    ConsultationForm,
    CouncilAnswer,
    CouncilAnswerForm,
    Document,
    ExportRow,
    MyResponse,
    Official,
    OfficialForm,
    Position,
    PositionForm,
    QuestionTally,
    SectionTally,
    Summary,
    Update,
    UpdateForm,
    VersionDiff,
    split_document,
    split_questions,
)
from deliberate.errors import (
    N_,
    AnswerWrongFormat,
    ConsultationAlreadyAnswered,
    ConsultationClosed,
    ConsultationNotOpen,
    ConsultationStillOpen,
    DomainError,
    InvalidInput,
    NoSuchSection,
    NotFound,
    NotInAudience,
    NotOperator,
    NotOrganizationAdmin,
    OfficialsOnly,
    PermissionDenied,
)
from deliberate.events import record_event
from deliberate.forums import queries as forum_queries
from deliberate.forums import service as forums
from deliberate.forums.markup import render_markdown
from deliberate.forums.model import POST_MAX, Post, Thread
from deliberate.organizations import queries as org_queries
from deliberate.organizations import service as organizations
from deliberate.organizations.model import ADMIN_ROLES, slugify
from deliberate.validation import InvalidFields, parse

LIST_LIMIT = 100
OVERDUE_LIMIT = 20

_RESIDENTS_ELSEWHERE = N_(
    "Only verified residents of the district that holds this consultation can take part in it; members of other "
    "districts cannot."
)
_ADMINS_ELSEWHERE = N_(
    "Only administrators of an organization of the district that holds this consultation can take part in it."
)
REMOTE_REFUSALS = {"verified_residents": _RESIDENTS_ELSEWHERE, "organizations": _ADMINS_ELSEWHERE}
AUDIENCE_REFUSALS = {
    "verified_residents": N_("Only verified residents of the district can take part in this consultation."),
    "organizations": N_("Only administrators of an organization can take part in this consultation."),
}


# Officials


async def appoint_official(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, username: str, data: Mapping[str, Any]
) -> Official:
    """An operator marks an account as an official of the council, with the name and office shown on what it
    publishes. `actor` None is the operators' command line, which runs with the database's own authority."""
    if actor is not None and not actor.has_role("operator"):
        raise NotOperator()
    form = parse(OfficialForm, data)
    account = await accounts.access_member_by_username(conn, username)
    await accounts.grant_role(conn, account_id=account.id, role="official")
    await queries.upsert_official(conn, account.id, name=form.name, office=form.office, now=clock.now())
    await record_event(conn, "official_appointed", {"account_id": account.id, "by": actor.id if actor else None})
    official = await queries.get_official(conn, account.id)
    assert official is not None
    return official


async def list_officials(conn: asyncpg.Connection, *, actor: Account | None) -> list[Official]:
    """The council's officials on this node, for the operators' page."""
    if actor is None or not actor.has_role("operator"):
        raise NotOperator()
    return await queries.list_officials(conn)


async def official_of(conn: asyncpg.Connection, account: Account | None) -> Official | None:
    if account is None or not account.has_role("official"):
        return None
    return await queries.get_official(conn, account.id)


def check_official(actor: Account | None, clock: Clock) -> Account:
    official = accounts.check_can_act(actor, clock)
    if not official.has_role("official"):
        raise OfficialsOnly()
    return official


# Publishing


def _parse_consultation(data: Mapping[str, Any]) -> ConsultationForm:
    """The form's fields, with the document and the questions split from their text areas; every problem is
    reported against the field the official typed it in."""
    errors: list[InvalidInput] = []
    names = ("title", "summary", "opens_at", "closes_at", "answer_due_at", "audience", "counting")
    raw: dict[str, Any] = {key: data.get(key) for key in names if data.get(key) is not None}
    raw["ask_stances"] = str(data.get("ask_stances", "")).lower() in ("1", "on", "true", "yes")
    try:
        raw["sections"] = split_document(str(data.get("document", "")))
    except ValueError as exc:
        errors.append(InvalidInput(field="document", message=str(exc.args[0])))
    try:
        raw["questions"] = split_questions(str(data.get("questions", "")))
    except ValueError as exc:
        errors.append(InvalidInput(field="questions", message=str(exc.args[0])))
    try:
        form = parse(ConsultationForm, raw)
    except InvalidFields as exc:
        for error in exc.errors:
            if error.field == "sections":
                error.field = "document"
            if error.field == "document" and error.message == N_("This field is required."):
                error.message = N_('Write at least one section: a line that begins with "## " and its text.')  # type: ignore[misc]
            if not any(e.field == error.field for e in errors):
                errors.append(error)  # type: ignore[arg-type]
    if errors:
        raise InvalidFields(list(errors))
    return form


async def _unique_slug(conn: asyncpg.Connection, title: str) -> str:
    base = slugify(title)[:50].strip("-")
    slug, suffix = base, 2
    while await queries.slug_taken(conn, slug):
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


async def _comment_forum(conn: asyncpg.Connection, *, slug: str, form: ConsultationForm, actor: Account,
                         clock: Clock) -> int:  # fmt: skip
    forum_slug, suffix = f"consulta-{slug}"[:60].strip("-"), 2
    while await forum_queries.forum_slug_exists(conn, forum_slug):
        forum_slug, suffix = f"consulta-{slug}"[:55].strip("-") + f"-{suffix}", suffix + 1
    forum_id = await forum_queries.insert_forum(
        conn, slug=forum_slug, name=f"Consulta: {form.title}"[:120], description=form.summary[:2000],
        organization_id=None, visibility="public", created_by=actor.id, now=clock.now(), listed=False,
    )  # fmt: skip
    await record_event(conn, "forum_created", {"forum_id": forum_id, "by": actor.id, "consultation": slug})
    return forum_id


async def _write_version(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account, form: ConsultationForm, slug: str, version: int,
    previous: Consultation | None, forum_id: int,
) -> Consultation:  # fmt: skip
    consultation_id = await queries.insert_consultation(
        conn, slug=slug, version=version, previous_id=previous.id if previous else None, title=form.title,
        summary=form.summary, opens_at=form.opens_at, closes_at=form.closes_at, answer_due_at=form.due(),
        audience=form.audience, ask_stances=form.ask_stances, forum_id=forum_id, published_by=actor.id,
        now=clock.now(), counting=form.counting,
    )  # fmt: skip
    forum = await forums.forum_by_id(conn, forum_id)
    for number, section in enumerate(form.sections, start=1):
        title = f"{number}. {section.heading}"
        if version > 1:
            title = f"{title} (v{version})"
        thread = await forums.start_thread(
            conn, clock=clock, actor=actor, forum_slug=forum.slug, data={"title": title[:200], "body": section.body}
        )
        await queries.insert_section(
            conn, consultation_id=consultation_id, number=number, heading=section.heading, source=section.body,
            html=render_markdown(section.body), thread_id=thread.id,
        )  # fmt: skip
    for number, question in enumerate(form.questions, start=1):
        await queries.insert_question(
            conn, consultation_id=consultation_id, number=number, kind=question.kind, prompt=question.prompt,
            options=question.options,
        )  # fmt: skip
    created = await queries.get_current(conn, slug)
    assert created is not None and created.id == consultation_id
    return created


async def publish_consultation(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, data: Mapping[str, Any]
) -> Consultation:
    official = check_official(actor, clock)
    form = _parse_consultation(data)
    slug = await _unique_slug(conn, form.title)
    forum_id = await _comment_forum(conn, slug=slug, form=form, actor=official, clock=clock)
    consultation = await _write_version(conn, clock=clock, actor=official, form=form, slug=slug, version=1,
                                        previous=None, forum_id=forum_id)  # fmt: skip
    await record_event(conn, "consultation_published", {"consultation_id": consultation.id, "slug": slug,
                                                         "version": 1, "by": official.id})  # fmt: skip
    return consultation


async def publish_new_version(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, slug: str, data: Mapping[str, Any]
) -> Consultation:
    """The only way to change a published document. Answers to sections and questions the new version left as they
    were carry over to it; the others stay with the earlier text, and their authors answer again. Organization
    positions and interim updates move to the new version."""
    official = check_official(actor, clock)
    form = _parse_consultation(data)
    current = await queries.get_current(conn, slug, for_update=True)
    if current is None or current.remote:  # another node's council answers its own consultations
        raise NotFound()
    if current.is_closed(clock.now()):
        raise ConsultationClosed(message=N_("This consultation is closed. Its text can no longer be changed."))
    await queries.supersede(conn, current.id, now=clock.now())
    created = await _write_version(
        conn, clock=clock, actor=official, form=form, slug=slug, version=current.version + 1, previous=current,
        forum_id=current.forum_id,
    )  # fmt: skip
    await queries.move_to_version(conn, old_id=current.id, new_id=created.id)
    await queries.carry_over_answers(conn, old_id=current.id, new_id=created.id)
    await record_event(conn, "consultation_published", {"consultation_id": created.id, "slug": slug,
                                                         "version": created.version, "by": official.id})  # fmt: skip
    return created


# Reading


async def _document(conn: asyncpg.Connection, consultation: Consultation) -> Document:
    sections = await queries.list_sections(conn, consultation.id)
    questions = await queries.list_questions(conn, consultation.id)
    return Document(consultation, tuple(sections), tuple(questions))


async def access_consultation(conn: asyncpg.Connection, slug: str, *, version: int | None = None) -> Document:
    consultation = (
        await queries.get_current(conn, slug) if version is None else await queries.get_version(conn, slug, version)
    )
    if consultation is None:
        raise NotFound()
    return await _document(conn, consultation)


async def list_consultations(conn: asyncpg.Connection) -> list[Consultation]:
    return await queries.list_current(conn, limit=LIST_LIMIT)


async def overdue_consultations(conn: asyncpg.Connection, *, clock: Clock) -> list[Consultation]:
    """Closed consultations whose answer deadline has passed with no answer from the council."""
    return await queries.list_overdue(conn, now=clock.now(), limit=OVERDUE_LIMIT)


async def versions(conn: asyncpg.Connection, slug: str) -> list[Consultation]:
    found = await queries.list_versions(conn, slug)
    if not found:
        raise NotFound()
    return found


async def positions(conn: asyncpg.Connection, consultation: Consultation) -> list[Position]:
    """The organizations' positions; on a copy, those its home node published with it, and this node's own."""
    found = await queries.list_positions(conn, consultation.id)
    if not consultation.remote:
        return found
    published = (consultation.published_summary or {}).get("positions")
    ours = {(p.organization_name, p.source) for p in found if p.approved_at is not None}
    for entry in published if isinstance(published, list) else []:
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("name", "handle", "source")):
            continue
        if (entry["name"], entry["source"]) in ours:
            continue  # one of this node's organizations: shown from its own row
        try:
            when = datetime.fromisoformat(str(entry.get("published")))
        except ValueError:
            continue
        uri = entry.get("id") if isinstance(entry.get("id"), str) else None
        found.append(Position(
            id=0, organization_id=None, organization_slug=entry["handle"][:300], organization_name=entry["name"][:200],
            source=entry["source"][:20000], html=render_markdown(entry["source"][:20000]), submitted_by_username="",
            submitted_at=when, approved_at=when, organization_uri=uri,
        ))  # fmt: skip
    return sorted(found, key=lambda p: p.organization_name.lower())


async def updates(conn: asyncpg.Connection, consultation: Consultation) -> list[Update]:
    return await queries.list_updates(conn, consultation.id)


async def council_answer(conn: asyncpg.Connection, consultation: Consultation) -> CouncilAnswer | None:
    return await queries.get_council_answer(conn, consultation.id)


async def my_response(conn: asyncpg.Connection, consultation: Consultation, viewer: Account | None) -> MyResponse:
    if viewer is None:
        return MyResponse()
    return await queries.get_response(conn, consultation.id, viewer.id) or MyResponse()


async def in_audience(conn: asyncpg.Connection, consultation: Consultation, account: Account | None) -> bool:
    if account is None:
        return False
    if consultation.remote:
        # Another district's consultation: nobody here is one of its verified residents or known to its node as an
        # organization's administrator, so only one open to everyone takes answers from here.
        return consultation.audience == "everyone"
    if consultation.audience == "verified_residents":
        return await budgets.is_verified_resident(conn, account.id)
    if consultation.audience == "organizations":
        return await queries.is_organization_admin(conn, account.id)
    return True


async def _check_audience(conn: asyncpg.Connection, consultation: Consultation, account: Account) -> None:
    if not await in_audience(conn, consultation, account):
        if consultation.remote or await accounts_remote(conn, account):
            raise NotInAudience(message=REMOTE_REFUSALS[consultation.audience])
        raise NotInAudience(message=AUDIENCE_REFUSALS[consultation.audience])


async def accounts_remote(conn: asyncpg.Connection, account: Account) -> bool:
    """The account of a member of another node (a shadow account made when their first answer or post came)."""
    return await queries.is_shadow_account(conn, account.id)


def _check_open(consultation: Consultation, clock: Clock) -> None:
    now = clock.now()
    if consultation.is_closed(now):
        raise ConsultationClosed()
    if not consultation.is_open(now):
        raise ConsultationNotOpen()


async def _section_reply_rule(conn: asyncpg.Connection, clock: Clock, author: Account, thread: Thread) -> None:
    """A section's comment thread takes replies on the same terms as the consultation's own comment form, however
    the reply comes (the thread page, the API, another server): only while the consultation is open, and only from
    its audience. Other threads of its forum (interim updates, the council's answer) are not sections."""
    slug = await queries.consultation_of_thread(conn, thread.id, thread.ap_id)
    if slug is None:
        return
    consultation = await queries.get_current(conn, slug)
    if consultation is None:
        return
    _check_open(consultation, clock)
    await _check_audience(conn, consultation, author)


forums.add_reply_rule(_section_reply_rule)


# Taking part


def _too_long(field: str, limit: int) -> InvalidInput:
    return InvalidInput(field=field, message=N_("Please write at most %(max_length)s characters."), max_length=limit)


_STANCE_KEY = re.compile(r"^stance_(\d{1,4})$")
_REASON_KEY = re.compile(r"^reason_(\d{1,4})$")
_QUESTION_KEY = re.compile(r"^q_(\d{1,4})(?:_(\d{1,4}))?$")


def _read_response(document: Document, data: Mapping[str, Any]) -> tuple[
    dict[int, tuple[str | None, str]], dict[int, tuple[list[int] | None, str]]
]:  # fmt: skip
    """The form as {section id: (stance or None, reason)} and {question id: (option ids, text)}.

    Field names: `stance_N`/`reason_N` for section N; `q_N` for question N (an option number for a single choice,
    the text for a free-text question) and `q_N_M` = "1" for option M of a multiple-choice question N. A blank
    stance or answer withdraws an earlier one."""
    sections = {s.number: s for s in document.sections}
    questions = {q.number: q for q in document.questions}
    stances: dict[int, tuple[str | None, str]] = {}
    answers: dict[int, tuple[list[int] | None, str]] = {}
    chosen: dict[int, list[int]] = {}
    errors: list[InvalidInput] = []
    for key, raw in data.items():
        value = str(raw).strip()
        if match := _STANCE_KEY.match(key) or _REASON_KEY.match(key):
            section = sections.get(int(match[1]))
            if section is None or not document.consultation.ask_stances:
                errors.append(NoSuchSection(field=key))
                continue
            stance, reason = stances.get(section.id, (None, ""))
            if key.startswith("stance_"):
                if value and value not in STANCES:
                    errors.append(AnswerWrongFormat(field=key, message=N_(
                        "Please choose in favour, neutral or against.")))  # fmt: skip
                    continue
                stance = value or None
            else:
                if len(value) > REASON_MAX:
                    errors.append(_too_long(key, REASON_MAX))
                    continue
                reason = value
            stances[section.id] = (stance, reason)
        elif match := _QUESTION_KEY.match(key):
            question = questions.get(int(match[1]))
            if question is None:
                errors.append(AnswerWrongFormat(field=key, message=N_("This consultation has no such question.")))
                continue
            options = {o.number: o.id for o in question.options}
            if match[2] is not None:  # one checkbox of a multiple-choice question
                if question.kind != "multiple" or int(match[2]) not in options or value not in ("", "1", "on"):
                    errors.append(AnswerWrongFormat(field=f"q_{question.number}"))
                    continue
                chosen.setdefault(question.id, [])
                if value:
                    chosen[question.id].append(options[int(match[2])])
            elif question.kind == "single":
                if value and (not value.isdecimal() or int(value) not in options):
                    errors.append(AnswerWrongFormat(field=key))
                    continue
                answers[question.id] = ([options[int(value)]] if value else None, "")
            elif question.kind == "text":
                if len(value) > TEXT_ANSWER_MAX:
                    errors.append(_too_long(key, TEXT_ANSWER_MAX))
                    continue
                answers[question.id] = (None, value)
            else:
                errors.append(AnswerWrongFormat(field=key, message=N_("Please tick the options you choose.")))
    for question_id, option_ids in chosen.items():
        answers[question_id] = (sorted(set(option_ids)) or None, "")
    for question_number in str(data.get("multiple_q", "")).split():
        # Every multiple-choice question on the form sends its number here, so unticking all its boxes withdraws it.
        question = questions.get(int(question_number)) if question_number.isdecimal() else None
        if question is not None and question.kind == "multiple" and question.id not in answers:
            answers[question.id] = (None, "")
    if errors:
        raise InvalidFields(list(errors))
    return stances, answers


async def respond(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, slug: str, data: Mapping[str, Any]
) -> MyResponse:
    """Save a participant's stances and answers (each replaces the earlier one) until the consultation closes."""
    participant = accounts.check_can_act(actor, clock)
    consultation = await queries.get_current(conn, slug, for_share=True)
    if consultation is None:
        raise NotFound()
    _check_open(consultation, clock)
    await _check_audience(conn, consultation, participant)
    document = await _document(conn, consultation)
    stances, answers = _read_response(document, data)
    already = await queries.get_response(conn, consultation.id, participant.id)
    if already is None and not any(s for s, _ in stances.values()) and not any(o or t for o, t in answers.values()):
        raise InvalidInput(message=N_("Please answer at least one question before sending."))
    now = clock.now()
    show_name = str(data.get("show_name", "")).lower() in ("1", "on", "true", "yes")
    await queries.upsert_participant(conn, consultation.id, participant.id, show_name=show_name, now=now)
    for section_id, (stance, reason) in stances.items():
        await queries.set_stance(conn, section_id, participant.id, stance=stance, reason=reason if stance else "",
                                 now=now)  # fmt: skip
    for question_id, (option_ids, text) in answers.items():
        await queries.set_answer(conn, question_id, participant.id, option_ids=option_ids, text=text, now=now)
    await record_event(conn, "consultation_answered", {"consultation_id": consultation.id, "by": participant.id})
    return await queries.get_response(conn, consultation.id, participant.id) or MyResponse()


async def comment_on_section(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, slug: str, number: int,
    data: Mapping[str, Any], reply_to_id: int | None = None, as_organization: str | None = None,
) -> Post:  # fmt: skip
    """A comment is a reply in the section's thread; only while open and from the audience, which the section
    threads' reply rule (`_section_reply_rule`) checks for every reply, this one included."""
    author = accounts.check_can_act(actor, clock)
    consultation = await queries.get_current(conn, slug)
    if consultation is None:
        raise NotFound()
    document = await _document(conn, consultation)
    section = next((s for s in document.sections if s.number == number), None)
    if section is None:
        raise NoSuchSection(field="section")
    if section.thread_id is None:
        _check_open(consultation, clock)  # a closed copy says so, rather than "not found"
        raise NotFound()  # a copy whose section thread has not arrived from its home node yet
    return await forums.reply(conn, clock=clock, actor=author, thread_id=section.thread_id, data=data,
                              reply_to_id=reply_to_id, as_organization=as_organization)  # fmt: skip


async def submit_position(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, slug: str, organization_slug: str,
    data: Mapping[str, Any],
) -> Position:  # fmt: skip
    """A member drafts the organization's position; it is shown once one of its admins approves it. Submitted by
    an admin, it is approved at once: the admin signs it by sending it."""
    member = accounts.check_can_act(actor, clock)
    form = parse(PositionForm, data)
    consultation = await queries.get_current(conn, slug, for_share=True)
    if consultation is None:
        raise NotFound()
    _check_open(consultation, clock)
    org = await organizations.access_organization(conn, organization_slug)
    membership = await org_queries.get_membership(conn, org.id, member.id)
    if membership is None:
        raise PermissionDenied(field="organization",
                               message=N_("Only members of the organization can write its position."))  # fmt: skip
    now = clock.now()
    position_id = await queries.upsert_position(
        conn, consultation.id, org.id, source=form.body, html=render_markdown(form.body), by=member.id, now=now
    )
    if membership.role in ADMIN_ROLES:
        await queries.approve_position(conn, position_id, by=member.id, now=now)
    await record_event(conn, "consultation_position_submitted", {"position_id": position_id, "by": member.id,
                                                                  "consultation_id": consultation.id})  # fmt: skip
    position = await queries.get_position(conn, position_id)
    assert position is not None
    return position


async def approve_position(conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, position_id: int) -> None:
    admin = accounts.check_can_act(actor, clock)
    position = await queries.get_position(conn, position_id, for_update=True)
    if position is None or position.organization_id is None:  # another district's: approved on its node
        raise NotFound()
    membership = await org_queries.get_membership(conn, position.organization_id, admin.id)
    if membership is None or membership.role not in ADMIN_ROLES:
        raise NotOrganizationAdmin()
    if position.approved_at is None:
        await queries.approve_position(conn, position.id, by=admin.id, now=clock.now())
        await record_event(conn, "consultation_position_approved", {
            "position_id": position.id, "by": admin.id,
            "consultation_id": await queries.position_consultation_id(conn, position.id),
        })  # fmt: skip


# The council's side


async def publish_update(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, slug: str, data: Mapping[str, Any]
) -> None:
    official = check_official(actor, clock)
    form = parse(UpdateForm, data)
    consultation = await queries.get_current(conn, slug, for_share=True)
    if consultation is None or consultation.remote:  # another node's council answers its own consultations
        raise NotFound()
    update_id = await queries.insert_update(
        conn, consultation.id, source=form.body, html=render_markdown(form.body), by=official.id, now=clock.now()
    )
    await record_event(conn, "consultation_update_published", {"update_id": update_id, "by": official.id,
                                                                "consultation_id": consultation.id})  # fmt: skip
    await _tell_the_forum(conn, clock=clock, official=official, consultation=consultation,
                          title=f"Novedad del concejo: {consultation.title}", body=form.body)  # fmt: skip


async def _tell_the_forum(
    conn: asyncpg.Connection, *, clock: Clock, official: Account, consultation: Consultation, title: str, body: str
) -> None:
    """Interim updates and the council's answer also open a thread in the consultation's comment forum: whoever
    follows it, here or on another district's node, is told, and federation carries them like any thread. The
    titles are content in the node's language (Spanish), not interface text."""
    if len(body) > POST_MAX:
        body = body[: POST_MAX - 60].rstrip() + "\n\n… (texto completo en la página de la consulta)"
    forum = await forums.forum_by_id(conn, consultation.forum_id)
    await forums.start_thread(conn, clock=clock, actor=official, forum_slug=forum.slug,
                              data={"title": title[:200], "body": body})  # fmt: skip


async def publish_answer(
    conn: asyncpg.Connection, *, clock: Clock, actor: Account | None, slug: str, data: Mapping[str, Any]
) -> None:
    """The council's answer, once, after closing: a general response, the accepted changes, and a reply per
    section (`reply_N`, optional each)."""
    official = check_official(actor, clock)
    consultation = await queries.get_current(conn, slug, for_update=True)
    if consultation is None or consultation.remote:  # another node's council answers its own consultations
        raise NotFound()
    if not consultation.is_closed(clock.now()):
        raise ConsultationStillOpen()
    if consultation.answered_at is not None:
        raise ConsultationAlreadyAnswered()
    form = parse(CouncilAnswerForm, data)
    document = await _document(conn, consultation)
    numbers = {s.number: s.id for s in document.sections}
    replies: list[tuple[int, str, str]] = []
    errors: list[DomainError] = []
    for key, raw in data.items():
        if not key.startswith("reply_"):
            continue
        number = key.removeprefix("reply_")
        text = str(raw).strip()
        if not number.isdecimal() or int(number) not in numbers:
            errors.append(NoSuchSection(field=key))
        elif len(text) > SECTION_MAX:
            errors.append(_too_long(key, SECTION_MAX))
        elif text:
            replies.append((numbers[int(number)], text, render_markdown(text)))
    if errors:
        raise InvalidFields(errors)
    await queries.insert_council_answer(
        conn, consultation.id, general=(form.general, render_markdown(form.general)),
        changes=(form.changes, render_markdown(form.changes) if form.changes else ""), section_replies=replies,
        by=official.id, now=clock.now(),
    )  # fmt: skip
    await record_event(conn, "consultation_answered_by_council", {"consultation_id": consultation.id,
                                                                   "by": official.id})  # fmt: skip
    parts = [form.general]
    if form.changes:
        parts.append(f"**Cambios aceptados**\n\n{form.changes}")
    headings = {s.id: f"{s.number}. {s.heading}" for s in document.sections}
    parts += [f"**{headings[section_id]}**\n\n{text}" for section_id, text, _ in sorted(
        replies, key=lambda reply: reply[0])]  # fmt: skip
    await _tell_the_forum(conn, clock=clock, official=official, consultation=consultation,
                          title=f"Respuesta del concejo: {consultation.title}", body="\n\n".join(parts))  # fmt: skip


# Summaries, export and versions


async def summary(conn: asyncpg.Connection, slug: str) -> Summary:
    """The counts. With counting 'residents' only verified residents' stances count, and every participant's
    count is kept beside them when it differs. A copy of another node's consultation shows what its home node
    published: that node alone knows who its residents are and holds every answer."""
    document = await access_consultation(conn, slug)
    consultation = document.consultation
    if consultation.remote:
        return _published_summary(document)
    stance_counts = await queries.tally_stances(conn, consultation.id)
    option_counts, text_counts = await queries.tally_answers(conn, consultation.id)
    approved = [p for p in await queries.list_positions(conn, consultation.id) if p.approved_at is not None]
    residents_only = consultation.counting == "residents"
    counted = await queries.tally_stances(conn, consultation.id, residents_only=True) if residents_only else None

    def tally(section_id: int) -> SectionTally:
        everyone: dict[str, int] = {k: stance_counts.get(section_id, {}).get(k, 0) for k in STANCES}
        if counted is None:
            return SectionTally(sections[section_id], everyone)
        residents: dict[str, int] = {k: counted.get(section_id, {}).get(k, 0) for k in STANCES}
        return SectionTally(sections[section_id], residents, everyone if everyone != residents else None)

    sections = {s.id: s for s in document.sections}
    return Summary(
        document=document,
        participants=await queries.count_participants(conn, consultation.id),
        organizations=len(approved),
        sections=tuple(tally(s.id) for s in document.sections),
        questions=tuple(
            QuestionTally(q, {o.id: option_counts.get(o.id, 0) for o in q.options}, text_counts.get(q.id, 0))
            for q in document.questions
        ),
        residents=await queries.count_participants(conn, consultation.id, residents_only=True)
        if residents_only else None,
    )  # fmt: skip


def published_counts(result: Summary) -> dict[str, Any]:
    """A summary as the home node publishes it to its peers, by section, question and option number."""
    sections = {s.id: s.number for s in result.document.sections}
    options = {o.id: o.number for q in result.document.questions for o in q.options}
    return {
        "participants": result.participants,
        "organizations": result.organizations,
        "residents": result.residents,
        "stances": {str(sections[t.section.id]): t.counts for t in result.sections},
        "everyone": {str(sections[t.section.id]): t.everyone for t in result.sections if t.everyone is not None},
        "choices": {str(t.question.number): {str(options[o]): n for o, n in t.counts.items()}
                    for t in result.questions},
        "texts": {str(t.question.number): t.text_count for t in result.questions},
    }  # fmt: skip


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _published_summary(document: Document) -> Summary:
    published = document.consultation.published_summary or {}

    def stances(key: str, number: int) -> dict[str, int] | None:
        found = published.get(key, {}).get(str(number)) if isinstance(published.get(key), dict) else None
        return {str(k): _count(found.get(k)) for k in STANCES} if isinstance(found, dict) else None

    choices: dict[str, Any] = published["choices"] if isinstance(published.get("choices"), dict) else {}
    texts: dict[str, Any] = published["texts"] if isinstance(published.get("texts"), dict) else {}
    return Summary(
        document=document,
        participants=_count(published.get("participants")),
        organizations=_count(published.get("organizations")),
        sections=tuple(
            SectionTally(s, stances("stances", s.number) or {str(k): 0 for k in STANCES}, stances("everyone", s.number))
            for s in document.sections
        ),
        questions=tuple(
            QuestionTally(q, {o.id: _count((choices.get(str(q.number)) or {}).get(str(o.number))) for o in q.options},
                          _count(texts.get(str(q.number))))
            for q in document.questions
        ),
        residents=_count(published["residents"]) if published.get("residents") is not None else None,
    )  # fmt: skip


async def export(conn: asyncpg.Connection, slug: str) -> tuple[Document, list[ExportRow]]:
    document = await access_consultation(conn, slug)
    if document.consultation.remote:
        raise NotFound()  # every answer is on the consultation's node, which exports them
    return document, await queries.export_rows(conn, document.consultation.id)


def _word_diff(old: str, new: str) -> str:
    """Word-level difference as HTML: unchanged text escaped, removals in <del>, additions in <ins>."""
    old_words, new_words = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append(html_lib.escape("".join(old_words[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            out.append(f"<del>{html_lib.escape(''.join(old_words[i1:i2]))}</del>")
        if tag in ("insert", "replace"):
            out.append(f"<ins>{html_lib.escape(''.join(new_words[j1:j2]))}</ins>")
    return "".join(out)


async def version_diff(conn: asyncpg.Connection, slug: str, version: int) -> VersionDiff:
    """What version `version` changed from the one before it, section by section (matched by number)."""
    newer = await queries.get_version(conn, slug, version)
    older = await queries.get_version(conn, slug, version - 1) if version > 1 else None
    if newer is None or older is None:
        raise NotFound()
    old_sections = {s.number: s for s in await queries.list_sections(conn, older.id)}
    new_sections = {s.number: s for s in await queries.list_sections(conn, newer.id)}
    rows: list[tuple[int, str, str]] = []
    for number in sorted(old_sections.keys() | new_sections.keys()):
        old, new = old_sections.get(number), new_sections.get(number)
        old_text = f"{old.heading}\n{old.source}" if old else ""
        new_text = f"{new.heading}\n{new.source}" if new else ""
        if old_text != new_text:
            rows.append((number, (new or old).heading, _word_diff(old_text, new_text)))  # type: ignore[union-attr]
    return VersionDiff(older, newer, tuple(rows))


# Across district nodes (the protocol is in federation/consultation_exchange.py)


@dataclass(frozen=True)
class CopyQuestion:
    number: int
    kind: str
    prompt: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class CopySection:
    number: int
    heading: str
    source: str  # Markdown, rendered here: another node's HTML is never shown as it came
    thread_ap_id: str


@dataclass(frozen=True)
class Copy:
    """What the home node of a consultation says of it, already read from the wire."""

    ap_id: str
    slug: str  # its slug there
    version: int
    title: str
    summary: str
    opens_at: datetime
    closes_at: datetime
    answer_due_at: datetime
    audience: str
    counting: str
    ask_stances: bool
    publisher_name: str
    publisher_office: str
    sections: tuple[CopySection, ...]
    questions: tuple[CopyQuestion, ...]
    counts: dict[str, Any]
    updates: tuple[tuple[str, datetime], ...]  # (Markdown, published), newest first
    answer: tuple[str, str, dict[int, str], datetime] | None  # general, changes, replies by section number, when


async def receive_copy(
    conn: asyncpg.Connection, *, clock: Clock, publisher_id: int, origin: str, forum_id: int, copy: Copy
) -> Consultation:
    """Keep (or bring up to date) the copy of another node's consultation: a newer version is written as a new
    version here too (answers given here to what it did not change carry over), the published counts, interim
    updates and the council's answer are taken as its home node states them. Nothing here counts answers."""
    if copy.audience not in AUDIENCES or copy.counting not in COUNTINGS or not copy.sections:
        raise InvalidInput(message=N_("This consultation is not in a form this node can show."))
    await queries.upsert_official(conn, publisher_id, name=(copy.publisher_name or "Concejo")[:120].ljust(3, "."),
                                  office=(copy.publisher_office or "Concejo")[:160].ljust(3, "."),
                                  now=clock.now())  # fmt: skip
    current = await queries.get_copy(conn, copy.ap_id, for_update=True)
    if current is None:
        await forum_queries.unlist_forum(conn, forum_id)  # the Group's mirror: reached from the consultation
    if current is None or copy.version > current.version:
        if current is not None:
            await queries.supersede(conn, current.id, now=clock.now())
        consultation_id = await queries.insert_consultation(
            conn, slug=f"{copy.slug}@{origin}", version=copy.version if current else 1,
            previous_id=current.id if current else None, title=copy.title, summary=copy.summary,
            opens_at=copy.opens_at, closes_at=copy.closes_at, answer_due_at=copy.answer_due_at,
            audience=copy.audience, ask_stances=copy.ask_stances, forum_id=forum_id, published_by=publisher_id,
            now=clock.now(), counting=copy.counting, ap_id=copy.ap_id, origin=origin,
        )  # fmt: skip
        for section in copy.sections:
            await queries.insert_section(
                conn, consultation_id=consultation_id, number=section.number, heading=section.heading,
                source=section.source, html=render_markdown(section.source), thread_id=None,
                thread_ap_id=section.thread_ap_id,
            )  # fmt: skip
        for question in copy.questions:
            await queries.insert_question(
                conn, consultation_id=consultation_id, number=question.number, kind=question.kind,
                prompt=question.prompt, options=question.options,
            )  # fmt: skip
        if current is not None:
            await queries.move_to_version(conn, old_id=current.id, new_id=consultation_id)
            await queries.carry_over_answers(conn, old_id=current.id, new_id=consultation_id)
        current = await queries.get_copy(conn, copy.ap_id, for_update=True)
        assert current is not None
    elif copy.version < current.version:
        return current  # an older message arriving late
    await queries.set_published_summary(conn, current.id, copy.counts)
    await queries.replace_updates(conn, current.id, [(render_markdown(text), at) for text, at in copy.updates],
                                  by=publisher_id)  # fmt: skip
    if copy.answer is not None and current.answered_at is None:
        general, changes, replies, answered_at = copy.answer
        numbers = {s.number: s.id for s in await queries.list_sections(conn, current.id)}
        await queries.insert_council_answer(
            conn, current.id, general=(general, render_markdown(general)),
            changes=(changes, render_markdown(changes) if changes else ""),
            section_replies=[(numbers[n], text, render_markdown(text)) for n, text in replies.items() if n in numbers],
            by=publisher_id, now=answered_at,
        )  # fmt: skip
    await record_event(conn, "consultation_copy_received", {"consultation_id": current.id})
    found = await queries.get_copy(conn, copy.ap_id)
    assert found is not None
    return found


@dataclass(frozen=True)
class Shared:
    """Everything a peer is told about one of this node's consultations."""

    document: Document
    counts: dict[str, Any]
    updates: list[tuple[str, datetime]]  # (Markdown, published)
    answer: CouncilAnswer | None
    replies: dict[int, str]  # section number → Markdown of the council's reply
    positions: list[Position]  # approved ones


async def shared_view(conn: asyncpg.Connection, consultation_id: int) -> Shared | None:
    """The current version of a consultation of this node with its counts, updates and answer; None for a copy or
    an unknown id."""
    slug = await queries.slug_of(conn, consultation_id)
    if slug is None:
        return None
    document = await access_consultation(conn, slug)
    if document.consultation.remote:
        return None
    answer = await queries.get_council_answer(conn, document.consultation.id)
    return Shared(
        document=document, counts=published_counts(await summary(conn, slug)),
        updates=await queries.update_sources(conn, document.consultation.id), answer=answer,
        replies=await queries.reply_sources(conn, document.consultation.id) if answer else {},
        positions=[p for p in await queries.list_positions(conn, document.consultation.id) if p.approved_at],
    )  # fmt: skip


async def response_of(
    conn: asyncpg.Connection, consultation_id: int, account_id: int
) -> tuple[Document, MyResponse] | None:
    """What a member of this node answered to a copy of another node's consultation, to send it there."""
    slug = await queries.slug_of(conn, consultation_id)
    if slug is None:
        return None
    document = await access_consultation(conn, slug)
    if not document.consultation.remote:
        return None
    return document, await queries.get_response(conn, document.consultation.id, account_id) or MyResponse()


async def shared_view_of_forum(conn: asyncpg.Connection, forum_id: int) -> Shared | None:
    """The consultation of this node whose comments live in that forum, if any (for a peer that just followed it)."""
    consultation_id = await queries.current_of_forum(conn, forum_id)
    return await shared_view(conn, consultation_id) if consultation_id is not None else None


async def respond_remotely(
    conn: asyncpg.Connection, *, clock: Clock, participant: Account, slug: str, version: int, data: Mapping[str, Any]
) -> MyResponse:
    """A member of another node answers one of this node's consultations, from there: the same rules as here
    (dates, format, audience: they are never a verified resident of this district), for the version they saw."""
    current = await queries.get_current(conn, slug)
    if current is None or current.remote:
        raise NotFound()
    if version != current.version:
        raise InvalidInput(message=N_("This consultation has a newer version. Please read it and answer again."))
    return await respond(conn, clock=clock, actor=participant, slug=slug, data=data)


async def refused_remotely(conn: asyncpg.Connection, *, slug: str, account_id: int, forum_id: int, reason: str) -> None:
    """The home node of a copy refused a member's answers (told by its Group, the one of the copy's forum): she
    sees why on the copy's page, until she answers again."""
    consultation = await queries.get_current(conn, slug)
    if consultation is None or not consultation.remote or consultation.forum_id != forum_id:
        raise NotFound()
    await queries.set_refusal(conn, consultation.id, account_id, reason=reason)


async def told_again_later(conn: asyncpg.Connection, event_id: int, consultation_id: int) -> bool:
    """Many answers in a row become one message to each peer, for the last of them."""
    return await queries.told_again_later(conn, event_id, consultation_id)


async def position_to_send(conn: asyncpg.Connection, position_id: int) -> tuple[Consultation, Position] | None:
    """An approved position of an organization of this node on another node's consultation: what goes there."""
    position = await queries.get_position(conn, position_id)
    consultation_id = await queries.position_consultation_id(conn, position_id)
    slug = await queries.slug_of(conn, consultation_id) if consultation_id is not None else None
    consultation = await queries.get_current(conn, slug) if slug is not None else None
    if position is None or position.approved_at is None or position.organization_id is None:
        return None
    if consultation is None or not consultation.remote:
        return None
    return consultation, position


async def receive_remote_position(
    conn: asyncpg.Connection, *, clock: Clock, slug: str, remote_actor_id: int, submitted_by: int, body: str
) -> Position:
    """An organization of another district puts forward its position, signed by it on its node (whose admins
    approved it there): taken while the consultation is open, like this node's organizations' positions."""
    form = parse(PositionForm, {"body": body})
    consultation = await queries.get_current(conn, slug, for_share=True)
    if consultation is None or consultation.remote:
        raise NotFound()
    _check_open(consultation, clock)
    position_id = await queries.upsert_remote_position(
        conn, consultation.id, remote_actor_id, source=form.body, html=render_markdown(form.body), by=submitted_by,
        now=clock.now(),
    )  # fmt: skip
    await record_event(conn, "consultation_position_approved", {"position_id": position_id, "by": submitted_by,
                                                                 "consultation_id": consultation.id})  # fmt: skip
    position = await queries.get_position(conn, position_id)
    assert position is not None
    return position
