"""A forum of this node against Mastodon and Lemmy as they really speak: follow, receive, reply, support, unfollow.

The other side is a `FakeServer` per program that sends the documents captured from the real program
(../shared/fixtures/activitypub, rewritten only to live on loopback) with real draft-cavage signatures, and checks
the signature of everything our node delivers to it. Our node is a real node with its worker driven by `settle`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import Node, Visitor
from tests.federation.fake_server import FakeServer, Received, origins
from tests.federation.support import host, member, settle, sql, start, value

FORUM = "obras-y-servicios"
SUPPORT = "SELECT count(*) FROM reaction WHERE post_id = $1 AND kind = 'apoyo'"
OPENING = "SELECT min(id) FROM post WHERE thread_id = $1"
# What the fixtures point at on the servers they were captured from, and where it lives for these tests.
MASTODON_GROUP = "https://ds9.lemmy.ml/c/testcom"
MASTODON_PARENT = "https://mamot.fr/users/retiolus/statuses/107224244380204526"
MASTODON_DIRECT_PARENT = "https://mastodon.world/users/nutomic/statuses/110854464248188528"
MASTODON_LIKED = "https://ds9.lemmy.ml/post/147"
LEMMY_COMMUNITIES = [f"{origin}/c/{name}" for origin in origins("https://enterprise.lemmy.ml")
                     for name in ("main", "tenforward")]  # fmt: skip
LEMMY_PARENT = "https://enterprise.lemmy.ml/post/55143"
LEMMY_VOTED = "http://ds9.lemmy.ml/comment/1"


async def _fake(shared: Path, program: str) -> FakeServer:
    return await FakeServer(shared / "fixtures" / "activitypub" / program).start("objects/person.json")


@pytest.fixture
async def mastodon(shared: Path) -> AsyncIterator[FakeServer]:
    server = await _fake(shared, "mastodon")
    yield server
    await server.stop()


@pytest.fixture
async def lemmy(shared: Path) -> AsyncIterator[FakeServer]:
    server = await _fake(shared, "lemmy")
    yield server
    await server.stop()


class Forum:
    """Our node with one public forum, its operator (also a moderator) and a member, ana."""

    def __init__(self, node: Node, operator: Visitor, ana: Visitor) -> None:
        self.node, self.operator, self.ana = node, operator, ana
        self.group = f"{node.base_url}/f/{FORUM}"

    async def thread(self, title: str = "Reservorio de la loma", body: str = "Falta **agua** en el sector 3") -> int:
        response = await self.ana.submit(f"/f/{FORUM}/threads", {"title": title, "body": body},
                                         form_page=f"/f/{FORUM}")  # fmt: skip
        assert response.status == 200, self.ana.last_html
        return int(response.url.path.rsplit("/", 1)[1])

    async def errors(self) -> list[Any]:
        return list(await sql(self.node, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL"))


@pytest.fixture
async def forum(node_factory: Any) -> Forum:
    node = await start(node_factory, "ves")
    operator = await member(node, "operadora", "operator", "moderator")
    response = await operator.submit("/forums", {"name": "Obras y servicios", "description": "Agua"},
                                     form_page="/forums/new")  # fmt: skip
    assert response.url.path == f"/f/{FORUM}", operator.last_html
    return Forum(node, operator, await member(node, "ana"))


async def _send(fake: FakeServer, forum: Forum, activity: dict[str, Any], inbox: str = "/inbox") -> None:
    status, text = await fake.send(forum.node.base_url + inbox, activity)
    assert status == 202, text
    await settle(forum.node)


def _signed_by_group(received: Received, forum: Forum) -> None:
    assert received.error is None, received.error
    assert received.key_id == f"{forum.group}#main-key"
    assert received.body["actor"] == forum.group


async def _mastodon_follows(mastodon: FakeServer, forum: Forum) -> dict[str, Any]:
    follow = mastodon.activity("activities/follow.json", {MASTODON_GROUP: forum.group})
    await _send(mastodon, forum, follow, inbox=f"/f/{FORUM}/inbox")  # Mastodon sends a Follow to the actor's inbox
    return follow


def _mastodon_reply(mastodon: FakeServer, forum: Forum, thread_id: int, text: str, *,
                   direct: bool = False) -> dict[str, Any]:  # fmt: skip
    """mastodon/activities/create_note.json answering ana's thread (HTML only, mentioning its author); `direct`
    puts Mastodon's "mentioned people only" note (activities/private_message.json) in it, addressed as sent."""
    ana, thread = f"{forum.node.base_url}/u/ana", f"{forum.node.base_url}/t/{thread_id}"
    create = mastodon.activity("activities/create_note.json", {
        MASTODON_PARENT: thread, MASTODON_DIRECT_PARENT: thread, "https://mamot.fr/users/retiolus": ana,
        "https://mamot.fr/@retiolus": ana, "@retiolus@mamot.fr": f"@ana@{host(forum.node)}", "retiolus": "ana",
        "https://ds9.lemmy.ml/u/nutomic": ana, "nutomic@ds9.lemmy.ml": f"ana@{host(forum.node)}",
    }, embed="activities/private_message.json" if direct else None)  # fmt: skip
    note = create["object"]
    create["to"], create["cc"] = note["to"], note["cc"]  # Mastodon addresses the Create as its note
    note["content"] = re.sub(r"</span> [^<]*</p>", f"</span> {text}</p>", note["content"])
    note["contentMap"] = {language: note["content"] for language in note["contentMap"]}
    return create


