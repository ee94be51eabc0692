"""Following a Lemmy community from here brings its recent threads through its outbox (issue 4), as Lemmy keeps it.

The community is a `FakeServer` serving Lemmy's own documents (../shared/fixtures/activitypub/lemmy): the Group of
objects/group.json, an outbox of the Announce{Create{Page}} items of collections/group_outbox.json, and each post at
its id as objects/page.json. Lemmy signs no post (no FEP-8b32 proof), so every thread must be fetched again from its
origin; the outbox's own copies are the short ones Lemmy embeds, without the text, which shows which copy was taken.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from federation.processing import BACKFILL
from tests.conftest import Node, Visitor
from tests.federation.fake_server import FakeServer, origins, rehost
from tests.federation.support import host, member, settle, sql, start, value

# What the outbox fixture (captured on ds9.lemmy.ml) points at, and the community and author it stands for here.
OUTBOX_COMMUNITY = "https://ds9.lemmy.ml/c/testcom"
OUTBOX_AUTHOR = "https://ds9.lemmy.ml/u/nutomic"
ENTERPRISE = "https://enterprise.lemmy.ml"  # where objects/person.json, group.json and page.json were captured
PAGE_COMMUNITY = f"{ENTERPRISE}/c/tenforward"
NEWEST = datetime(2021, 11, 18, 17, 19, 45, 895163, tzinfo=UTC)  # the newest post of the outbox fixture
BODY = "This is a post in the /c/tenforward community"  # objects/page.json's Markdown source


@pytest.fixture
async def lemmy(shared: Path) -> AsyncIterator[FakeServer]:
    server = await FakeServer(shared / "fixtures" / "activitypub" / "lemmy").start("objects/person.json")
    yield server
    await server.stop()


class Community:
    """A Lemmy community on the fake server: its Group, the posts it serves, the outbox it lists them in."""

    def __init__(self, lemmy: FakeServer) -> None:
        self.lemmy = lemmy
        self.group = lemmy.group("objects/group.json")
        self.mirror = f"{self.group['preferredUsername']}@{_lemmy_host(lemmy)}"
        self.items: list[Any] = []
        self.paged = False

    @property
    def targets(self) -> dict[str, str]:
        """Where the fixtures' communities (all of them this one), author (our person) and servers live here."""
        return (_both(OUTBOX_COMMUNITY, PAGE_COMMUNITY, f"{ENTERPRISE}/c/main", to=self.group["id"])
                | _both(OUTBOX_AUTHOR, to=self.lemmy.actor_id)
                | dict.fromkeys(origins(OUTBOX_AUTHOR) + origins(ENTERPRISE), self.lemmy.base))  # fmt: skip

    def post(self, number: int, *, title: str | None = None) -> dict[str, Any]:
        """Post `number` (0 is the newest, each one a day older), served at its id as Lemmy serves a Page."""
        base = self.lemmy.base
        page = rehost(self.lemmy.load("objects/page.json"), dict.fromkeys(origins(ENTERPRISE), base))
        page |= {"id": f"{base}/post/{number}", "context": f"{base}/post/{number}/context",
                 "name": title or f"Hilo {number}", "published": _date(NEWEST - timedelta(days=number))}  # fmt: skip
        self.lemmy.serve(page)
        return page

    def announce(self, page: dict[str, Any]) -> dict[str, Any]:
        """The outbox item of collections/group_outbox.json for `page`: Announce{Create{Page}}, the Page as short as
        Lemmy embeds it there (no text), with ids of its own, the Announce and the Create served too."""
        item = self.lemmy.load("collections/group_outbox.json")["orderedItems"][0]
        item = rehost(item, self.targets)
        number = page["id"].rsplit("/", 1)[1]
        item["id"] = f"{self.lemmy.base}/activities/announce/{number}"
        item["object"]["id"] = f"{self.lemmy.base}/activities/create/{number}"
        item["object"]["object"] |= {"id": page["id"], "name": page["name"], "published": page["published"]}
        self.lemmy.serve(item["object"])
        self.lemmy.serve(item)
        return item

    def publish_outbox(self) -> None:
        outbox = self.lemmy.load("collections/group_outbox.json")
        outbox |= {"id": self.group["outbox"], "totalItems": len(self.items), "orderedItems": self.items}
        if self.paged:  # as Mastodon pages an outbox: the collection only links its first page
            page = {"id": f"{outbox['id']}?page=true", "type": "OrderedCollectionPage", "partOf": outbox["id"],
                    "orderedItems": outbox.pop("orderedItems")}  # fmt: skip
            self.lemmy.serve(page)
            outbox["first"] = page["id"]
        self.lemmy.serve(outbox)

    async def followed_from(self, node: Node, visitor: Visitor) -> None:
        """The member follows `!community@host` and the community accepts, as Lemmy answers (its Accept embeds
        the Follow); the node's worker runs until everything it causes is done."""
        self.publish_outbox()
        response = await visitor.submit("/forums/remote", {"address": f"!{self.mirror}"})
        assert response.status == 200 and response.url.path == f"/f/{self.mirror}", visitor.last_html
        await settle(node)
        [follow] = self.lemmy.received_of("Follow")
        assert follow.error is None and follow.body["object"] == self.group["id"]
        accept = rehost(self.lemmy.load("activities/following/accept.json"), self.targets)
        accept |= {"id": f"{self.lemmy.base}/activities/accept/1", "to": [follow.body["actor"]], "object": follow.body}
        status, text = await self.lemmy.send(f"{node.base_url}/inbox", accept, signer=self.group)
        assert status == 202, text
        await settle(node)


