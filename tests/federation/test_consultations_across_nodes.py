"""A consultation read, commented and answered across two districts, on two real nodes.

Each consultation's comments live in an ordinary public forum (one thread per section, opened with the section's
text). A member of another district follows that forum from her own node, receives every section (the forum's
outbox is backfilled on Accept), comments there, and her comment reaches the consultation's node marked with her
district. The council's interim updates and its answer open threads in that forum, so they reach her node too.

The consultation itself travels through that forum's Group (federation/consultation_exchange.py): her node keeps a
copy she reads and answers; her answers are counted on the consultation's node, which publishes the counts, the
interim updates, new versions and the council's answer back; the overdue marker shows on both nodes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from deliberate.clock import FrozenClock
from deliberate.peers import service as peers
from deliberate.peers.model import Recipient
from deliberate.peers.service import Signer
from deliberate.validation import LIMA
from federation import activities, consultation_exchange, identity
from federation.crypto.errors import SignatureError
from federation.crypto.multikey import assertion_method_key
from federation.crypto.proofs import verify_proof
from tests.conftest import Node, Visitor
from tests.federation.support import host, member, settle, settle_at, sql, start, value

QUESTIONS = "single: ¿Material?\nConcreto\nAdoquín\n\nmultiple: ¿Qué falta?\nRampas\nLuz\nBancas\n\ntext: ¿Algo más?"


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


# The consultation itself across nodes: a copy on every node that follows its Group, answers that travel home.


async def _journey_nodes(node_factory: Any, clock: FrozenClock, **form: str) -> tuple[Node, Node, Visitor, Visitor]:
    """VES publishes a consultation that VMT follows; both nodes run on `clock`. Returns VES, VMT, the official
    on VES and rosa on VMT."""
    ves = await start(node_factory, "ves", clock=clock)
    vmt = await start(node_factory, "vmt", clock=clock)
    operator = await member(ves, "operadora", "operator")
    official = await member(ves, "funcionaria")
    appointment = {"username": "funcionaria", "name": "Ana Quispe", "office": "Gerencia de Desarrollo Urbano"}
    assert (await operator.submit("/consultations/officials", appointment)).status == 200
    now = clock.now()
    data = {
        "title": "Plan de veredas", "summary": "Dónde se construyen veredas este año.",
        "opens_at": _lima(now - timedelta(hours=1)), "closes_at": _lima(now + timedelta(days=2)),
        "answer_due_at": _lima(now + timedelta(days=3)), "audience": "everyone", "counting": "everyone",
        "ask_stances": "1",
        "document": "## Sector 1\nVeredas en la avenida principal.\n\n## Sector 2\nVeredas junto al mercado.\n",
        "questions": QUESTIONS,
    } | form  # fmt: skip
    response = await official.submit("/consultations", data, form_page="/consultations/new")
    assert response.status == 200 and response.url.path == "/c/plan-de-veredas", official.last_html
    rosa = await member(vmt, "rosa")
    address = f"consulta-plan-de-veredas@{host(ves)}"
    assert (await rosa.submit("/forums/remote", {"address": address})).status == 200, rosa.last_html
    await settle_at(clock, ves, vmt)
    return ves, vmt, official, rosa


async def _no_refusals(*nodes: Node) -> None:
    for node in nodes:
        assert await sql(node, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL") == []


async def test_a_consultation_is_read_answered_summarised_and_answered_by_the_council_on_both_nodes(
    node_factory: Any,
) -> None:
    clock = FrozenClock(datetime.now(UTC))
    ves, vmt, official, rosa = await _journey_nodes(node_factory, clock, counting="residents")
    copy = f"/c/plan-de-veredas@{host(ves)}"

    # Published: VMT has its own copy, with sections, question, dates, status and where it is held.
    response = await rosa.get(copy)
    assert response.status == 200
    page = rosa.last_html
    assert "Plan de veredas" in page and "Veredas junto al mercado." in page and "Ana Quispe" in page
    assert 'id="home-node"' in page and host(ves) in page
    assert f'href="{copy}/respond"' in page  # open, and open to everyone: she may take part from here

    # Participate on both nodes: rosa from VMT, a verified resident on VES.
    answers = {"stance_1": "favor", "reason_1": "Hace falta", "stance_2": "contra", "q_1": "2", "multiple_q": "2",
               "q_2_1": "1", "q_2_3": "1", "q_3": "Árboles en la vereda"}  # fmt: skip
    response = await rosa.submit(f"{copy}/respond", answers)
    assert response.status == 200 and response.url.path == copy, rosa.last_html
    vecina = await member(ves, "vecina")
    await sql(ves, """INSERT INTO resident_verification (account_id, verified_by, verified_at)
                      SELECT a.id, a.id, now() FROM account a WHERE username = 'vecina'""")  # fmt: skip
    response = await vecina.submit("/c/plan-de-veredas/respond", {"stance_1": "contra", "q_1": "1"})
    assert response.status == 200, vecina.last_html
    await settle_at(clock, ves, vmt)
    remote = f"rosa@{host(vmt)}"
    stances = await sql(ves, """SELECT a.username, s.number, st.stance, st.reason FROM consultation_stance st
                                JOIN account a ON a.id = st.account_id
                                JOIN consultation_section s ON s.id = st.section_id ORDER BY 1, 2""")  # fmt: skip
    assert [tuple(r) for r in stances] == [
        (remote, 1, "favor", "Hace falta"), (remote, 2, "contra", ""), ("vecina", 1, "contra", ""),
    ]  # fmt: skip
    chosen = await sql(ves, """SELECT q.number, an.text, coalesce((SELECT array_agg(o.number ORDER BY o.number)
                                FROM consultation_option o WHERE o.id = ANY (an.option_ids)), '{}') AS options
                                FROM consultation_answer an JOIN account a ON a.id = an.account_id
                                JOIN consultation_question q ON q.id = an.question_id
                                WHERE a.username = $1 ORDER BY 1""", remote)  # fmt: skip
    assert [tuple(r) for r in chosen] == [(1, "", [2]), (2, "", [1, 3]), (3, "Árboles en la vereda", [])]
    # Only residents count here; the summary shows both numbers, on both nodes (VMT shows what VES published).
    for visitor, path in ((vecina, "/c/plan-de-veredas/summary"), (rosa, f"{copy}/summary")):
        await visitor.get(path)
        html = visitor.last_html
        assert "2 participants" in html or "2 participantes" in html, html
        counted = html[html.index('id="counting"') :]
        assert "1 of 2" in counted or "1 de 2" in counted
        section_1 = html[html.index("1. Sector 1") : html.index("2. Sector 2")]
        assert ("Against: 1" in section_1 or "En contra: 1" in section_1) and "counted-everyone" in section_1
    await rosa.get(f"{copy}/summary")
    assert "These are the results that node published" in rosa.last_html or host(ves) in rosa.last_html
    assert await value(vmt, "SELECT count(*) FROM consultation_stance") == 2  # her own, to show her answers
    # She comments on a section from the copy's page: the comment goes to the section's thread on VES.
    response = await rosa.submit(f"{copy}/sections/2/comments", {"body": "En VMT también falta vereda"},
                                 form_page=copy)  # fmt: skip
    assert response.status == 200 and response.url.path.startswith("/t/"), rosa.last_html
    await settle_at(clock, ves, vmt)
    ves_thread = await value(ves, "SELECT thread_id FROM consultation_section WHERE number = 2")
    await vecina.get(f"/t/{ves_thread}")
    assert "En VMT también falta vereda" in vecina.last_html and remote in vecina.last_html

    # An interim update and a new version reach VMT; her stance on the unchanged section carries over.
    assert (await official.submit("/c/plan-de-veredas/updates", {"body": "Revisamos los aportes de VMT"},
                                  form_page="/c/plan-de-veredas")).status == 200  # fmt: skip
    await official.get("/c/plan-de-veredas/edit")
    assert '<option value="residents" selected>' in official.last_html  # a new version keeps the choice
    edited = {
        "title": "Plan de veredas", "summary": "Dónde se construyen veredas este año.",
        "opens_at": _lima(clock.now() - timedelta(hours=1)), "closes_at": _lima(clock.now() + timedelta(days=2)),
        "answer_due_at": _lima(clock.now() + timedelta(days=3)), "audience": "everyone", "counting": "residents",
        "ask_stances": "1",
        "document": "## Sector 1\nVeredas en la avenida principal.\n\n"
                    "## Sector 2\nVeredas y rampas junto al mercado.\n",
        "questions": QUESTIONS,
    }  # fmt: skip
    response = await official.submit("/c/plan-de-veredas/edit", edited)
    assert response.status == 200, official.last_html
    await settle_at(clock, ves, vmt)
    await rosa.get(copy)
    assert "Veredas y rampas junto al mercado." in rosa.last_html and "Revisamos los aportes de VMT" in rosa.last_html
    assert await value(vmt, "SELECT max(version) FROM consultation") == 2
    assert await value(ves, """SELECT count(*) FROM consultation_stance st JOIN account a ON a.id = st.account_id
                               JOIN consultation_section s ON s.id = st.section_id JOIN consultation c
                               ON c.id = s.consultation_id WHERE c.version = 2 AND a.username = $1""",
                       remote) == 1  # fmt: skip

    # Close: her answers are refused on her own node, and the summary stays the same on both.
    clock.advance(days=2, hours=1)
    response = await rosa.submit(f"{copy}/respond", {"stance_2": "favor"}, form_page=copy)
    assert "closed" in rosa.last_html or "cerrad" in rosa.last_html
    await rosa.get(copy)
    assert f'href="{copy}/respond"' not in rosa.last_html

    # Overdue on both nodes; the council answers; the marker goes on both.
    clock.advance(days=2)
    for node, href in ((ves, "/c/plan-de-veredas"), (vmt, copy)):
        visitor = await node.visitor()
        await visitor.get("/")
        overdue = visitor.last_html[visitor.last_html.index('id="overdue"') :]
        assert f'href="{href}"' in overdue, node.name
    answer = {"general": "Se construirán **todas** las veredas.", "reply_1": "Empezamos en marzo."}
    response = await official.submit("/c/plan-de-veredas/answer", answer)
    assert response.status == 200 and response.url.path == "/c/plan-de-veredas", official.last_html
    await settle_at(clock, ves, vmt)
    for node in (ves, vmt):
        visitor = await node.visitor()
        await visitor.get("/")
        assert 'id="overdue"' not in visitor.last_html, node.name
    await rosa.get(copy)
    assert "<strong>todas</strong>" in rosa.last_html and "Empezamos en marzo." in rosa.last_html
    await _no_refusals(ves, vmt)


async def test_a_remote_stance_on_a_residents_only_consultation_is_refused_with_its_reason(node_factory: Any) -> None:
    clock = FrozenClock(datetime.now(UTC))
    ves, vmt, _official, rosa = await _journey_nodes(node_factory, clock, audience="verified_residents")
    copy = f"/c/plan-de-veredas@{host(ves)}"
    await rosa.get(copy)
    assert f'href="{copy}/respond"' not in rosa.last_html
    assert "members of other districts cannot" in rosa.last_html or "otros distritos" in rosa.last_html
    response = await rosa.submit(f"{copy}/respond", {"stance_1": "favor"}, form_page=copy)
    assert "members of other districts cannot" in rosa.last_html or "otros distritos" in rosa.last_html
    assert await value(vmt, "SELECT count(*) FROM consultation_stance") == 0

    # Even if her node let it through, the consultation's node refuses it and says why.
    await sql(vmt, "UPDATE consultation SET audience = 'everyone'")
    response = await rosa.submit(f"{copy}/respond", {"stance_1": "favor"}, form_page=copy)
    assert response.status == 200 and response.url.path == copy, rosa.last_html
    await settle_at(clock, ves, vmt)
    assert await value(ves, "SELECT count(*) FROM consultation_stance") == 0
    error = await value(ves, "SELECT error FROM inbox_activity WHERE error IS NOT NULL")
    assert error is not None and "members of other districts cannot" in error, error
    # Her node is told why (a Reject from the consultation's Group) and shows it to her.
    await rosa.get(copy)
    refused = rosa.last_html[rosa.last_html.index('id="refused"') :]
    assert "members of other districts cannot" in refused or "otros distritos no pueden" in refused


async def test_a_response_signed_by_someone_else_is_refused(node_factory: Any) -> None:
    clock = FrozenClock(datetime.now(UTC))
    ves, vmt, _official, rosa = await _journey_nodes(node_factory, clock)
    await member(vmt, "luis")
    conn = await vmt.connect()
    try:
        rosa_id = await conn.fetchval("SELECT id FROM account WHERE username = 'rosa'")
        group = await conn.fetchrow("SELECT inbox, shared_inbox, host FROM remote_actor WHERE forum_id IS NOT NULL")
        # Sent by rosa (her HTTP signature) but claiming to be luis's response, with rosa's proof on it.
        luis = identity.actor_uri(vmt.base_url, "person", "luis")
        response = {
            "@context": consultation_exchange.CONTEXT, "id": f"{vmt.base_url}/c/x/responses/forged",
            "type": "Document", "attributedTo": luis, "inResponseTo": f"{ves.base_url}/c/plan-de-veredas",
            "consultationVersion": 1, "published": clock.now().isoformat(),
            "stances": [{"section": 1, "stance": "contra", "reason": ""}], "answers": [],
        }  # fmt: skip
        who = await identity.load(conn, vmt.base_url, Signer("person", rosa_id), clock=clock)
        signed = activities.signed(response, key=who.ed25519_key, key_id=who.proof_key_id, now=clock.now())
        rosa_uri = identity.actor_uri(vmt.base_url, "person", "rosa")
        create: dict[str, Any] = {"@context": consultation_exchange.CONTEXT, "id": f"{vmt.base_url}/activities/forged",
                  "type": "Create", "actor": rosa_uri, "object": signed}  # fmt: skip
        await peers.enqueue(conn, activity_id=create["id"], body=json.dumps(create).encode(),
                            signer=Signer("person", rosa_id),
                            recipients=[Recipient(group["shared_inbox"] or group["inbox"], group["host"])],
                            clock=clock)  # fmt: skip
    finally:
        await conn.close()
    await settle_at(clock, ves, vmt)
    assert await value(ves, "SELECT count(*) FROM consultation_stance") == 0
    error = await value(ves, "SELECT error FROM inbox_activity WHERE type = 'Create' AND error IS NOT NULL")
    assert error is not None and "not attributed to the actor who sent it" in error, error
    assert rosa is not None


async def test_the_consultation_is_served_as_a_signed_activitypub_document(node_factory: Any) -> None:
    clock = FrozenClock(datetime.now(UTC))
    ves, vmt, _official, rosa = await _journey_nodes(node_factory, clock)
    as2 = {"Accept": "application/activity+json"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{ves.base_url}/c/plan-de-veredas", headers=as2) as got:
            assert got.status == 200 and got.content_type == "application/activity+json"
            document = await got.json(content_type=None)
        async with session.get(f"{ves.base_url}/u/funcionaria", headers=as2) as got:
            author = await got.json(content_type=None)
        # The copy on VMT is not VMT's to serve: a fetcher is sent to the consultation's node.
        async with session.get(f"{vmt.base_url}/c/plan-de-veredas@{host(ves)}", headers=as2,
                               allow_redirects=False) as got:  # fmt: skip
            assert got.status == 302 and got.headers["Location"] == f"{ves.base_url}/c/plan-de-veredas"
    assert document["type"] == "Document" and document["id"] == f"{ves.base_url}/c/plan-de-veredas"
    assert document["audience"] == f"{ves.base_url}/f/consulta-plan-de-veredas"
    assert [s["name"] for s in document["sections"]] == ["Sector 1", "Sector 2"]
    assert document["questions"][0]["options"] == ["Concreto", "Adoquín"]
    assert document["participation"] == "everyone" and document["consultationVersion"] == 1
    proof = document["proof"]
    assert proof["verificationMethod"] == f"{ves.base_url}/u/funcionaria#ed25519-key"
    verify_proof(document, proof, assertion_method_key(author, proof["verificationMethod"]))
    with pytest.raises(SignatureError):
        verify_proof(document | {"endTime": "2030-01-01T00:00:00+00:00"}, proof,
                     assertion_method_key(author, proof["verificationMethod"]))  # fmt: skip
    assert rosa is not None


async def test_an_organization_of_another_district_puts_forward_its_signed_position(node_factory: Any) -> None:
    clock = FrozenClock(datetime.now(UTC))
    ves, vmt, _official, rosa = await _journey_nodes(node_factory, clock)
    copy = f"/c/plan-de-veredas@{host(ves)}"
    response = await rosa.submit("/organizations", {"name": "Comedor Virgen de Lourdes", "kind": "comedor_popular"},
                                 form_page="/organizations/new")  # fmt: skip
    assert response.status == 200, rosa.last_html
    org = response.url.path.rsplit("/", 1)[1]
    response = await rosa.submit(f"{copy}/positions", {"organization": org, "body": "Pedimos **rampas**."},
                                 form_page=copy)  # fmt: skip
    assert response.status == 200, rosa.last_html
    await settle_at(clock, ves, vmt)
    neighbour = await ves.visitor()
    await neighbour.get("/c/plan-de-veredas")
    positions = neighbour.last_html[neighbour.last_html.index('id="positions"') :]
    assert "Comedor Virgen de Lourdes" in positions and "<strong>rampas</strong>" in positions
    assert f"{org}@{host(vmt)}" in positions  # marked with its district's node
    await neighbour.get("/c/plan-de-veredas/summary")
    assert "1 organization" in neighbour.last_html or "1 organización" in neighbour.last_html
    # Every node following the consultation shows it too, as the consultation's node published it.
    await sql(vmt, "DELETE FROM consultation_position")  # (only what came back from VES is left to show)
    reader = await vmt.visitor()
    await reader.get(copy)
    positions = reader.last_html[reader.last_html.index('id="positions"') :]
    assert "Comedor Virgen de Lourdes" in positions and "<strong>rampas</strong>" in positions
    await _no_refusals(ves, vmt)
