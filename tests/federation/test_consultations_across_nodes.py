"""A consultation read, commented and answered across two districts, on two real nodes.

Consultations themselves do not federate yet; their comments do, because each consultation's comments live in an
ordinary public forum (one thread per section, opened with the section's text). A member of another district follows
that forum from her own node, receives every section (the forum's outbox is backfilled on Accept), comments there,
and her comment reaches the consultation's node marked with her district. The council's interim updates and its
answer open threads in that forum, so they reach her node too; the overdue marker lives on the consultation's node.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from deliberate.consultations.model import LIMA
from tests.federation.support import host, member, settle, sql, start, value


def _lima(moment: datetime) -> str:
    return moment.astimezone(LIMA).strftime("%Y-%m-%dT%H:%M")


async def test_a_member_of_another_district_reads_the_sections_and_her_comment_reaches_the_consultation(
    node_factory: Any,
) -> None:
    ves = await start(node_factory, "ves")
    vmt = await start(node_factory, "vmt")
    operator = await member(ves, "operadora", "operator")
    official = await member(ves, "funcionaria")
    appointment = {"username": "funcionaria", "name": "Ana Quispe", "office": "Gerencia de Desarrollo Urbano"}
    response = await operator.submit("/consultations/officials", appointment)
    assert response.status == 200, operator.last_html
    now = datetime.now(LIMA)
    form = {
        "title": "Plan de veredas", "summary": "Dónde se construyen veredas este año.",
        "opens_at": _lima(now - timedelta(days=1)), "closes_at": _lima(now + timedelta(days=10)),
        "audience": "everyone", "ask_stances": "1",
        "document": "## Sector 1\nVeredas en la avenida principal.\n\n## Sector 2\nVeredas junto al mercado.\n",
        "questions": "",
    }  # fmt: skip
    response = await official.submit("/consultations", form, form_page="/consultations/new")
    assert response.status == 200 and response.url.path == "/c/plan-de-veredas", official.last_html
    address = f"consulta-plan-de-veredas@{host(ves)}"
    assert address in official.last_html  # the page tells other districts where to follow the comments

    rosa = await member(vmt, "rosa")
    response = await rosa.submit("/forums/remote", {"address": address})
    assert response.status == 200 and response.url.path == f"/f/{address}", rosa.last_html
    await settle(ves, vmt)
    await rosa.get(f"/f/{address}")
    assert "1. Sector 1" in rosa.last_html and "2. Sector 2" in rosa.last_html

    ves_thread = await value(ves, "SELECT thread_id FROM consultation_section WHERE number = 2")
    vmt_thread = await value(vmt, "SELECT id FROM thread WHERE ap_id = $1", f"{ves.base_url}/t/{ves_thread}")
    await rosa.get(f"/t/{vmt_thread}")
    assert "Veredas junto al mercado." in rosa.last_html
    response = await rosa.submit(f"/t/{vmt_thread}/replies", {"body": "En VMT también falta vereda en el mercado"})
    assert response.status == 200, rosa.last_html
    await settle(ves, vmt)

    neighbour = await member(ves, "vecina")
    await neighbour.get("/c/plan-de-veredas")
    assert "1 comment" in neighbour.last_html or "1 comentario" in neighbour.last_html
    await neighbour.get(f"/t/{ves_thread}")
    assert "En VMT también falta vereda en el mercado" in neighbour.last_html
    assert f"rosa@{host(vmt)}" in neighbour.last_html  # marked with her district's node
    for node in (ves, vmt):
        assert await sql(node, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL") == []


async def test_the_councils_answer_reaches_the_other_district_and_the_overdue_marker_goes(node_factory: Any) -> None:
    ves = await start(node_factory, "ves")
    vmt = await start(node_factory, "vmt")
    operator = await member(ves, "operadora", "operator")
    official = await member(ves, "funcionaria")
    appointment = {"username": "funcionaria", "name": "Ana Quispe", "office": "Gerencia de Desarrollo Urbano"}
    assert (await operator.submit("/consultations/officials", appointment)).status == 200
    now = datetime.now(LIMA)
    # Closed ten days ago and due 24 hours ago (yesterday in Lima, whatever the hour): the council is a day late.
    form = {
        "title": "Plan de veredas", "summary": "Dónde se construyen veredas este año.",
        "opens_at": _lima(now - timedelta(days=30)), "closes_at": _lima(now - timedelta(days=10)),
        "answer_due_at": _lima(now - timedelta(days=1)), "audience": "everyone", "ask_stances": "1",
        "document": "## Sector 1\nVeredas en la avenida principal.\n", "questions": "",
    }  # fmt: skip
    response = await official.submit("/consultations", form, form_page="/consultations/new")
    assert response.status == 200, official.last_html
    address = f"consulta-plan-de-veredas@{host(ves)}"
    rosa = await member(vmt, "rosa")
    assert (await rosa.submit("/forums/remote", {"address": address})).status == 200
    await settle(ves, vmt)

    neighbour = await ves.visitor()
    await neighbour.get("/")
    overdue = neighbour.last_html[neighbour.last_html.index('id="overdue"') :]
    assert 'href="/c/plan-de-veredas"' in overdue and ("1 day overdue" in overdue or "1 día de retraso" in overdue)

    answer = {"general": "Se construirán **todas** las veredas.", "reply_1": "Empezamos en marzo."}
    response = await official.submit("/c/plan-de-veredas/answer", answer)
    assert response.status == 200 and response.url.path == "/c/plan-de-veredas", official.last_html
    await settle(ves, vmt)
    await neighbour.get("/")
    assert 'id="overdue"' not in neighbour.last_html
    await rosa.get(f"/f/{address}")
    assert "Respuesta del concejo: Plan de veredas" in rosa.last_html
    thread = await value(vmt, "SELECT id FROM thread WHERE title LIKE 'Respuesta del concejo%'")
    await rosa.get(f"/t/{thread}")
    assert "<strong>todas</strong>" in rosa.last_html and "Empezamos en marzo." in rosa.last_html
    assert f"funcionaria@{host(ves)}" in rosa.last_html
