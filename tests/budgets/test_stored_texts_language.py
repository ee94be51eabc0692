"""Texts the budget area writes by itself are not stored in one language: an imported project's review and the name
of a process's one zone are shown in the reader's language; the texts that must be stored because they travel to
other nodes as they are (the project forum's description, a project thread's first post) are in the node's
language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from deliberate.budgets import exchange
from deliberate.budgets import service as budgets
from deliberate.budgets.model import WHOLE_DISTRICT, BudgetProcess, BudgetProject
from deliberate.clock import FrozenClock
from deliberate.validation import LIMA
from tests.budgets.test_texts_by_ballot_kind import shown_in
from tests.budgets.voting_support import PASSWORD, make_account
from tests.conftest import Node

PB_APPROVAL = """META
key;value
description;Presupuesto importado de prueba
budget;100
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;name
1;60;Parque infantil
2;30;Losa deportiva
VOTES
voter_id;vote
v1;1
v2;1,2
"""
IMPORTED = "Imported from a pabulib file."


async def _imported(node_factory: Any) -> tuple[Node, BudgetProcess, BudgetProject]:
    """VES with a process an official imported from `PB_APPROVAL`; the process and its first project."""
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    conn = await node.connect()
    try:
        official = await make_account(conn, clock, "importadora", "official")
        async with conn.transaction():
            process = await exchange.import_pabulib(conn, clock=clock, actor=official, text=PB_APPROVAL)
        project = (await budgets.list_projects(conn, process.id))[0]
    finally:
        await conn.close()
    return node, process, project


async def test_an_imported_projects_review_is_shown_in_the_readers_language(node_factory: Any) -> None:
    node, process, project = await _imported(node_factory)
    assert project.feasible and project.review_reason is None  # nothing stored in any language
    for lang in ("es", "qu", "en"):
        visitor = await node.visitor(**{"Accept-Language": lang})
        await visitor.get(f"/b/{process.slug}/p/{project.id}")
        assert shown_in(lang, IMPORTED) in visitor.last_html, lang


async def test_a_project_imported_with_the_old_spanish_reason_reads_in_the_readers_language(node_factory: Any) -> None:
    node, process, project = await _imported(node_factory)
    conn = await node.connect()
    try:
        await conn.execute(
            "UPDATE budget_project SET review_reason = 'Importado de un archivo pabulib.' WHERE id = $1", project.id
        )
    finally:
        await conn.close()
    visitor = await node.visitor(**{"Accept-Language": "en"})
    await visitor.get(f"/b/{process.slug}/p/{project.id}")
    assert IMPORTED in visitor.last_html and "Importado de un archivo" not in visitor.last_html


async def _official(node: Node, clock: FrozenClock, lang: str) -> Any:
    conn = await node.connect()
    try:
        await make_account(conn, clock, "oficial", "official")
    finally:
        await conn.close()
    visitor = await node.visitor(**{"Accept-Language": lang})
    response = await visitor.login("oficial", PASSWORD)
    assert response.status == 200, visitor.last_html
    return visitor


def _process_form(clock: FrozenClock) -> dict[str, str]:
    def at(**delta: int) -> str:
        return (clock.now() + timedelta(**delta)).astimezone(LIMA).strftime("%Y-%m-%dT%H:%M")

    return {
        "title": "Presupuesto de prueba 2027", "description": "", "total_amount": "100000", "zones": "",
        "ballot_rule": "approval", "max_choices": "3", "points": "", "min_share": "", "counting_rule": "greedy",
        "min_votes": "", "completion": "none", "satisfaction": "cost", "tie_break": "id", "tie_seed": "",
        "proposals_open_at": at(minutes=-5), "review_starts_at": at(days=2), "voting_opens_at": at(days=4),
        "voting_closes_at": at(days=6), "implementation_starts_at": "",
    }  # fmt: skip


async def _open_and_propose(node: Node, clock: FrozenClock, lang: str) -> tuple[str, str, str]:
    """Open a process and propose a project through the pages; the forum's description and the thread's first post
    as stored, and the propose form as the official reads it in `lang`."""
    official = await _official(node, clock, lang)
    response = await official.submit("/budgets", _process_form(clock), form_page="/budgets/new")
    assert response.status == 200 and "/b/" in str(response.url), official.last_html
    slug = response.url.path.split("/")[2]
    await official.get(f"/b/{slug}/projects/new")
    form = official.last_html
    conn = await node.connect()
    try:
        process = await budgets.get_process(conn, slug)
        zone = process.zones[0]
        assert zone.name == WHOLE_DISTRICT  # stored as it is: the signed chain's header holds it
        response = await official.submit(
            f"/b/{slug}/projects",
            {"title": "Parque infantil", "description": "", "location": "", "zone_id": str(zone.id),
             "estimated_cost": "30000"},
            form_page=f"/b/{slug}/projects/new",
        )  # fmt: skip
        assert response.status == 200, official.last_html
        description = await conn.fetchval("SELECT description FROM forum WHERE id = $1", process.forum_id)
        post = await conn.fetchval(
            "SELECT p.source FROM post p JOIN budget_project b ON b.thread_id = p.thread_id WHERE b.process_id = $1",
            process.id,
        )
    finally:
        await conn.close()
    return description, post, form


async def test_texts_the_node_stores_and_federates_are_in_the_nodes_language(node_factory: Any) -> None:
    clock = FrozenClock()
    english = await node_factory("ves", clock=clock, default_language="en")
    description, post, form = await _open_and_propose(english, clock, "qu")
    assert description == "Discussion of the projects of the participatory budget «Presupuesto de prueba 2027»."
    assert "Proposal for the participatory budget «Presupuesto de prueba 2027»: [see the project" in post
    assert shown_in("qu", "Whole district") in form  # the one zone's name, in the reader's language
    spanish = await node_factory("vmt", clock=clock)
    description, post, form = await _open_and_propose(spanish, clock, "en")
    es = "Discussion of the projects of the participatory budget «%(title)s»."
    assert description == shown_in("es", es, title="Presupuesto de prueba 2027")
    assert "Discussion of" not in description and "Proposal for" not in post
    assert "Whole district (S/ 100 000,00)" in form
