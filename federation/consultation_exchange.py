"""Council consultations between district nodes: the consultation goes out, answers from other districts come in.

A consultation lives on the node of its council (its *home node*); its comments live in its forum there, whose Group
(``/f/consulta-<slug>``) other nodes follow (README: "how other districts follow a consultation"). That Group also
carries the consultation itself:

- ``Create`` (Group → a node that just followed it) and ``Update`` (Group → its followers, whenever the consultation
  is published in a new version, answered by anyone, given an interim update or answered by the council) of the
  consultation object below. A receiving node keeps a copy (``deliberate.consultations.service.receive_copy``) and
  shows it like its own, marked with the home node; it takes it only from the Group it follows for that forum, and
  only an object on that Group's own server.
- ``Create`` (a member of another node → the Group) of a *response*: that member's whole current answer. The home
  node checks that the response is the sender's own (``attributedTo`` is the HTTP signer, and its FEP-8b32 proof is
  made with one of the signer's keys), then calls the same service as for its own members
  (``respond_remotely`` → ``respond``: dates, format, audience), as the member's shadow account. A refusal is kept on
  the inbox row with its reason (a member of another district is never a verified resident of this one), and a
  ``Reject`` of her ``Create`` (Group → her), with the reason as ``content``, tells her node, which shows it to her.
- ``Create`` (an organization of another node → the Group) of a *position*: its text, signed with the
  organization's key (its node had one of its admins approve it). The home node checks sender and proof and keeps
  it as that organization's position; every copy shows the positions its home node lists.

The home node alone counts: each copy shows the counts the home node published in its last ``Update``.

Consultation object (AS2 ``Document``; extension terms in the ``delib`` namespace of ``CONTEXT`` below; Markdown
sources travel, and every node renders them itself, so no node shows HTML written by another)::

    {"type": "Document", "id": "<home>/c/<slug>", "url": same, "attributedTo": "<home>/u/<official>",
     "audience": "<home>/f/<forum>", "to": [Public], "cc": ["<home>/f/<forum>/followers"],
     "name": title, "summary": plain summary, "published", "startTime": opens, "endTime": closes,
     "answerDue", "consultationVersion": 1.., "participation": "everyone"|"verified_residents"|"organizations",
     "counting": "everyone"|"residents", "askStances": bool, "officialName", "officialOffice",
     "sections": [{"number", "name", "source" (Markdown), "context": "<home>/t/<thread>"}],
     "questions": [{"number", "kind": "single"|"multiple"|"text", "name", "options": [label…]}],
     "counts": {"participants", "organizations", "residents", "stances": {"<n>": {"favor", "neutral", "contra"}},
                "everyone": same for every participant when only residents count, "choices": {"<q>": {"<o>": n}},
                "texts": {"<q>": n}},
     "updates": [{"source", "published"}], "councilAnswer": {"source", "changes", "replies": {"<n>": source},
     "published"} (once answered), "positions": [{"id": organization, "name", "handle": "slug@host", "source",
     "published"}], "proof": FEP-8b32 by the official}

Response object (AS2 ``Document``)::

    {"type": "Document", "id": "<member's node>/c/<copy>/responses/<event>", "attributedTo": member,
     "inResponseTo": consultation id, "consultationVersion", "showName": bool, "published",
     "stances": [{"section": n, "stance": "favor"|"neutral"|"contra"|null, "reason"}],
     "answers": [{"question": n, "choices": [option numbers]} or {"question": n, "content": text}],
     "proof": FEP-8b32 by the member}

Position object (AS2 ``Document``)::

    {"type": "Document", "id": "<organization's node>/c/<copy>/positions/<id>", "attributedTo": organization,
     "positionOn": consultation id, "content": HTML, "source": {"content": Markdown, "mediaType": "text/markdown"},
     "published", "proof": FEP-8b32 by the organization}
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

import asyncpg

from deliberate.accounts import service as accounts
from deliberate.consultations import service as consultations
from deliberate.consultations.model import Consultation, Document, MyResponse, Position
from deliberate.consultations.service import Copy, CopyQuestion, CopySection, Shared
from deliberate.errors import ActivityRejected, DomainError, NotFound
from deliberate.forums import service as forums
from deliberate.organizations import service as orgs
from deliberate.peers import service as peers
from deliberate.peers.model import RemoteActor
from deliberate.peers.service import Signer
from federation import activities, identity, objects
from federation.coalitions import verify_remote_proof
from federation.crypto.errors import SignatureError
from federation.crypto.proofs import proofs_of
from federation.fetch import FetchBudget
from federation.resolver import host_of
from schemas.activitypub import PUBLIC, Activity

if TYPE_CHECKING:
    from federation.outbox import Outbox

Handler = Callable[..., Awaitable[None]]
NS = "https://deliberate.pe/ns#"
TERMS = ("answerDue", "consultationVersion", "participation", "counting", "askStances", "officialName",
         "officialOffice", "sections", "questions", "counts", "updates", "councilAnswer", "inResponseTo",
         "showName", "stances", "answers", "positionOn", "positions", "handle")  # fmt: skip
CONTEXT = [*activities.CONTEXT, {"delib": NS, **{term: f"delib:{term}" for term in TERMS}}]


def consultation_uri(base_url: str, slug: str) -> str:
    return f"{base_url}/c/{slug}"


def _stamp(value: datetime) -> str:
    return value.isoformat()


async def local_document(conn: asyncpg.Connection, outbox: Outbox, shared: Shared) -> dict[str, Any]:
    """The consultation object of one of this node's consultations, signed by the official who published it."""
    base = outbox.base_url
    c = shared.document.consultation
    forum = await forums.forum_by_id(conn, c.forum_id)
    group = identity.actor_uri(base, "group", forum.slug)
    uri = consultation_uri(base, c.slug)
    document: dict[str, Any] = {
        "@context": CONTEXT, "id": uri, "type": "Document", "url": uri,
        "attributedTo": identity.actor_uri(base, "person", c.publisher_username),
        "audience": group, "to": [PUBLIC], "cc": [f"{group}/followers"],
        "name": c.title, "summary": c.summary, "published": _stamp(c.published_at),
        "startTime": _stamp(c.opens_at), "endTime": _stamp(c.closes_at), "answerDue": _stamp(c.answer_due_at),
        "consultationVersion": c.version, "participation": c.audience, "counting": c.counting,
        "askStances": c.ask_stances, "officialName": c.publisher_name or c.publisher_username,
        "officialOffice": c.publisher_office or "",
        "sections": [
            {"number": s.number, "name": s.heading, "source": s.source,
             "context": objects.thread_url(base, s.thread_id) if s.thread_id is not None else None}
            for s in shared.document.sections
        ],
        "questions": [
            {"number": q.number, "kind": q.kind, "name": q.prompt, "options": [o.label for o in q.options]}
            for q in shared.document.questions
        ],
        "counts": shared.counts,
        "updates": [{"source": text, "published": _stamp(at)} for text, at in shared.updates],
        "positions": [
            {"id": p.organization_uri or identity.actor_uri(base, "organization", p.organization_slug),
             "name": p.organization_name, "source": p.source, "published": _stamp(p.approved_at or p.submitted_at),
             "handle": p.organization_slug if p.organization_uri else f"{p.organization_slug}@{urlsplit(base).netloc}"}
            for p in shared.positions
        ],
    }  # fmt: skip
    if shared.answer is not None:
        document["councilAnswer"] = {
            "source": shared.answer.general_source, "changes": shared.answer.changes_source,
            "replies": {str(n): text for n, text in shared.replies.items()},
            "published": _stamp(shared.answer.answered_at),
        }  # fmt: skip
    who = await identity.load(conn, base, Signer("person", c.published_by), clock=outbox.clock)
    return activities.signed(document, key=who.ed25519_key, key_id=who.proof_key_id, now=outbox.clock.now())