async def test_a_mastodon_follow_is_accepted_by_the_group_with_a_signed_accept(mastodon: FakeServer,
                                                                               forum: Forum) -> None:  # fmt: skip
    follow = await _mastodon_follows(mastodon, forum)
    [accept] = mastodon.received_of("Accept")
    _signed_by_group(accept, forum)
    assert accept.body["object"]["id"] == follow["id"] and accept.body["object"]["type"] == "Follow"
    assert accept.body["object"]["actor"] == mastodon.actor_id
    assert await value(forum.node, "SELECT count(*) FROM follower WHERE actor_kind = 'group'") == 1
    assert await forum.errors() == []


async def test_a_new_thread_reaches_mastodon_announced_by_the_group(mastodon: FakeServer, forum: Forum) -> None:
    await _mastodon_follows(mastodon, forum)
    thread_id = await forum.thread()
    await settle(forum.node)
    [_, announce] = mastodon.received_of("Announce")  # Announce{Create{Page}}, then Announce{Page} for Mastodon
    _signed_by_group(announce, forum)
    page = announce.body["object"]  # the post itself, which Mastodon can look up as a status
    assert page["type"] == "Page" and "proof" in page
    assert page["id"] == f"{forum.node.base_url}/t/{thread_id}" and page["name"] == "Reservorio de la loma"
    assert "<strong>agua</strong>" in page["content"] and page["audience"] == forum.group


async def test_a_mastodon_reply_appears_in_the_thread_marked_with_its_origin(mastodon: FakeServer,
                                                                             forum: Forum) -> None:  # fmt: skip
    await _mastodon_follows(mastodon, forum)
    thread_id = await forum.thread()
    await settle(forum.node)
    reply = _mastodon_reply(mastodon, forum, thread_id, "Aquí también falta agua, vecinas")
    await _send(mastodon, forum, reply)
    assert await forum.errors() == []
    await forum.ana.get(f"/t/{thread_id}")
    assert "Aquí también falta agua, vecinas" in forum.ana.last_html
    assert f"@{mastodon.handle}" in forum.ana.last_html and mastodon.handle.startswith("mastodon@127.0.0.1:")
    # The Group relays the reply to its followers as it was received, so a Lemmy follower would get it too.
    relayed = [a.body["object"] for a in mastodon.received_of("Announce")]
    assert [c["object"]["id"] for c in relayed if c["type"] == "Create"][-1] == reply["object"]["id"]
    assert [p["id"] for p in relayed if p["type"] == "Note"][-1] == reply["object"]["id"]


