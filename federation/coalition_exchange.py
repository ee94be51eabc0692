"""Coalitions between nodes: what goes out for coalition events, and what comes in.

The coalition is the Group of its forum on the founding node (``/f/<forum>``): its keys sign what the coalition
sends, and its forum relays the members' posts (FEP-1b12) like any other Group forum. Between nodes:

- ``Invite`` (Group → invited Organization): object the organization, target the Group with the coalition's name,
  purpose (``summary``), charter (``content``) and ``threshold``. The invited node keeps a copy of the coalition.
- ``Accept`` / ``Reject`` (Organization → Group) of that Invite. An Accept carries an FEP-8b32 proof by the
  organization's key; the founding node checks it against the key the organization's actor lists and keeps it.
- ``Leave`` (Organization → Group), object the Group.
- ``Update`` of the Group (Group → member organizations) with ``members``: each organization's id, name and state
  (member, left, removed), sent whenever one joins, leaves or is removed, so every node shows the same list.
- ``Announce`` (Group → member organizations) of a statement: its fixed document with the proof set so far, and
  ``published`` once the threshold is reached. Every receiver checks every proof against keys it trusts (its own
  organizations' keys, or the signer's actor) and refuses the whole activity if one does not hold.
- ``Add`` (Organization → Group) of the organization's proof to a statement (target): its signature.
- ``Add`` (Group → the node of a budget project or consultation) of a published statement: the coalition's position
  there (target: the project's or consultation's URL).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

import asyncpg

from deliberate.coalitions import service as coalitions
from deliberate.coalitions.model import Coalition, Statement
from deliberate.errors import ActivityRejected, DomainError, NotFound
from deliberate.forums import service as forums
from deliberate.organizations import service as orgs
from deliberate.peers import service as peers
from deliberate.peers.model import RemoteActor
from deliberate.peers.service import Signer
from federation import activities, identity
from federation.coalitions import coalition_uri, verify_remote_proof
from federation.crypto.errors import SignatureError
from federation.crypto.proofs import proofs_of, verify_proof
from federation.fetch import FetchBudget
from federation.resolver import host_of
from schemas.activitypub import Activity

if TYPE_CHECKING:
    from federation.outbox import Outbox

Handler = Callable[..., Awaitable[None]]


def _activity(kind: str, activity_id: str, actor: str, obj: Any, **extra: Any) -> dict[str, Any]:
    return {"@context": activities.CONTEXT, "id": activity_id, "type": kind, "actor": actor, "object": obj, **extra}


def _group_object(base_url: str, coalition: Coalition) -> dict[str, Any]:
    return {
        "id": coalition_uri(base_url, coalition),
        "type": "Group",
        "name": coalition.name,
        "summary": coalition.purpose,
        "content": coalition.charter,
        "threshold": coalition.threshold,
        "url": f"{base_url}/coalitions/{coalition.slug}",
    }


def _org_uri(base_url: str, slug: str) -> str:
    return identity.actor_uri(base_url, "organization", slug)


async def _enqueue(
    conn: asyncpg.Connection, outbox: Outbox, activity: dict[str, Any], signer: Signer, actors: list[RemoteActor]
) -> None:
    if not actors:
        return
    body = json.dumps(activity, ensure_ascii=False, separators=(",", ":")).encode()
    await peers.enqueue(
        conn, activity_id=activity["id"], body=body, signer=signer,
        recipients=[peers.recipient_of(actor) for actor in actors], clock=outbox.clock,
    )  # fmt: skip


async def _group_actor(conn: asyncpg.Connection, coalition: Coalition) -> RemoteActor | None:
    actor_id = await coalitions.founding_actor_of(conn, coalition)
    return await peers.actor_by_id(conn, actor_id) if actor_id is not None else None


async def _remote_members(conn: asyncpg.Connection, coalition: Coalition) -> list[RemoteActor]:
    page = await coalitions.coalition_page(conn, coalition.slug)
    found = []
    for member in page.members:
        if member.remote_actor_id is not None and member.active:
            actor = await peers.actor_by_id(conn, member.remote_actor_id)
            if actor is not None:
                found.append(actor)
    return found


# Outgoing


async def translate(
    conn: asyncpg.Connection, outbox: Outbox, event_id: int, kind: str, payload: dict[str, Any]
) -> None:
    """Activities for one coalition event (called by the outbox worker)."""
    try:
        coalition = await coalitions.access_coalition_by_id(conn, int(payload["coalition_id"]))
    except (NotFound, KeyError):
        return
    base = outbox.base_url
    activity_id = f"{base}/activities/e{event_id}c"
    if coalition.remote:
        await _from_member_node(conn, outbox, activity_id, kind, payload, coalition)
        return
    assert coalition.forum_id is not None
    group = coalition_uri(base, coalition)
    signer = Signer("group", coalition.forum_id)
    if kind == "coalition_member_invited" and payload.get("remote_actor_id") is not None:
        invitee = await peers.actor_by_id(conn, int(payload["remote_actor_id"]))
        if invitee is not None:
            invite = _activity("Invite", activity_id, group, invitee.uri, target=_group_object(base, coalition),
                               to=[invitee.uri])  # fmt: skip
            await _enqueue(conn, outbox, invite, signer, [invitee])
    elif kind in ("coalition_member_joined", "coalition_member_left", "coalition_member_removed"):
        await _send_members(conn, outbox, activity_id, coalition, payload)
    elif kind in ("coalition_statement_signed", "coalition_statement_published"):
        statement = await coalitions.access_statement(conn, coalition, int(payload["statement_id"]))
        members = await _remote_members(conn, coalition)
        extra: dict[str, Any] = {"to": [actor.uri for actor in members], "audience": group}
        if statement.published_at is not None:
            extra["published"] = statement.published_at.isoformat()
        announce = _activity("Announce", activity_id, group, coalitions.signed_document(statement), **extra)
        await _enqueue(conn, outbox, announce, signer, members)
    elif kind == "coalition_endorsed" and payload.get("by") is not None:
        endorsement = next(
            (e for e in (await coalitions.coalition_page(conn, coalition.slug)).endorsements
             if e.id == int(payload["endorsement_id"])), None,
        )  # fmt: skip
        if endorsement is None or endorsement.target_url is None:
            return
        recipient = await peers.inbox_of_host(conn, host_of(endorsement.target_url))
        if recipient is None:
            return
        statement = await coalitions.access_statement(conn, coalition, endorsement.statement_id)
        add = _activity("Add", activity_id, group, coalitions.signed_document(statement),
                        target=endorsement.target_url, to=[endorsement.target_url])  # fmt: skip
        body = json.dumps(add, ensure_ascii=False, separators=(",", ":")).encode()
        await peers.enqueue(conn, activity_id=add["id"], body=body, signer=signer, recipients=[recipient],
                            clock=outbox.clock)  # fmt: skip


async def _send_members(
    conn: asyncpg.Connection, outbox: Outbox, activity_id: str, coalition: Coalition, payload: dict[str, Any]
) -> None:
    """Every node of a member hears who the members are (with the organization that just left or was removed)."""
    base = outbox.base_url
    assert coalition.forum_id is not None
    page = await coalitions.coalition_page(conn, coalition.slug)
    members = []
    for member in page.members:
        if member.state not in ("member", "left", "removed"):
            continue
        uri = member.actor_uri or _org_uri(base, member.slug)
        members.append({"id": uri, "type": "Organization", "name": member.name, "state": member.state})
    recipients = await _remote_members(conn, coalition)
    if payload.get("remote_actor_id") is not None:
        gone = await peers.actor_by_id(conn, int(payload["remote_actor_id"]))
        if gone is not None and gone.uri not in {actor.uri for actor in recipients}:
            recipients.append(gone)
    group = coalition_uri(base, coalition)
    update = _activity("Update", activity_id, group, _group_object(base, coalition) | {"members": members},
                       to=[actor.uri for actor in recipients])  # fmt: skip
    await _enqueue(conn, outbox, update, Signer("group", coalition.forum_id), recipients)


async def _from_member_node(
    conn: asyncpg.Connection, outbox: Outbox, activity_id: str, kind: str, payload: dict[str, Any], coalition: Coalition
) -> None:
    """What an organization of this node says to a coalition hosted elsewhere."""
    if payload.get("organization_id") is None or payload.get("by") is None:
        return  # told by the host, not said here
    group = await _group_actor(conn, coalition)
    if group is None:
        return
    org = await orgs.access_organization_by_id(conn, int(payload["organization_id"]))
    signer = Signer("organization", org.id)
    me = _org_uri(outbox.base_url, org.slug)
    if kind in ("coalition_member_joined", "coalition_invitation_declined"):
        invite = {"type": "Invite", "actor": group.uri, "object": me, "target": group.uri}
        answer = _activity("Accept" if kind == "coalition_member_joined" else "Reject", activity_id, me, invite,
                           to=[group.uri])  # fmt: skip
        if kind == "coalition_member_joined":
            # The acceptance is the organization's own word: signed with its key, kept by the coalition.
            who = await identity.load(conn, outbox.base_url, signer, clock=outbox.clock)
            answer = activities.signed(answer, key=who.ed25519_key, key_id=who.proof_key_id, now=outbox.clock.now())
        await _enqueue(conn, outbox, answer, signer, [group])
    elif kind == "coalition_member_left":
        await _enqueue(conn, outbox, _activity("Leave", activity_id, me, group.uri, to=[group.uri]), signer, [group])
    elif kind == "coalition_statement_signed":
        statement = await coalitions.access_statement(conn, coalition, int(payload["statement_id"]))
        mine = next((s for s in statement.signatures if s.member_id == int(payload["member_id"])), None)
        if mine is None or statement.ap_id is None:
            return
        add = _activity("Add", activity_id, me, mine.proof, target=statement.ap_id, to=[group.uri])
        await _enqueue(conn, outbox, add, signer, [group])


# Incoming


def _local_path(base_url: str, uri: str) -> list[str] | None:
    uri = urldefrag(uri).url
    if not (uri == base_url or uri.startswith(base_url + "/")):
        return None
    return [part for part in urlsplit(uri).path.split("/") if part]


async def _local_coalition(conn: asyncpg.Connection, base_url: str, group_uri: str) -> Coalition:
    path = _local_path(base_url, group_uri)
    if path is None or len(path) != 2 or path[0] != "f":
        raise ActivityRejected(reason="the target is not a coalition of this node")
    forum = await forums.access_forum(conn, path[1], viewer=None)
    coalition = await coalitions.coalition_of_forum(conn, forum.id)
    if coalition is None:
        raise ActivityRejected(reason="the target is not a coalition of this node")
    return coalition


def _id_of(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


async def _invite(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, activity: Activity,
                  raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    base = processor.outbox.base_url
    path = _local_path(base, _id_of(raw.get("object")))
    target = raw.get("target")
    if path is None or len(path) != 2 or path[0] != "o" or not isinstance(target, dict):
        raise ActivityRejected(reason="an Invite must name an organization of this node and the inviting Group")
    if target.get("id") != actor.uri or actor.type != "Group":
        raise ActivityRejected(reason="only a coalition's Group invites into it")
    data = {key: target.get(name) for key, name in
            (("name", "name"), ("purpose", "summary"), ("charter", "content"), ("threshold", "threshold"))}  # fmt: skip
    await coalitions.receive_invitation(
        conn, clock=processor.resolver.clock, group_actor_id=actor.id, group_uri=actor.uri, origin=actor.host,
        slug=f"{actor.preferred_username or 'coalition'}@{actor.host}", data=data, organization_slug=path[1],
    )  # fmt: skip


def _check_acceptance(raw: dict[str, Any], actor: RemoteActor) -> None:
    proofs = proofs_of(raw)
    if len(proofs) != 1:
        raise ActivityRejected(reason="an acceptance carries exactly one proof, by the organization")
    verify_remote_proof(raw, proofs[0], actor.uri, actor.assertion_keys)


def _answer(fallback: Handler) -> Handler:
    async def handle(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, activity: Activity,
                     raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
        inner = raw.get("object")
        if not (isinstance(inner, dict) and inner.get("type") == "Invite"):
            await fallback(conn, processor, actor, activity, raw, budget)
            return
        if _id_of(inner.get("object")) != actor.uri:
            raise ActivityRejected(reason="an organization answers only its own invitation")
        coalition = await _local_coalition(conn, processor.outbox.base_url, _id_of(inner.get("target")))
        accepted = activity.type == "Accept"
        if accepted:
            _check_acceptance(raw, actor)
        await coalitions.receive_answer(
            conn, clock=processor.resolver.clock, coalition=coalition, remote_actor_id=actor.id, accepted=accepted,
            acceptance=raw if accepted else None,
        )  # fmt: skip

    return handle


async def _leave(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, activity: Activity,
                 raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    coalition = await _local_coalition(conn, processor.outbox.base_url, _id_of(raw.get("object")))
    await coalitions.receive_leave(conn, clock=processor.resolver.clock, coalition=coalition, remote_actor_id=actor.id)


async def _add(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, activity: Activity,
               raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
    base = processor.outbox.base_url
    path = _local_path(base, _id_of(raw.get("target"))) or []
    obj = raw.get("object")
    if not isinstance(obj, dict):
        raise ActivityRejected(reason="nothing to add")
    if len(path) == 4 and path[0] == "coalitions" and path[2] == "statements" and path[3].isdigit():
        await _add_signature(conn, processor, actor, path[1], int(path[3]), obj)
    elif (len(path) == 4 and path[0] == "b" and path[2] == "p" and path[3].isdigit()) or (
        len(path) == 2 and path[0] == "c"
    ):
        await _add_position(conn, processor, actor, path, obj, raw)
    else:
        raise ActivityRejected(reason="the target is not a statement, project or consultation of this node")


async def _add_signature(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, slug: str, statement_id: int,
                         proof: dict[str, Any]) -> None:  # fmt: skip
    """A member organization of another node signs a statement of a coalition hosted here."""
    coalition = await coalitions.access_coalition(conn, slug)
    statement = await coalitions.access_statement(conn, coalition, statement_id)
    if statement.document is None:
        raise ActivityRejected(reason="the statement has no signed text yet")
    verify_remote_proof(statement.document, proof, actor.uri, actor.assertion_keys)
    await coalitions.accept_remote_signature(
        conn, clock=processor.resolver.clock, coalition_id=coalition.id, statement_id=statement.id,
        remote_actor_id=actor.id, proof=proof,
    )  # fmt: skip


async def _add_position(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, path: list[str],
                        document: dict[str, Any], raw: dict[str, Any]) -> None:  # fmt: skip
    coalition = await coalitions.coalition_by_ap_id(conn, actor.uri)
    if coalition is None:
        raise ActivityRejected(reason="a position comes from a coalition this node knows")
    statement = await _receive_statement(conn, processor, actor, coalition, document, published=True)
    await coalitions.receive_endorsement(
        conn, clock=processor.resolver.clock, coalition=coalition, statement=statement,
        budget_project_id=int(path[3]) if path[0] == "b" else None,
        consultation_slug=path[1] if path[0] == "c" else None, ap_id=str(raw.get("id")),
    )  # fmt: skip


async def _signature_key_check(
    conn: asyncpg.Connection, processor: Any, document: dict[str, Any], proof: dict[str, Any]
) -> tuple[int | None, str]:
    """Check one proof against a key this node trusts; (remote actor id or None for ours, signer URI)."""
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        raise ActivityRejected(reason="a proof names no key")
    signer_uri = urldefrag(method).url
    base = processor.outbox.base_url
    path = _local_path(base, signer_uri)
    if path is not None:
        if len(path) != 2 or path[0] != "o":
            raise ActivityRejected(reason="a statement is signed by organizations")
        org = await orgs.access_organization(conn, path[1])
        who = await identity.load(conn, base, Signer("organization", org.id), clock=processor.resolver.clock)
        if method != who.proof_key_id:
            raise ActivityRejected(reason="the proof names a key this organization does not have")
        verify_proof(document, proof, who.ed25519_key.public_key())
        return None, signer_uri
    signer = await processor.resolver.actor(signer_uri, budget=FetchBudget(1))
    verify_remote_proof(document, proof, signer.uri, signer.assertion_keys)
    return signer.id, signer_uri


async def _receive_statement(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, coalition: Coalition,
                             document: dict[str, Any], *, published: bool) -> Statement:  # fmt: skip
    statement_id = document.get("id")
    if not isinstance(statement_id, str) or host_of(statement_id) != actor.host:
        raise ActivityRejected(reason="a statement comes from its coalition's node")
    if document.get("attributedTo") != actor.uri:
        raise ActivityRejected(reason="the statement is not the coalition's")
    unsigned = {key: value for key, value in document.items() if key != "proof"}
    signatures = []
    clock = processor.resolver.clock
    page = await coalitions.coalition_page(conn, coalition.slug)
    for proof in proofs_of(document):
        try:
            remote_id, signer_uri = await _signature_key_check(conn, processor, unsigned, dict(proof))
        except SignatureError as exc:
            raise ActivityRejected(reason=f"a signature does not hold: {exc.detail}") from None
        if remote_id is None:
            slug = signer_uri.rsplit("/", 1)[1]
            member = next((m for m in page.members if m.local and m.slug == slug), None)
            if member is None:
                raise ActivityRejected(reason="an organization of this node signed without being a member")
        else:
            member = await coalitions.known_member(conn, clock=clock, coalition=coalition, remote_actor_id=remote_id)
        signatures.append((member.id, dict(proof)))
    title, body = document.get("name"), document.get("content")
    if not isinstance(title, str) or not isinstance(body, str):
        raise ActivityRejected(reason="a statement has a title (name) and a text (content)")
    try:
        return await coalitions.receive_statement(
            conn, clock=clock, coalition=coalition, ap_id=statement_id, document=unsigned, title=title, body=body,
            signatures=signatures, published=published,
        )  # fmt: skip
    except DomainError as exc:
        raise ActivityRejected(reason=str(exc)) from None


def _announce(fallback: Handler) -> Handler:
    async def handle(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, activity: Activity,
                     raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
        inner = raw.get("object")
        coalition = await coalitions.coalition_by_ap_id(conn, actor.uri)
        if coalition is None or not (isinstance(inner, dict) and "signers" in inner):
            await fallback(conn, processor, actor, activity, raw, budget)
            return
        await _receive_statement(conn, processor, actor, coalition, inner, published="published" in raw)

    return handle


def _update(fallback: Handler) -> Handler:
    async def handle(conn: asyncpg.Connection, processor: Any, actor: RemoteActor, activity: Activity,
                     raw: dict[str, Any], budget: FetchBudget) -> None:  # fmt: skip
        inner = raw.get("object")
        if not (isinstance(inner, dict) and inner.get("type") == "Group" and isinstance(inner.get("members"), list)):
            await fallback(conn, processor, actor, activity, raw, budget)
            return
        coalition = await coalitions.coalition_by_ap_id(conn, actor.uri)
        if coalition is None or inner.get("id") != actor.uri:
            raise ActivityRejected(reason="only a coalition's Group says who its members are")
        await _receive_members(conn, processor, coalition, inner["members"])

    return handle


async def _receive_members(conn: asyncpg.Connection, processor: Any, coalition: Coalition,
                           members: list[Any]) -> None:  # fmt: skip
    base = processor.outbox.base_url
    clock = processor.resolver.clock
    fetches = FetchBudget(len(members) + 1)
    for entry in members[:200]:
        uri, state = _id_of(entry), entry.get("state") if isinstance(entry, dict) else None
        if not uri or state not in ("member", "left", "removed"):
            continue
        path = _local_path(base, uri)
        if path is not None:
            if len(path) == 2 and path[0] == "o":
                await coalitions.receive_member_state(
                    conn, clock=clock, coalition=coalition, organization_slug=path[1], state=state
                )
            continue
        other = await processor.resolver.actor(uri, budget=fetches)
        if other.type != "Organization":
            continue
        await coalitions.receive_member_state(
            conn, clock=clock, coalition=coalition, remote_actor_id=other.id, state=state
        )


def handlers(existing: Mapping[str, Handler]) -> dict[str, Any]:
    """The processing table's entries for coalitions; Accept, Reject and Announce fall back to `existing`."""
    return {
        "Invite": _invite,
        "Leave": _leave,
        "Add": _add,
        "Accept": _answer(existing["Accept"]),
        "Reject": _answer(existing["Reject"]),
        "Announce": _announce(existing["Announce"]),
        "Update": _update(existing["Update"]),
    }