async def _enqueue(
    conn: asyncpg.Connection, outbox: Outbox, activity: dict[str, Any], signer: Signer, recipients: list[Any]
) -> None:
    if not recipients:
        return
    body = json.dumps(activity, ensure_ascii=False, separators=(",", ":")).encode()
    await peers.enqueue(conn, activity_id=activity["id"], body=body, signer=signer, recipients=recipients,
                        clock=outbox.clock)  # fmt: skip


def _activity(kind: str, activity_id: str, actor: str, obj: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"@context": CONTEXT, "id": activity_id, "type": kind, "actor": actor, "object": obj, **extra}


# Outgoing


async def translate(
    conn: asyncpg.Connection, outbox: Outbox, event_id: int, kind: str, payload: dict[str, Any]
) -> None:
    """Activities for one consultation event (called by the outbox worker)."""
    if "consultation_id" not in payload or kind == "consultation_copy_received":
        return
    consultation_id = int(payload["consultation_id"])
    activity_id = f"{outbox.base_url}/activities/e{event_id}k"
    if kind == "consultation_answered" and payload.get("by") is not None:
        mine = await consultations.response_of(conn, consultation_id, int(payload["by"]))
        if mine is not None:  # a member of this node answered another node's consultation: tell it there
            await _send_response(conn, outbox, activity_id, event_id, int(payload["by"]), *mine)
            return
    if kind in ("consultation_position_submitted", "consultation_position_approved"):
        sending = await consultations.position_to_send(conn, int(payload["position_id"]))
        if sending is not None:  # an organization of this node on another node's consultation: tell it there
            await _send_position(conn, outbox, activity_id, *sending)
            return
    if await consultations.told_again_later(conn, event_id, consultation_id):
        return  # a later event about it is in the log: its Update will carry this one's news too
    shared = await consultations.shared_view(conn, consultation_id)
    if shared is None:
        return
    c = shared.document.consultation
    signer = Signer("group", c.forum_id)
    recipients = await peers.followers_of(conn, signer)
    if not recipients:
        return
    forum = await forums.forum_by_id(conn, c.forum_id)
    group = identity.actor_uri(outbox.base_url, "group", forum.slug)
    document = await local_document(conn, outbox, shared)
    update = _activity("Update", activity_id, group, document, to=[PUBLIC], cc=[f"{group}/followers"],
                       audience=group)  # fmt: skip
    await _enqueue(conn, outbox, update, signer, recipients)