async def test_a_mastodon_like_is_support_and_its_undo_follow_ends_the_following(mastodon: FakeServer,
                                                                                 forum: Forum) -> None:  # fmt: skip
    await _mastodon_follows(mastodon, forum)
    thread_id = await forum.thread()
    opening = await value(forum.node, OPENING, thread_id)
    like = mastodon.activity("activities/like_page.json", {MASTODON_LIKED: f"{forum.node.base_url}/t/{thread_id}"})
    await _send(mastodon, forum, like)
    assert await value(forum.node, SUPPORT, opening) == 1
    undo = mastodon.activity("activities/undo_follow.json", {MASTODON_GROUP: forum.group})
    await _send(mastodon, forum, undo)
    assert await value(forum.node, "SELECT count(*) FROM follower") == 0
    assert await forum.errors() == []


async def test_a_lemmy_follow_is_accepted_and_new_threads_are_announced(lemmy: FakeServer, forum: Forum) -> None:
    follow = lemmy.activity("activities/following/follow.json", dict.fromkeys(LEMMY_COMMUNITIES, forum.group))
    await _send(lemmy, forum, follow)
    [accept] = lemmy.received_of("Accept")
    _signed_by_group(accept, forum)
    assert accept.body["object"]["id"] == follow["id"]
    thread_id = await forum.thread()
    await settle(forum.node)
    announce, _ = lemmy.received_of("Announce")  # Lemmy takes the Create; it skips the plain Page after it
    _signed_by_group(announce, forum)
    assert announce.body["object"]["object"]["id"] == f"{forum.node.base_url}/t/{thread_id}"


async def test_a_lemmy_comment_is_shown_from_its_markdown_source(lemmy: FakeServer, forum: Forum) -> None:
    thread_id = await forum.thread()
    targets = dict.fromkeys(LEMMY_COMMUNITIES, forum.group) | {LEMMY_PARENT: f"{forum.node.base_url}/t/{thread_id}"}
    create = lemmy.activity("activities/create_or_update/create_comment.json", targets, embed="objects/comment.json")
    comment = create["object"]
    assert comment["audience"] == forum.group and comment["language"] == {"identifier": "fr", "name": "Français"}
    comment["source"]["content"] = "Desde Lemmy: el pedido es **urgente**\n\n- sector 3"
    comment["content"] = "<p>Desde Lemmy: el pedido es <strong>urgente</strong></p>\n<ul>\n<li>sector 3</li>\n</ul>\n"
    await _send(lemmy, forum, create)
    assert await forum.errors() == []
    reply = await value(forum.node, "SELECT source FROM post WHERE thread_id = $1 AND id > $2", thread_id,
                        await value(forum.node, OPENING, thread_id))  # fmt: skip
    assert reply == comment["source"]["content"]  # the Markdown was kept as the source, and rendered here
    await forum.ana.get(f"/t/{thread_id}")
    assert "<strong>urgente</strong>" in forum.ana.last_html and "<li>sector 3</li>" in forum.ana.last_html
    assert f"@{lemmy.handle}" in forum.ana.last_html and lemmy.handle.startswith("picard@127.0.0.1:")


async def test_a_lemmy_vote_is_support_and_its_undo_follow_ends_the_following(lemmy: FakeServer,
                                                                              forum: Forum) -> None:  # fmt: skip
    communities = dict.fromkeys(LEMMY_COMMUNITIES, forum.group)
    await _send(lemmy, forum, lemmy.activity("activities/following/follow.json", communities))
    assert await value(forum.node, "SELECT count(*) FROM follower") == 1
    thread_id = await forum.thread()
    vote = lemmy.activity("activities/voting/like_note.json",
                          communities | {LEMMY_VOTED: f"{forum.node.base_url}/t/{thread_id}"})  # fmt: skip
    await _send(lemmy, forum, vote)
    assert await value(forum.node, SUPPORT, await value(forum.node, OPENING, thread_id)) == 1
    # Lemmy's Undo carries a new Follow (another id) rather than the one it sent: the following ends all the same.
    await _send(lemmy, forum, lemmy.activity("activities/following/undo_follow.json", communities))
    assert await value(forum.node, "SELECT count(*) FROM follower") == 0
    assert await forum.errors() == []


