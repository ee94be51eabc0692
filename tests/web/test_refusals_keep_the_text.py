"""A refusal of what a member wrote, where they wrote it (the place closed while they were writing, the post they
were editing was deleted, a field at fault), shows the form again with their text and the reason, never an error page
that loses what they typed. Most tests open the form while it is still offered, then the place closes, then they
send it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Node, Visitor
from tests.web import test_budgets_web as budgets_web
from tests.web import test_consultations_web as consultations_web
from tests.web.support import shown
from tests.web.test_notifications_web import open_thread
from tests.web.test_organizations_and_forums_web import found_organization, signed_in
from web.handlers.budgets import CHANGE_FIELDS


async def send(visitor: Visitor, path: str, data: dict[str, str], *, token: str) -> tuple[int, str]:
    """Post `data` with a token taken earlier, as a browser does with a page opened before the place closed."""
    response = await visitor.session.post(visitor.url(path), data={**data, "csrf_token": token})
    return response.status, await response.text()


# Forums


async def test_an_edit_of_a_post_deleted_meanwhile_keeps_the_new_text(node: Node) -> None:
    _, thread_path = await open_thread(node)  # by rosa
    rosa = await node.visitor()
    assert (await rosa.login("rosa")).status == 200
    await rosa.submit(thread_path + "/replies", {"body": "Mañana hay corte"}, form_page=thread_path)
    post_id = max(int(found) for found in re.findall(r'id="p(\d+)"', rosa.last_html))
    token = await rosa.csrf(f"/p/{post_id}/edit")  # the edit form is open in one tab…
    await rosa.submit(f"/p/{post_id}/delete", {}, form_page=thread_path)  # …and the post is deleted in another
    status, page = await send(rosa, f"/p/{post_id}/edit", {"body": "Mañana hay corte de 8 a 12"}, token=token)
    assert status == 409 and shown("That post was deleted.") in page
    assert "Mañana hay corte de 8 a 12" in page


async def test_a_reply_to_a_thread_closed_meanwhile_keeps_its_text(node: Node) -> None:
    _, thread_path = await open_thread(node)
    juan = await signed_in(node, "juan")
    token = await juan.csrf(thread_path)  # the reply form is open…
    moderator = await signed_in(node, "moderadora", "moderator")  # …when a moderator closes the thread
    closed = await moderator.submit(thread_path + "/close", {"locked": "1", "reason": "Tema resuelto"})
    assert closed.status == 200
    status, page = await send(juan, thread_path + "/replies", {"body": "Yo también lo vi"}, token=token)
    assert status == 409 and shown("This thread is closed. New replies are not possible.") in page
    assert re.search(r"<textarea[^>]*readonly[^>]*>Yo también lo vi</textarea>", page)
    assert f'action="{thread_path}/replies"' not in page  # kept to copy, not offered to send again


async def test_a_thread_in_the_name_of_an_organization_one_does_not_administer_keeps_its_text(node: Node) -> None:
    forum_path, _ = await open_thread(node)
    rosa = await node.visitor()
    assert (await rosa.login("rosa")).status == 200
    org_slug = (await found_organization(rosa)).removeprefix("/o/")
    juan = await signed_in(node, "juan")
    data = {"title": "Olla común", "body": "Este sábado cocinamos juntos", "as_organization": org_slug}
    response = await juan.submit(forum_path + "/threads", data, form_page=forum_path)
    assert response.status == 403 and shown("Only the organization's administrators can do this.") in juan.last_html
    assert 'value="Olla común"' in juan.last_html and "Este sábado cocinamos juntos" in juan.last_html


# Consultations


@pytest.fixture
async def consultation(node_factory: Any) -> consultations_web.World:
    return await consultations_web.build_world(node_factory)


async def test_a_reply_on_the_thread_page_of_a_section_closed_meanwhile_keeps_its_text(
    consultation: consultations_web.World,
) -> None:
    member = consultation.people["member"]
    await member.get(f"/c/{consultation.slug}")
    thread = re.search(r'href="/t/(\d+)"', member.last_html)
    assert thread
    token = await member.csrf(f"/t/{thread[1]}")
    consultation.clock.current = consultations_web.CLOSED
    status, page = await send(member, f"/t/{thread[1]}/replies", {"body": "Los puestos de la esquina"}, token=token)
    assert status == 409
    assert shown("This consultation is closed. Answers can no longer be given or changed.") in page
    assert "Los puestos de la esquina" in page


async def test_a_comment_on_the_consultation_page_sent_after_closing_keeps_its_text(
    consultation: consultations_web.World,
) -> None:
    # The page no longer offers the comment form once the consultation is closed: the text comes back to copy.
    member = consultation.people["member"]
    token = await member.csrf(f"/c/{consultation.slug}")
    consultation.clock.current = consultations_web.CLOSED
    path = f"/c/{consultation.slug}/sections/1/comments"
    status, page = await send(member, path, {"body": "Los puestos de la esquina"}, token=token)
    assert status == 409
    assert shown("This consultation is closed. Answers can no longer be given or changed.") in page
    assert re.search(r"<textarea[^>]*readonly[^>]*>Los puestos de la esquina</textarea>", page)
    assert f'action="{path}"' not in page  # kept to copy, not offered to send again


async def test_an_organization_position_sent_after_closing_keeps_its_text(
    consultation: consultations_web.World,
) -> None:
    admin = consultation.people["org_admin"]
    token = await admin.csrf(f"/c/{consultation.slug}")
    consultation.clock.current = consultations_web.CLOSED
    data = {"organization": consultation.org, "body": "El comedor está a favor del horario"}
    status, page = await send(admin, f"/c/{consultation.slug}/positions", data, token=token)
    assert status == 409
    assert shown("This consultation is closed. Answers can no longer be given or changed.") in page
    assert re.search(r"<textarea[^>]*readonly[^>]*>El comedor está a favor del horario</textarea>", page)


async def test_a_new_version_sent_after_closing_keeps_the_edited_document(
    consultation: consultations_web.World,
) -> None:
    official = consultation.people["official"]
    token = await official.csrf(f"/c/{consultation.slug}/edit")
    consultation.clock.current = consultations_web.CLOSED
    document = "## Horario\nDe 6:00 a 20:00 los sábados.\n\n## Limpieza\nCada puesto limpia su frente.\n"
    status, page = await send(
        official, f"/c/{consultation.slug}/edit", consultations_web.publish_form(document=document), token=token
    )
    assert status == 409 and shown("This consultation is closed. Its text can no longer be changed.") in page
    assert "De 6:00 a 20:00 los sábados." in page


# Participatory budgets


@pytest.fixture
async def budget(node_factory: Any) -> budgets_web.World:
    return await budgets_web.build_world(node_factory)


async def test_a_project_sent_after_proposals_closed_keeps_its_text(budget: budgets_web.World) -> None:
    budgets_web.in_proposals(budget)
    member = budget.people["member"]
    path = f"/b/{budget.process.slug}/projects"
    token = await member.csrf(f"{path}/new")
    budget.clock.current = budget.process.review_starts_at
    data = {"title": "Losa con techo", "description": "Para las asambleas del sector.",
            "zone_id": str(budget.process.zones[0].id), "estimated_cost": "10000"}  # fmt: skip
    status, page = await send(member, path, data, token=token)
    assert status == 409 and shown("Projects can only be proposed while the proposal phase is open.") in page
    assert 'value="Losa con techo"' in page and "Para las asambleas del sector." in page


async def test_a_review_sent_after_voting_opened_keeps_its_reason(budget: budgets_web.World) -> None:
    project_id = await budgets_web.propose(budget)
    official = budget.people["official"]
    path = f"/b/{budget.process.slug}/p/{project_id}"
    token = await official.csrf(path)
    budget.clock.current = budget.process.voting_opens_at
    data = {"feasible": "yes", "reason": "El terreno es municipal y está saneado.", "final_cost": "90000"}
    status, page = await send(official, f"{path}/review", data, token=token)
    assert status == 409 and shown("Projects can only be reviewed before voting opens.") in page
    assert "El terreno es municipal y está saneado." in page


async def test_a_change_sent_after_the_results_were_published_keeps_its_text(budget: budgets_web.World) -> None:
    official = budget.people["official"]
    token = await official.csrf(f"/b/{budget.process.slug}/edit")
    await budgets_web.publish_results(budget)
    form = budgets_web.process_form(description="Obras para el distrito, con la lista de calles.")
    data = {name: form[name] for name in CHANGE_FIELDS}
    status, page = await send(official, f"/b/{budget.process.slug}/edit", data, token=token)
    assert status == 409 and shown("The results of this process are already published.") in page
    assert "Obras para el distrito, con la lista de calles." in page