async def _send_response(
    conn: asyncpg.Connection, outbox: Outbox, activity_id: str, event_id: int, account_id: int,
    document: Document, mine: MyResponse,
) -> None:  # fmt: skip
    c = document.consultation
    group = await peers.actor_of_forum(conn, c.forum_id)
    if group is None or c.ap_id is None:
        return
    base = outbox.base_url
    member = await accounts.access_account(conn, account_id)
    me = identity.actor_uri(base, "person", member.username)
    answers: list[dict[str, Any]] = []
    for q in document.questions:
        numbers = {o.id: o.number for o in q.options}
        if q.kind == "text":
            answers.append({"question": q.number, "content": mine.texts.get(q.id, "")})
        else:
            answers.append({"question": q.number, "choices": [numbers[o] for o in mine.choices.get(q.id, ())
                                                               if o in numbers]})  # fmt: skip
    response = {
        "@context": CONTEXT, "id": f"{base}/c/{c.slug}/responses/{event_id}", "type": "Document",
        "attributedTo": me, "inResponseTo": c.ap_id, "consultationVersion": c.version, "to": [group.uri],
        "audience": group.uri, "showName": mine.show_name, "published": _stamp(outbox.clock.now()),
        "stances": [
            {"section": s.number, "stance": mine.stances.get(s.id, (None, ""))[0],
             "reason": mine.stances.get(s.id, (None, ""))[1]}
            for s in document.sections
        ],
        "answers": answers,
    }  # fmt: skip
    signer = Signer("person", member.id)
    who = await identity.load(conn, base, signer, clock=outbox.clock)
    signed = activities.signed(response, key=who.ed25519_key, key_id=who.proof_key_id, now=outbox.clock.now())
    create = _activity("Create", activity_id, me, signed, to=[group.uri], audience=group.uri)
    await _enqueue(conn, outbox, create, signer, [peers.recipient_of(group)])


