"""Moderation through the pages, on a real node: reports, the queue, hiding with a reason, suspensions, the public
log and appeals."""

from __future__ import annotations

import re

from deliberate.accounts import service as accounts
from deliberate.clock import SystemClock
from deliberate.moderation import service as moderation
from tests.conftest import Node, Visitor
from tests.web.support import es
from tests.web.test_organizations_and_forums_web import signed_in


async def thread_by_rosa(node: Node, body: str = "Los del sector 5 son unos ladrones") -> tuple[Visitor, str, int]:
    """rosa opens a thread in a node category; her visitor, the thread's path and the id of her post."""
    operator = await signed_in(node, "operador", "operator")
    forum_path = (await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")).url.path
    rosa = await signed_in(node, "rosa")
    response = await rosa.submit(
        forum_path + "/threads", {"title": "Reparto del agua", "body": body}, form_page=forum_path
    )
    thread_path = response.url.path
    found = re.search(r'id="p(\d+)"', rosa.last_html)
    assert thread_path.startswith("/t/") and found, rosa.last_html
    return rosa, thread_path, int(found[1])


async def test_a_report_reaches_the_moderators_queue(node: Node) -> None:
    _, thread_path, post_id = await thread_by_rosa(node)
    juan = await signed_in(node, "juan")
    await juan.get(thread_path)
    assert f'href="/p/{post_id}/report"' in juan.last_html
    response = await juan.submit(f"/p/{post_id}/report", {"reason": "insult", "text": "Nos insulta a todos"})
    assert response.status == 200 and es("Thank you. The moderators will look at your report.") in juan.last_html
    moderator = await signed_in(node, "moderadora", "moderator")
    await moderator.get("/moderation")
    assert es("Insults or harassment") in moderator.last_html and "Nos insulta a todos" in moderator.last_html
    assert f'href="/p/{post_id}/moderate"' in moderator.last_html and "@juan" not in moderator.last_html


async def test_reporting_a_post_twice_is_refused_with_a_message(node: Node) -> None:
    _, _, post_id = await thread_by_rosa(node)
    juan = await signed_in(node, "juan")
    await juan.submit(f"/p/{post_id}/report", {"reason": "spam"})
    response = await juan.submit(f"/p/{post_id}/report", {"reason": "spam"})
    assert response.status == 409
    assert es("You have already reported this post. The moderators will look at it.") in juan.last_html


async def test_a_moderator_hides_a_post_with_a_reason_shown_in_the_thread(node: Node) -> None:
    _, thread_path, post_id = await thread_by_rosa(node)
    moderator = await signed_in(node, "moderadora", "moderator")
    response = await moderator.submit(
        f"/p/{post_id}/hide", {"reason": "Acusa sin pruebas a todo un sector"}, form_page=f"/p/{post_id}/moderate"
    )
    assert response.status == 200 and response.url.path == f"/p/{post_id}/moderate"
    visitor = await node.visitor()
    await visitor.get(thread_path)
    assert "Acusa sin pruebas a todo un sector" in visitor.last_html and "ladrones" not in visitor.last_html


async def test_hiding_without_a_reason_is_refused_next_to_the_field(node: Node) -> None:
    _, thread_path, post_id = await thread_by_rosa(node)
    moderator = await signed_in(node, "moderadora", "moderator")
    response = await moderator.submit(f"/p/{post_id}/hide", {"reason": "  "}, form_page=f"/p/{post_id}/moderate")
    assert response.status == 400 and 'id="reason-error"' in moderator.last_html
    assert es("Please write the reason. Everyone can read it in the public moderation log.") in moderator.last_html
    await moderator.get(thread_path)
    assert "ladrones" in moderator.last_html


async def test_a_member_cannot_open_the_queue_or_hide_a_post(node: Node) -> None:
    _, thread_path, post_id = await thread_by_rosa(node)
    juan = await signed_in(node, "juan")
    assert (await juan.get("/moderation")).status == 403
    response = await juan.submit(f"/p/{post_id}/hide", {"reason": "No me gusta"}, form_page=thread_path)
    assert response.status == 403
    await juan.get(thread_path)
    assert "ladrones" in juan.last_html


async def test_the_moderation_log_is_public_to_anonymous_visitors(node: Node) -> None:
    _, _, post_id = await thread_by_rosa(node)
    moderator = await signed_in(node, "moderadora", "moderator")
    await moderator.submit(f"/p/{post_id}/hide", {"reason": "Insultos"}, form_page=f"/p/{post_id}/moderate")
    anonymous = await node.visitor()
    response = await anonymous.get("/moderation/log")
    assert response.status == 200 and es("Hid a post") in anonymous.last_html
    assert "@moderadora" in anonymous.last_html and "@rosa" in anonymous.last_html and "Insultos" in anonymous.last_html
    assert "Reparto del agua" in anonymous.last_html


async def test_an_appeal_answered_by_another_moderator_shows_the_post_again(node: Node) -> None:
    rosa, thread_path, post_id = await thread_by_rosa(node, "El agua llega solo dos horas")
    moderator = await signed_in(node, "moderadora", "moderator")
    await moderator.submit(f"/p/{post_id}/hide", {"reason": "Fuera de tema"}, form_page=f"/p/{post_id}/moderate")
    await rosa.get(thread_path)
    assert f'href="/p/{post_id}/appeal"' in rosa.last_html
    appeal_page = await rosa.get(f"/p/{post_id}/appeal")
    appeal_path = appeal_page.url.path
    assert appeal_path.endswith("/appeal") and appeal_path.startswith("/moderation/actions/")
    response = await rosa.submit(appeal_path, {"text": "Es justo el tema del hilo"})
    assert response.status == 200 and "Es justo el tema del hilo" in rosa.last_html
    other = await signed_in(node, "segundo", "moderator")
    await other.get("/moderation")
    found = re.search(r'href="(/moderation/appeals/\d+)"', other.last_html)
    assert found, other.last_html
    response = await other.submit(found[1], {"outcome": "reversed", "answer": "Tiene razón, es el tema"})
    assert response.status == 200 and es("The decision is reversed") in other.last_html
    anonymous = await node.visitor()
    await anonymous.get(thread_path)
    assert "El agua llega solo dos horas" in anonymous.last_html
    await anonymous.get("/moderation/log")
    assert "Es justo el tema del hilo" in anonymous.last_html and "Tiene razón, es el tema" in anonymous.last_html
    assert es("Showed a hidden post again") in anonymous.last_html


async def test_a_stranger_cannot_open_the_appeal_form(node: Node) -> None:
    _, _, post_id = await thread_by_rosa(node)
    moderator = await signed_in(node, "moderadora", "moderator")
    await moderator.submit(f"/p/{post_id}/hide", {"reason": "Insultos"}, form_page=f"/p/{post_id}/moderate")
    juan = await signed_in(node, "juan")
    response = await juan.get(f"/p/{post_id}/appeal")
    assert response.status == 403
    assert es("Only the person this decision is about can appeal it.") in juan.last_html


async def test_a_suspended_member_cannot_reply(node: Node) -> None:
    rosa, thread_path, _ = await thread_by_rosa(node)
    moderator = await signed_in(node, "moderadora", "moderator")
    response = await moderator.submit("/u/rosa/suspend", {"days": "7", "reason": "Insultos repetidos"})
    assert response.status == 200 and es("Lift the suspension") in moderator.last_html
    response = await rosa.submit(thread_path + "/replies", {"body": "Sigo aquí"}, form_page=thread_path)
    assert response.status == 403 and es("This account is suspended.") in rosa.last_html
    await moderator.submit("/u/rosa/lift", {"reason": "Se disculpó"}, form_page="/u/rosa/suspend")
    response = await rosa.submit(thread_path + "/replies", {"body": "Disculpen"}, form_page=thread_path)
    assert response.status == 200 and "Disculpen" in rosa.last_html
    anonymous = await node.visitor()
    await anonymous.get("/moderation/log")
    assert es("Suspended an account") in anonymous.last_html and es("Lifted a suspension") in anonymous.last_html


async def test_closing_a_thread_with_a_reason_is_in_the_log(node: Node) -> None:
    _, thread_path, _ = await thread_by_rosa(node)
    moderator = await signed_in(node, "moderadora", "moderator")
    response = await moderator.submit(thread_path + "/close", {"locked": "1", "reason": "Tema resuelto en asamblea"})
    assert response.status == 200 and es("This thread is closed. New replies are not possible.") in moderator.last_html
    anonymous = await node.visitor()
    await anonymous.get("/moderation/log")
    assert es("Closed a thread") in anonymous.last_html and "Tema resuelto en asamblea" in anonymous.last_html


async def test_the_history_of_a_hidden_post_does_not_show_its_text(node: Node) -> None:
    operator = await signed_in(node, "operador", "operator", "moderator")
    forum_path = (await operator.submit("/forums", {"name": "General"}, form_page="/forums/new")).url.path
    rosa = await signed_in(node, "rosa")
    thread_path = (
        await rosa.submit(forum_path + "/threads", {"title": "Hola", "body": "primera versión"}, form_page=forum_path)
    ).url.path
    conn = await node.connect()
    post_id = await conn.fetchval("SELECT id FROM post")
    await rosa.submit(f"/p/{post_id}/edit", {"body": "texto ofensivo"}, form_page=f"/p/{post_id}/edit")
    await rosa.get(f"/p/{post_id}/history")
    assert "primera versión" in rosa.last_html and "texto ofensivo" in rosa.last_html  # before hiding, both show
    async with conn.transaction():
        actor = await accounts.access_account_by_username(conn, "operador")
        await moderation.hide_post(conn, clock=SystemClock(), actor=actor, post_id=post_id, reason="Insultos")
    await conn.close()
    visitor = await node.visitor()
    await visitor.get(f"/p/{post_id}/history")
    assert "texto ofensivo" not in visitor.last_html and "primera versión" not in visitor.last_html
    assert "Insultos" in visitor.last_html
    await visitor.get(thread_path)
    assert "texto ofensivo" not in visitor.last_html
