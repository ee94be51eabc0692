"""Following, the notices page with its unread count, and e-mail notices through a real SMTP server."""

from __future__ import annotations

import asyncio
import time
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from deliberate.runtime.embedded import free_port
from tests.conftest import Node
from tests.web.support import es
from tests.web.test_organizations_and_forums_web import signed_in


async def open_thread(node: Node) -> tuple[str, str]:
    operator = await signed_in(node, "operador", "operator")
    forum_path = (await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")).url.path
    rosa = await signed_in(node, "rosa")
    thread_path = (
        await rosa.submit(forum_path + "/threads", {"title": "Agua", "body": "No hay agua"}, form_page=forum_path)
    ).url.path
    return forum_path, thread_path


async def test_a_follower_sees_a_new_reply_and_the_count_clears_when_read(node: Node) -> None:
    _, thread_path = await open_thread(node)
    juan = await signed_in(node, "juan")
    await juan.submit("/follow", {"kind": "thread", "target": thread_path.split("/")[-1], "next": thread_path},
                      form_page=thread_path)  # fmt: skip
    assert es("Stop following") in juan.last_html
    luis = await signed_in(node, "luis")
    await luis.submit(thread_path + "/replies", {"body": "Aquí tampoco"}, form_page=thread_path)
    await juan.get("/")
    assert (es("%(num)s new notice") % {"num": 1}) in juan.last_html
    await juan.get("/notifications")
    assert "@luis" in juan.last_html and "Agua" in juan.last_html
    await juan.submit("/notifications/read", {"up_to": "999999"}, form_page="/notifications")
    await juan.get("/")
    assert (es("%(num)s new notice") % {"num": 1}) not in juan.last_html


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


async def test_e_mail_notices_reach_a_real_smtp_server(node_factory: Any) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        node: Node = await node_factory(
            "ves", smtp_url=f"smtp://127.0.0.1:{port}", smtp_from="avisos@ves.example", email_poll_seconds=0.05
        )
        _, thread_path = await open_thread(node)
        juan = await node.visitor()
        await juan.register("juan", email="juan@example.pe")
        await juan.submit("/notifications/email", {"enabled": "1"}, form_page="/notifications")
        assert es("You receive an e-mail for each notice.") in juan.last_html
        await juan.submit("/follow", {"kind": "thread", "target": thread_path.split("/")[-1], "next": "/"},
                          form_page=thread_path)  # fmt: skip
        rosa = await signed_in(node, "maria")
        await rosa.submit(thread_path + "/replies", {"body": "Mañana viene la cisterna"}, form_page=thread_path)
        deadline = time.monotonic() + 20
        while not inbox.messages and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        (message,) = inbox.messages
        assert message["To"] == "juan@example.pe" and message["From"] == "avisos@ves.example"
        assert "Agua" in message["Subject"]
        assert f"{node.base_url}{thread_path}" in message.get_payload(decode=True).decode()
    finally:
        controller.stop()


async def test_e_mail_notices_need_an_address(node_factory: Any) -> None:
    node: Node = await node_factory("ves", smtp_url="smtp://127.0.0.1:1")
    rosa = await signed_in(node, "rosa")
    response = await rosa.submit("/notifications/email", {"enabled": "1"}, form_page="/notifications")
    assert response.status == 400 and es("Add an e-mail address to your account first.") in rosa.last_html