async def _send_position(
    conn: asyncpg.Connection, outbox: Outbox, activity_id: str, c: Consultation, position: Position
) -> None:
    group = await peers.actor_of_forum(conn, c.forum_id)
    if group is None or c.ap_id is None or position.organization_id is None:
        return
    base = outbox.base_url
    org = await orgs.access_organization_by_id(conn, position.organization_id)
    me = identity.actor_uri(base, "organization", org.slug)
    document = {
        "@context": CONTEXT, "id": f"{base}/c/{c.slug}/positions/{position.id}", "type": "Document",
        "attributedTo": me, "positionOn": c.ap_id, "to": [group.uri], "audience": group.uri,
        "content": position.html, "source": {"content": position.source, "mediaType": "text/markdown"},
        "published": _stamp(position.approved_at or position.submitted_at),
    }  # fmt: skip
    signer = Signer("organization", org.id)
    who = await identity.load(conn, base, signer, clock=outbox.clock)
    signed = activities.signed(document, key=who.ed25519_key, key_id=who.proof_key_id, now=outbox.clock.now())
    create = _activity("Create", activity_id, me, signed, to=[group.uri], audience=group.uri)
    await _enqueue(conn, outbox, create, signer, [peers.recipient_of(group)])


# Incoming


def _local_slug(base_url: str, uri: str) -> str | None:
    uri = urldefrag(uri).url
    if not uri.startswith(base_url + "/"):
        return None
    parts = [p for p in urlsplit(uri).path.split("/") if p]
    return parts[1] if len(parts) == 2 and parts[0] == "c" else None


def _is_consultation(document: Any) -> bool:
    return isinstance(document, dict) and document.get("type") == "Document" and "sections" in document


def _is_position(document: Any) -> bool:
    return isinstance(document, dict) and document.get("type") == "Document" and "positionOn" in document


def _is_response(document: Any) -> bool:
    return isinstance(document, dict) and document.get("type") == "Document" and "inResponseTo" in document


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise ActivityRejected(reason="a text field of the consultation is missing")
    return value[:limit]