async def test_a_mastodon_reply_to_a_locked_thread_is_refused(mastodon: FakeServer, forum: Forum) -> None:
    thread_id = await forum.thread()
    response = await forum.operator.submit(f"/t/{thread_id}/close", {"reason": "Consulta terminada"})
    assert response.status == 200, forum.operator.last_html
    await _send(mastodon, forum, _mastodon_reply(mastodon, forum, thread_id, "Una respuesta tardía"))
    assert await value(forum.node, "SELECT count(*) FROM post WHERE thread_id = $1", thread_id) == 1
    error = await value(forum.node, "SELECT error FROM inbox_activity WHERE type = 'Create'")
    assert "thread_locked" in (error or ""), error


async def test_a_mastodon_direct_reply_is_not_published_in_the_thread(mastodon: FakeServer, forum: Forum) -> None:
    thread_id = await forum.thread()
    reply = _mastodon_reply(mastodon, forum, thread_id, "Solo para ti, ana", direct=True)
    assert reply["object"]["to"] == [f"{forum.node.base_url}/u/ana"] and reply["object"]["cc"] == []
    await _send(mastodon, forum, reply)
    assert await value(forum.node, "SELECT count(*) FROM post WHERE thread_id = $1", thread_id) == 1
    error = await value(forum.node, "SELECT error FROM inbox_activity WHERE type = 'Create'")
    assert "only public posts" in (error or ""), error


async def test_a_mastodon_follower_can_resolve_the_thread_the_group_announces(mastodon: FakeServer,
                                                                              forum: Forum) -> None:  # fmt: skip
    await _mastodon_follows(mastodon, forum)
    await forum.thread()
    await settle(forum.node)
    # Mastodon's Announce (app/lib/activitypub/activity/announce.rb) takes a status by the object's id, fetched from
    # its origin when unknown; an embedded Create is not a status, so only an id that serves a post will do.
    objects = [a.body["object"] for a in mastodon.received_of("Announce")]
    fetched = [await mastodon.fetch(o if isinstance(o, str) else o["id"]) for o in objects]
    assert any(document and document["type"] in ("Page", "Note") for document in fetched), fetched


async def _mastodon_follows_actor(mastodon: FakeServer, forum: Forum, actor: str) -> dict[str, Any]:
    """Mastodon's Follow of a member, an organization or anything else, sent to the inbox the followed actor's
    document names (or the address's own, when nothing is served there), as Mastodon does."""
    follow = mastodon.activity("activities/follow.json", {MASTODON_GROUP: actor})
    follow["id"] = f"{mastodon.base}/{uuid.uuid4()}"  # one id per follow, as Mastodon makes them
    document = await mastodon.fetch(actor)
    inbox = document["inbox"] if document else f"{actor}/inbox"
    await _send(mastodon, forum, follow, inbox=urlsplit(inbox).path)
    return follow


async def _organization(forum: Forum) -> str:
    response = await forum.ana.submit("/organizations", {"name": "Comedor Santa Rosa", "kind": "comedor_popular"},
                                      form_page="/organizations/new")  # fmt: skip
    assert response.status == 200, forum.ana.last_html
    return f"{forum.node.base_url}{response.url.path}"


def _creates_of(mastodon: FakeServer, object_id: str) -> list[Received]:
    return [c for c in mastodon.received_of("Create") if c.body["object"]["id"] == object_id]