def _both(*urls: str, to: str) -> dict[str, str]:
    """A rehost mapping of each URL, written with either scheme (the fixtures mix them), to `to`."""
    return {f"{scheme}://{url.split('://', 1)[1]}": to for url in urls for scheme in ("https", "http")}


def _announcing_the_page(announce: dict[str, Any]) -> dict[str, Any]:
    return announce | {"object": announce["object"]["object"]}


def _lemmy_host(lemmy: FakeServer) -> str:
    return lemmy.base.split("://", 1)[1]


def _date(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def _errors(node: Node) -> list[Any]:
    return list(await sql(node, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL"))


async def test_following_a_lemmy_community_brings_its_recent_threads_with_their_dates(
    lemmy: FakeServer, node_factory: Any
) -> None:
    node = await start(node_factory, "vmt")
    rosa = await member(node, "rosa")
    community = Community(lemmy)
    pages = [community.post(number) for number in range(BACKFILL + 5)]
    community.items = [community.announce(page) for page in pages]  # newest first, as Lemmy lists them
    await community.followed_from(node, rosa)
    assert await _errors(node) == []

    rows = await sql(node, "SELECT t.ap_id, t.title, t.created_at, t.last_post_at, p.created_at AS posted, p.source "
                           "FROM thread t JOIN post p ON p.thread_id = t.id ORDER BY t.last_post_at DESC")  # fmt: skip
    # Bounded: the BACKFILL newest threads, and nothing of the older ones was even fetched.
    assert [row["ap_id"] for row in rows] == [page["id"] for page in pages[:BACKFILL]]
    assert not {page["id"] for page in pages[BACKFILL:]} & set(lemmy.fetched)
    for row, page in zip(rows, pages, strict=False):
        published = datetime.fromisoformat(page["published"])
        assert row["title"] == page["name"]
        assert row["created_at"] == row["last_post_at"] == row["posted"] == published  # its date, not the day it came
        assert row["source"].startswith(BODY)  # the origin's copy: the outbox's has no text
    await rosa.get(f"/f/{community.mirror}")
    listed = [rosa.last_html.index(page["name"] + "<") for page in pages[:BACKFILL]]
    assert listed == sorted(listed)  # newest first in the mirror, as in the community
    assert rosa.last_html.count(f"@picard@{_lemmy_host(lemmy)}") == BACKFILL  # each marked with its author's server


async def test_announced_pages_and_activities_given_only_by_id_are_backfilled(lemmy: FakeServer,
                                                                              node_factory: Any) -> None:  # fmt: skip
    node = await start(node_factory, "vmt")
    community = Community(lemmy)
    by_create_id, page, by_page_id, by_item_id, reply, foreign = (community.post(n) for n in range(6))
    comment = reply | {"type": "Note", "inReplyTo": by_create_id["id"]}
    lemmy.serve(comment)
    stranger = community.announce(foreign) | {"actor": lemmy.actor_id}  # an Announce not by the community
    lemmy.serve(stranger)
    community.items = [
        community.announce(by_create_id) | {"object": f"{lemmy.base}/activities/create/0"},  # Announce{Create id}
        _announcing_the_page(community.announce(page)),  # Announce{Page}
        community.announce(by_page_id) | {"object": by_page_id["id"]},  # Announce{Page id}
        community.announce(by_item_id)["id"],  # the item itself by id
        community.announce(comment),  # a comment, not a thread
        stranger,
    ]
    await community.followed_from(node, await member(node, "rosa"))
    titles = [row["title"] for row in await sql(node, "SELECT title FROM thread ORDER BY last_post_at DESC")]
    assert titles == ["Hilo 0", "Hilo 1", "Hilo 2", "Hilo 3"]
    assert await value(node, "SELECT count(*) FROM post WHERE source = '' OR source IS NULL") == 0
    assert await _errors(node) == []


async def test_an_outbox_that_only_links_its_first_page_is_read_from_that_page(lemmy: FakeServer,
                                                                              node_factory: Any) -> None:  # fmt: skip
    node = await start(node_factory, "vmt")
    community = Community(lemmy)
    community.items = [community.announce(community.post(number)) for number in range(2)]
    community.paged = True
    await community.followed_from(node, await member(node, "rosa"))
    assert f"{community.group['outbox']}?page=true" in lemmy.fetched
    assert await value(node, "SELECT count(*) FROM thread") == 2


async def test_backfilled_lemmy_threads_notify_nobody_but_the_next_new_one_does(lemmy: FakeServer,
                                                                                node_factory: Any) -> None:  # fmt: skip
    node = await start(node_factory, "vmt")
    rosa = await member(node, "rosa")
    community = Community(lemmy)
    community.items = [community.announce(community.post(number)) for number in range(3)]
    await community.followed_from(node, rosa)
    assert await value(node, "SELECT count(*) FROM thread") == 3
    assert await value(node, "SELECT count(*) FROM notification") == 0  # old threads: no notice, so no e-mail

    # A thread posted from now on is new: the Announce Lemmy sends (activities/community/announce_create_page.json).
    fresh = community.post(99, title="Hilo nuevo")
    fresh["published"] = _date(datetime.now(UTC))
    announce = lemmy.activity("activities/community/announce_create_page.json",
                              community.targets | _both(f"{ENTERPRISE}/post/7", to=fresh["id"]))  # fmt: skip
    status, text = await lemmy.send(f"{node.base_url}/inbox", announce, signer=community.group)
    assert status == 202, text
    await settle(node)
    assert await _errors(node) == []
    rows = await sql(node, "SELECT a.username, t.title FROM notification n JOIN account a ON a.id = n.account_id "
                           "JOIN thread t ON t.id = n.thread_id")  # fmt: skip
    assert [(row["username"], row["title"]) for row in rows] == [("rosa", "Hilo nuevo")]


async def test_threads_backfilled_from_another_node_notify_nobody_who_follows_the_mirror(node_factory: Any) -> None:
    ves = await start(node_factory, "ves")
    vmt = await start(node_factory, "vmt")
    operator = await member(ves, "operadora", "operator")
    await operator.submit("/forums", {"name": "Vaso de leche"}, form_page="/forums/new")
    response = await operator.submit("/f/vaso-de-leche/threads", {"title": "Padrón", "body": "Detalles aquí"},
                                     form_page="/f/vaso-de-leche")  # fmt: skip
    assert response.status == 200, operator.last_html
    rosa = await member(vmt, "rosa")
    await rosa.submit("/forums/remote", {"address": f"vaso-de-leche@{host(ves)}"})
    await settle(ves, vmt)
    assert await value(vmt, "SELECT count(*) FROM thread") == 1
    assert await value(vmt, "SELECT count(*) FROM notification") == 0
