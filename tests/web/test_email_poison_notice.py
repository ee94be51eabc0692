"""An e-mail that cannot be built fails alone: the notices behind it are still sent, and it is retried with backoff
and given up like an SMTP failure, instead of ending every round and blocking the queue for good."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from deliberate.clock import FrozenClock
from deliberate.notifications.model import EmailJob
from deliberate.notifications.service import MAX_EMAIL_ATTEMPTS
from deliberate.runtime.embedded import free_port
from tests.conftest import Node
from tests.web.test_notifications_web import Inbox, open_thread
from tests.web.test_organizations_and_forums_web import signed_in
from web import mailer
from web.state import STATE, AppState


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback: what it received, and its port."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def sender(node: Node, port: int, clock: FrozenClock) -> AppState:
    """The node's state as the e-mail sender sees it, sending to `port` at `clock`. The node itself sends no e-mail
    (it has no SMTP set): the test runs the rounds one by one."""
    state = node.app[STATE]
    settings = state.settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    return dataclasses.replace(state, clock=clock, settings=settings)


async def test_a_notice_whose_e_mail_cannot_be_built_does_not_hold_back_the_next_one(
    node: Node, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    _, thread_path = await open_thread(node)
    juan = await node.visitor()
    await juan.register("juan", email="juan@example.pe")
    await juan.submit("/notifications/email", {"enabled": "1"}, form_page="/notifications")
    await juan.submit("/follow", {"kind": "thread", "target": thread_path.split("/")[-1], "next": "/"},
                      form_page=thread_path)  # fmt: skip
    maria = await signed_in(node, "maria")
    await maria.submit(thread_path + "/replies", {"body": "Mañana viene la cisterna"}, form_page=thread_path)
    await maria.submit(thread_path + "/replies", {"body": "A las ocho"}, form_page=thread_path)
    conn = await node.connect()
    try:
        first, second = [row["id"] for row in await conn.fetch(
            "SELECT id FROM notification WHERE email_state = 'pending' ORDER BY email_next_at, id")]  # fmt: skip
    finally:
        await conn.close()

    compose = mailer.compose

    def failing_for_the_first(settings: Any, job: EmailJob, catalog: Any) -> EmailMessage:
        if job.notification_id == first:
            raise ValueError("a header value that cannot be sent")
        return compose(settings, job, catalog)

    monkeypatch.setattr(mailer, "compose", failing_for_the_first)
    clock = FrozenClock(datetime.now(UTC) + timedelta(seconds=1))
    mail = sender(node, port, clock)

    assert await mailer.send_due_emails(mail) == 1
    (message,) = inbox.messages
    assert f"{node.base_url}{thread_path}#p" in message.get_payload(decode=True).decode()

    async def state_of(notification_id: int) -> tuple[str, int, datetime | None]:
        conn = await node.connect()
        try:
            row = await conn.fetchrow(
                "SELECT email_state, email_attempts, email_next_at FROM notification WHERE id = $1",
                notification_id,
            )
        finally:
            await conn.close()
        return row["email_state"], row["email_attempts"], row["email_next_at"]

    assert (await state_of(second))[0] == "sent"
    assert await state_of(first) == ("pending", 1, clock.now() + timedelta(minutes=1))  # backoff, as for SMTP

    assert await mailer.send_due_emails(mail) == 0  # not due again before its backoff
    for attempt in range(2, MAX_EMAIL_ATTEMPTS + 1):
        clock.advance(minutes=2 ** (attempt - 2))
        assert await mailer.send_due_emails(mail) == 0
        assert (await state_of(first))[1] == attempt
    assert await state_of(first) == ("failed", MAX_EMAIL_ATTEMPTS, None)  # given up
    clock.advance(days=1)
    assert await mailer.send_due_emails(mail) == 0
    assert len(inbox.messages) == 1


async def test_a_thread_title_with_a_line_break_is_e_mailed_on_one_line(node: Node, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    forum_path, _ = await open_thread(node)
    juan = await node.visitor()
    await juan.register("juan", email="juan@example.pe")
    await juan.submit("/notifications/email", {"enabled": "1"}, form_page="/notifications")
    await juan.submit("/follow", {"kind": "forum", "target": forum_path.rsplit("/", 1)[1], "next": "/"},
                      form_page=forum_path)  # fmt: skip
    maria = await signed_in(node, "maria")
    response = await maria.submit(forum_path + "/threads", {"title": "Agua\r\npotable", "body": "Sin agua"},
                                  form_page=forum_path)  # fmt: skip
    assert response.status == 200, maria.last_html

    assert await mailer.send_due_emails(sender(node, port, FrozenClock(datetime.now(UTC) + timedelta(seconds=1)))) == 1
    (message,) = inbox.messages
    assert "Agua potable" in str(make_header(decode_header(message["Subject"])))