async def test_a_mastodon_follower_of_a_member_and_an_organization_receives_their_threads(
    mastodon: FakeServer, forum: Forum
) -> None:
    ana = f"{forum.node.base_url}/u/ana"
    organization = await _organization(forum)
    for actor in (ana, organization):
        follow = await _mastodon_follows_actor(mastodon, forum, actor)
        [accept] = [a for a in mastodon.received_of("Accept") if a.body["object"]["id"] == follow["id"]]
        assert accept.error is None and accept.key_id == f"{actor}#main-key" and accept.body["actor"] == actor
    assert await forum.errors() == []

    # Mastodon follows neither the forum nor its Group: the posts come from their authors, as Mastodon's own do.
    own = await forum.thread("Reservorio de la loma")
    response = await forum.ana.submit(f"/f/{FORUM}/threads", {"title": "Olla común", "body": "Este sábado",
                                      "as_organization": organization.rsplit("/", 1)[1]},
                                      form_page=f"/f/{FORUM}")  # fmt: skip
    in_its_name = int(response.url.path.rsplit("/", 1)[1])
    await forum.ana.submit(f"/t/{own}/replies", {"body": "Sigue faltando"})
    await settle(forum.node)
    reply = await value(forum.node, "SELECT max(id) FROM post WHERE thread_id = $1", own)
    for object_id, author, kind in ((f"{forum.node.base_url}/t/{own}", ana, "Page"),
                                    (f"{forum.node.base_url}/t/{in_its_name}", organization, "Page"),
                                    (f"{forum.node.base_url}/p/{reply}", ana, "Note")):  # fmt: skip
        [create] = _creates_of(mastodon, object_id)
        assert create.error is None and create.key_id == f"{author}#main-key", create
        assert create.body["actor"] == author and create.body["object"]["attributedTo"] == author
        assert create.body["object"]["type"] == kind and "proof" in create.body["object"]
    assert mastodon.received_of("Announce") == []

    # Once it follows the forum too, its one inbox gets each new thread once: the Group's Announces, no Create.
    await _mastodon_follows(mastodon, forum)
    both = await forum.thread("Padrón de beneficiarios")
    await settle(forum.node)
    assert _creates_of(mastodon, f"{forum.node.base_url}/t/{both}") == []
    assert f"{forum.node.base_url}/t/{both}" in [a.body["object"]["id"] for a in mastodon.received_of("Announce")]
    assert await forum.errors() == []


async def test_a_refused_follow_gets_a_reject_and_an_undo_ends_the_following(mastodon: FakeServer,
                                                                             forum: Forum) -> None:  # fmt: skip
    nobody = f"{forum.node.base_url}/u/nadie"
    follow = await _mastodon_follows_actor(mastodon, forum, nobody)
    [reject] = mastodon.received_of("Reject")
    # Nothing here can sign for an address that names no actor: the node's own actor answers, embedding the Follow.
    assert reject.error is None and reject.key_id == f"{forum.node.base_url}/actor#main-key"
    assert reject.body["object"]["id"] == follow["id"] and reject.body["object"]["object"] == nobody
    assert mastodon.received_of("Accept") == []
    assert await value(forum.node, "SELECT count(*) FROM follower") == 0

    organization = await _organization(forum)
    for actor in (f"{forum.node.base_url}/u/ana", organization, f"{forum.node.base_url}/actor"):
        follow = await _mastodon_follows_actor(mastodon, forum, actor)
        assert await value(forum.node, "SELECT count(*) FROM follower") == 1
        undo = mastodon.activity("activities/undo_follow.json", {MASTODON_GROUP: actor})
        undo["id"], undo["object"]["id"] = f"{follow['id']}/undo", follow["id"]
        await _send(mastodon, forum, undo)
    assert await value(forum.node, "SELECT count(*) FROM follower") == 0
    thread_id = await forum.thread()
    await settle(forum.node)
    assert _creates_of(mastodon, f"{forum.node.base_url}/t/{thread_id}") == []
    errors = await forum.errors()
    assert [error["type"] for error in errors] == ["Follow"], errors
