"""Two real nodes on loopback, after a member of VMT follows a person or an organization of VES: their posts that
have no copy on VMT are e-mailed to members who asked for e-mail, with the post's address on VES; the follow and
what it told are in the member's data download; and when the person deletes their account, VMT's follows of them
end without an Undo, and their page there says the account was deleted."""

from __future__ import annotations

import asyncio
import json
import time
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from deliberate.runtime.embedded import free_port
from tests.conftest import Node, Visitor
from tests.federation.support import host, member, settle, start, value
from tests.federation.test_follow_actors_across_nodes import ORG, _organization_posts, _ves_with_an_organization
from tests.web.support import es, shown


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # headers decoded
        return "250 OK"


async def _follow(visitor: Visitor, address: str) -> None:
    response = await visitor.submit("/follow/remote", {"address": address})
    assert response.status == 200 and response.url.path == f"/u/{address}", visitor.last_html


async def test_a_followed_organizations_post_elsewhere_is_e_mailed_with_its_address_there(node_factory: Any) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        ves, _, lucia = await _ves_with_an_organization(node_factory)
        vmt = await start(node_factory, "lurin", smtp_url=f"smtp://127.0.0.1:{port}",
                          smtp_from="avisos@vmt.example", email_poll_seconds=0.05)  # fmt: skip
        vecina = await vmt.visitor()
        await vecina.register("vecina", email="vecina@example.pe")
        await vecina.submit("/notifications/email", {"enabled": "1"}, form_page="/notifications")
        assert es("You receive an e-mail for each notice.") in vecina.last_html
        luis = await vmt.visitor()  # has an address, but asked for no e-mail
        await luis.register("luis", email="luis@example.pe")
        for visitor in (vecina, luis):
            await _follow(visitor, f"{ORG}@{host(ves)}")
        await settle(ves, vmt)
        assert await value(vmt, "SELECT state FROM following") == "accepted"

        thread = await _organization_posts(ves, lucia, "Olla común del sábado")
        await settle(ves, vmt)
        assert await value(vmt, "SELECT count(*) FROM notification WHERE kind = 'remote_post'") == 2
        deadline = time.monotonic() + 20
        while not inbox.messages and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # time for a second e-mail, had one been queued
        (message,) = inbox.messages
        assert message["To"] == "vecina@example.pe" and message["From"] == "avisos@vmt.example"
        author = "Comedor Popular Las Flores"
        assert message["Subject"] == es("%(author)s posted: “%(title)s”") % {
            "author": author, "title": "Olla común del sábado"}  # fmt: skip
        text = message.get_payload(decode=True).decode().replace("\r\n", "\n")
        assert es("%(author)s posted “%(title)s” on their server:") % {
            "author": author, "title": "Olla común del sábado"} + f"\n{thread}\n" in text  # fmt: skip
        assert f"{vmt.base_url}/notifications" in text
        assert await value(vmt, "SELECT count(*) FROM notification WHERE email_state = 'sent'") == 1
    finally:
        controller.stop()


async def test_the_data_download_holds_the_people_followed_elsewhere_and_what_they_posted(node_factory: Any) -> None:
    ves, vmt, lucia = await _ves_with_an_organization(node_factory)
    vecina = await member(vmt, "vecina")
    await _follow(vecina, f"{ORG}@{host(ves)}")
    await settle(ves, vmt)
    thread = await _organization_posts(ves, lucia, "Olla común del sábado")
    await settle(ves, vmt)

    response = await vecina.get("/account/data")
    assert response.status == 200
    data = json.loads(await response.text())
    [subscription] = data["subscriptions"]
    assert subscription["target_kind"] == "remote_actor"
    assert subscription["remote_actor"] == f"{ves.base_url}/o/{ORG}"
    [notice] = data["notifications"]
    assert notice["kind"] == "remote_post" and notice["thread_id"] is None
    assert notice["title"] == "Olla común del sábado" and notice["url"] == thread


async def test_a_followed_person_who_deletes_their_account_is_followed_no_more(node_factory: Any) -> None:
    ves: Node = await start(node_factory, "ves")
    vmt: Node = await start(node_factory, "vmt")
    lucia = await member(ves, "lucia")
    rosa, vecina = await member(vmt, "rosa"), await member(vmt, "vecina")
    for visitor in (rosa, vecina):
        await _follow(visitor, f"lucia@{host(ves)}")
    await settle(ves, vmt)
    assert await value(vmt, "SELECT state FROM following") == "accepted"
    assert await value(vmt, "SELECT count(*) FROM subscription WHERE target_kind = 'remote_actor'") == 2

    response = await lucia.submit("/account/delete", {"password": "clave-segura-123", "posts": "delete"})
    assert response.status == 200 and response.url.path == "/account/deleted", lucia.last_html
    await settle(ves, vmt)
    assert await value(vmt, "SELECT count(*) FROM inbox_activity WHERE type = 'Delete' AND error IS NULL") == 1
    assert await value(vmt, "SELECT count(*) FROM subscription WHERE target_kind = 'remote_actor'") == 0
    assert await value(vmt, "SELECT count(*) FROM following") == 0
    # No Undo: there is nobody left on VES to tell.
    assert await value(vmt, "SELECT count(*) FROM delivery") == 0
    assert await value(ves, "SELECT count(*) FROM inbox_activity WHERE type = 'Undo'") == 0

    page = f"/u/lucia@{host(ves)}"
    response = await vecina.get(page)
    assert response.status == 410 and shown("This account has been deleted.") in vecina.last_html