def _when(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise ActivityRejected(reason="a date of the consultation is not an ISO 8601 date") from None
    if parsed.tzinfo is None:
        raise ActivityRejected(reason="a date of the consultation has no time zone")
    return parsed


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ActivityRejected(reason="a number of the consultation is not a number")
    return value


def _read_copy(document: dict[str, Any], slug: str) -> Copy:
    sections = document.get("sections")
    questions = document.get("questions") or []
    if not isinstance(sections, list) or not isinstance(questions, list):
        raise ActivityRejected(reason="sections and questions are lists")
    answer = document.get("councilAnswer")
    updates = document.get("updates") or []
    counts = document.get("counts")
    try:
        return Copy(
            ap_id=str(document["id"]), slug=slug, version=_int(document.get("consultationVersion")),
            title=_text(document.get("name"), 200), summary=_text(document.get("summary"), 5000),
            opens_at=_when(document.get("startTime")), closes_at=_when(document.get("endTime")),
            answer_due_at=_when(document.get("answerDue")), audience=str(document.get("participation")),
            counting=str(document.get("counting", "everyone")), ask_stances=document.get("askStances") is True,
            publisher_name=str(document.get("officialName") or ""),
            publisher_office=str(document.get("officialOffice") or ""),
            sections=tuple(
                CopySection(_int(s.get("number")), _text(s.get("name"), 200), _text(s.get("source"), 20000),
                            str(s.get("context") or ""))
                for s in sections[:200]
            ),
            questions=tuple(
                CopyQuestion(_int(q.get("number")), str(q.get("kind")), _text(q.get("name"), 500),
                             tuple(_text(o, 200) for o in (q.get("options") or [])[:50]))
                for q in questions[:100]
            ),
            counts=(counts if isinstance(counts, dict) else {}) | {"positions": document.get("positions") or []},
            updates=tuple((_text(u.get("source"), 5000), _when(u.get("published"))) for u in updates[:100]),
            answer=(
                _text(answer.get("source"), 20000), str(answer.get("changes") or "")[:20000],
                {int(n): _text(t, 20000) for n, t in (answer.get("replies") or {}).items() if str(n).isdigit()},
                _when(answer.get("published")),
            ) if isinstance(answer, dict) else None,
        )  # fmt: skip
    except (AttributeError, TypeError):
        raise ActivityRejected(reason="the consultation is not in the expected form") from None


async def _receive_consultation(conn: asyncpg.Connection, processor: Any, group: RemoteActor,
                                document: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    uri = document.get("id")
    if not isinstance(uri, str) or host_of(uri) != group.host:
        raise ActivityRejected(reason="a consultation comes from its own node")
    if group.forum_id is None or document.get("audience") != group.uri:
        raise ActivityRejected(reason="a consultation comes from the Group of its comment forum, followed here")
    path = [p for p in urlsplit(uri).path.split("/") if p]
    if len(path) != 2 or path[0] != "c":
        raise ActivityRejected(reason="a consultation's id is its page")
    author = str(document.get("attributedTo") or "")
    if host_of(author) != group.host:
        raise ActivityRejected(reason="a consultation is published by an official of its own node")
    official = await processor.resolver.actor(author, budget=budget)
    publisher = await peers.author_account(conn, official, clock=processor.resolver.clock)
    try:
        await consultations.receive_copy(
            conn, clock=processor.resolver.clock, publisher_id=publisher, origin=group.host, forum_id=group.forum_id,
            copy=_read_copy(document, path[1]),
        )  # fmt: skip
    except DomainError as exc:
        if isinstance(exc, ActivityRejected):
            raise
        raise ActivityRejected(reason=str(exc)) from None


def _response_form(document: dict[str, Any]) -> dict[str, str]:
    """The response as the fields of the answer form, so the home node reads it exactly as its own members'."""
    data: dict[str, str] = {"show_name": "1" if document.get("showName") is True else ""}
    stances, answers = document.get("stances") or [], document.get("answers") or []
    if not isinstance(stances, list) or not isinstance(answers, list):
        raise ActivityRejected(reason="stances and answers are lists")
    multiple = []
    for entry in stances[:200]:
        if isinstance(entry, dict):
            number = _int(entry.get("section"))
            data[f"stance_{number}"] = str(entry.get("stance") or "")
            data[f"reason_{number}"] = str(entry.get("reason") or "")
    for entry in answers[:100]:
        if not isinstance(entry, dict):
            continue
        number = _int(entry.get("question"))
        if "content" in entry:
            data[f"q_{number}"] = str(entry.get("content") or "")
        elif isinstance(entry.get("choices"), list):
            chosen = [_int(o) for o in entry["choices"][:50]]
            # Sent as the single choice, or as ticked boxes; the service refuses the shape that does not fit.
            data[f"q_{number}"] = str(chosen[0]) if len(chosen) == 1 else ""
            for option in chosen:
                data[f"q_{number}_{option}"] = "1"
            multiple.append(str(number))
    data["multiple_q"] = " ".join(multiple)
    return data


async def _receive_response(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, raw: dict[str, Any],
                            document: dict[str, Any]) -> None:  # fmt: skip
    if document.get("attributedTo") != actor.uri:
        raise ActivityRejected(reason="the response is not attributed to the actor who sent it")
    proofs = proofs_of(document)
    if len(proofs) != 1:
        raise ActivityRejected(reason="a response carries exactly one proof, by its author")
    try:
        verify_remote_proof(document, proofs[0], actor.uri, actor.assertion_keys)
    except SignatureError as exc:
        raise ActivityRejected(reason=f"the response's proof does not hold: {exc}") from None
    slug = _local_slug(processor.outbox.base_url, str(document.get("inResponseTo") or ""))
    if slug is None:
        raise ActivityRejected(reason="the response is not to a consultation of this node")
    clock = processor.resolver.clock
    participant = await accounts.access_account(conn, await peers.author_account(conn, actor, clock=clock))
    data = await _fit_to_questions(conn, slug, _response_form(document))
    try:
        await consultations.respond_remotely(conn, clock=clock, participant=participant, slug=slug,
                                             version=_int(document.get("consultationVersion")), data=data)  # fmt: skip
    except NotFound:
        raise ActivityRejected(reason="no such consultation here") from None
    except DomainError as exc:
        # Refused by a rule (closed, not in the audience, a wrong answer): the member is told why, on her node.
        exc.answer_refusal = partial(_send_refusal, processor.outbox, actor, raw, slug, _reason(exc))  # type: ignore[attr-defined]
        raise


async def _receive_position(conn: asyncpg.Connection, processor: Any, actor: RemoteActor,
                            document: dict[str, Any]) -> None:  # fmt: skip
    """An organization of another district's position, signed with its own key (its node's admins approved it)."""
    if actor.type != "Organization" or document.get("attributedTo") != actor.uri:
        raise ActivityRejected(reason="a position is the word of the organization that sends it")
    proofs = proofs_of(document)
    if len(proofs) != 1:
        raise ActivityRejected(reason="a position carries exactly one proof, by its organization")
    try:
        verify_remote_proof(document, proofs[0], actor.uri, actor.assertion_keys)
    except SignatureError as exc:
        raise ActivityRejected(reason=f"the position's proof does not hold: {exc}") from None
    slug = _local_slug(processor.outbox.base_url, str(document.get("positionOn") or ""))
    source = document.get("source")
    body = source.get("content") if isinstance(source, dict) else None
    if slug is None or not isinstance(body, str):
        raise ActivityRejected(reason="a position is on a consultation of this node, with its Markdown source")
    clock = processor.resolver.clock
    try:
        await consultations.receive_remote_position(
            conn, clock=clock, slug=slug, remote_actor_id=actor.id,
            submitted_by=await peers.author_account(conn, actor, clock=clock), body=body,
        )  # fmt: skip
    except NotFound:
        raise ActivityRejected(reason="no such consultation here") from None


def _reason(exc: DomainError) -> str:
    """The message a person reads (an English message id her node translates), not the error's code."""
    first = next(iter(getattr(exc, "errors", None) or []), exc)
    return str(first.message % first.params if first.params else first.message)


async def _send_refusal(outbox: Outbox, member: RemoteActor, raw: dict[str, Any], slug: str, reason: str,
                        conn: asyncpg.Connection) -> None:  # fmt: skip
    """A Reject of the member's Create, from the consultation's Group, with the reason as its content."""
    document = await consultations.access_consultation(conn, slug)
    forum = await forums.forum_by_id(conn, document.consultation.forum_id)
    group = identity.actor_uri(outbox.base_url, "group", forum.slug)
    created = raw.get("object")
    refused = {"id": raw.get("id"), "type": "Create", "actor": member.uri,
               "object": created.get("id") if isinstance(created, dict) else created}  # fmt: skip
    reject = _activity("Reject", activities.new_id(outbox.base_url), group, refused, content=reason, to=[member.uri])
    await _enqueue(conn, outbox, reject, Signer("group", forum.id), [peers.recipient_of(member)])


async def _fit_to_questions(conn: asyncpg.Connection, slug: str, data: dict[str, str]) -> dict[str, str]:
    """Choices arrive as option numbers whatever the kind; give single-choice questions their one field and
    multiple-choice ones their boxes, as the form would."""
    try:
        document = await consultations.access_consultation(conn, slug)
    except NotFound:
        raise ActivityRejected(reason="no such consultation here") from None
    kinds = {q.number: q.kind for q in document.questions}
    multiple = []
    for number_text in data.get("multiple_q", "").split():
        number = int(number_text)
        if kinds.get(number) == "multiple":
            data.pop(f"q_{number}", None)
            multiple.append(number_text)
        elif data.get(f"q_{number}"):
            for key in [k for k in data if k.startswith(f"q_{number}_")]:
                del data[key]  # the one choice of a single-choice question; several stay boxes, and are refused
    data["multiple_q"] = " ".join(multiple)
    return data


def _create_or_update(fallback: Handler) -> Handler:
    async def handle(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, activity: Activity,
                     raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
        inner = raw.get("object")
        if _is_consultation(inner):
            assert isinstance(inner, dict)
            await _receive_consultation(conn, processor, actor, inner, budget)
        elif _is_response(inner) and activity.type == "Create":
            assert isinstance(inner, dict)
            await _receive_response(conn, processor, actor, raw, inner)
        elif _is_position(inner) and activity.type == "Create":
            assert isinstance(inner, dict)
            await _receive_position(conn, processor, actor, inner)
        else:
            await fallback(conn, processor, actor, activity, raw, budget)

    return handle


def _follow(fallback: Handler) -> Handler:
    async def handle(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, activity: Activity,
                     raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
        await fallback(conn, processor, actor, activity, raw, budget)
        base = processor.outbox.base_url
        target = urldefrag(activity.object_id or "").url
        parts = [p for p in urlsplit(target).path.split("/") if p] if target.startswith(base + "/") else []
        if len(parts) != 2 or parts[0] != "f":
            return
        forum = await forums.access_forum(conn, parts[1], viewer=None)
        shared = await consultations.shared_view_of_forum(conn, forum.id)
        if shared is None:
            return
        # The new follower gets the consultation at once, after the Accept; later changes come as Updates.
        group = identity.actor_uri(base, "group", forum.slug)
        document = await local_document(conn, processor.outbox, shared)
        create = _activity("Create", activities.new_id(base), group, document, to=[actor.uri], audience=group)
        await _enqueue(conn, processor.outbox, create, Signer("group", forum.id), [peers.recipient_of(actor)])

    return handle


def _reject(fallback: Handler) -> Handler:
    async def handle(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, activity: Activity,
                     raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
        inner = raw.get("object")
        base = processor.outbox.base_url
        response = inner.get("object") if isinstance(inner, dict) and inner.get("type") == "Create" else None
        path = [p for p in urlsplit(response).path.split("/") if p] if isinstance(response, str) else []
        if not (isinstance(response, str) and response.startswith(base + "/") and len(path) == 4
                and path[0] == "c" and path[2] == "responses"):  # fmt: skip
            await fallback(conn, processor, actor, activity, raw, budget)
            return
        assert isinstance(inner, dict)
        member = str(inner.get("actor") or "")
        parts = [p for p in urlsplit(member).path.split("/") if p] if member.startswith(base + "/") else []
        if len(parts) != 2 or parts[0] != "u" or actor.forum_id is None:
            raise ActivityRejected(reason="a refusal is of one of our members' answers, from the consultation's Group")
        account = await accounts.access_account_by_username(conn, parts[1])
        reason = (activity.content or "").strip()[:1000] or "—"
        try:
            await consultations.refused_remotely(conn, slug=path[1], account_id=account.id, forum_id=actor.forum_id,
                                                 reason=reason)  # fmt: skip
        except NotFound:
            raise ActivityRejected(reason="no copy of that consultation comes from this Group") from None

    return handle


def handlers(existing: Mapping[str, Handler]) -> dict[str, Any]:
    """The processing table's entries for consultations; everything else falls back to `existing`."""
    return {
        "Create": _create_or_update(existing["Create"]),
        "Update": _create_or_update(existing["Update"]),
        "Follow": _follow(existing["Follow"]),
        "Reject": _reject(existing["Reject"]),
    }
