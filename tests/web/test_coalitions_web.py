"""Coalition pages on a real node: founding, inviting and accepting, the member list with districts, drafting,
signing until published, downloading the signed statement and checking it with `deliberate verify`, endorsing a
budget project shown on the project's positions page, leaving, and refusals shown on the page, changing nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from deliberate.accounts import service as accounts
from deliberate.accounts.model import Account
from deliberate.cli import main
from deliberate.clock import FrozenClock
from deliberate.organizations import service as orgs
from tests.budgets.voting_support import voting_process
from tests.conftest import Node, Visitor, cheap_passwords
from tests.web.support import shown

PASSWORD = "clave-segura-123"
CHARTER = {
    "name": "Red de Comedores de Lima",
    "purpose": "Defender el presupuesto de los comedores populares.",
    "charter": "Cada organización firma por medio de una de sus directivas.",
    "threshold": "all",
}
STATEMENT = {"title": "Pronunciamiento por el agua", "body": "Pedimos agua potable para todos los comedores."}


def before_date(message: str) -> str:
    """The part of a shown message that comes before its date."""
    return shown(message, date="\x00").split("\x00")[0]


@dataclass
class World:
    node: Node
    clock: FrozenClock
    people: dict[str, Visitor]
    orgs: dict[str, str]

    async def rows(self, sql: str) -> list[Any]:
        conn = await self.node.connect()
        try:
            return list(await conn.fetch(sql))
        finally:
            await conn.close()

    async def snapshot(self) -> list[Any]:
        return [
            await self.rows("SELECT id, state FROM coalition_member ORDER BY id"),
            await self.rows("SELECT id, title, body, document, published_at FROM coalition_statement ORDER BY id"),
            await self.rows("SELECT statement_id, member_id FROM coalition_signature ORDER BY 1, 2"),
            await self.rows("SELECT id FROM coalition ORDER BY id"),
            await self.rows("SELECT id FROM coalition_endorsement ORDER BY id"),
        ]


@pytest.fixture
async def world(node_factory: Any) -> World:
    clock = FrozenClock()
    node: Node = await node_factory("ves", clock=clock)
    made: dict[str, Account] = {}
    slugs: dict[str, str] = {}
    conn = await node.connect()
    try:
        async with conn.transaction():
            for username, org in (("rosa", "Comedor Santa Rosa"), ("elena", "Vaso de Leche Las Flores"),
                                  ("lucia", "Club de Madres Lucía"), ("vecina", None)):  # fmt: skip
                made[username] = await accounts.register_account(
                    conn, clock=clock, passwords=cheap_passwords(),
                    data={"username": username, "password": PASSWORD, "password_confirm": PASSWORD},
                )  # fmt: skip
                if org:
                    created = await orgs.create_organization(
                        conn, clock=clock, actor=made[username], data={"name": org, "kind": "comedor_popular"}
                    )
                    slugs[username] = created.slug
    finally:
        await conn.close()
    people = {}
    for username in made:
        visitor = await node.visitor()
        assert (await visitor.login(username, PASSWORD)).status == 200
        people[username] = visitor
    people["anonymous"] = await node.visitor()
    return World(node, clock, people, slugs)


async def found_and_join(world: World) -> str:
    rosa, elena = world.people["rosa"], world.people["elena"]
    response = await rosa.submit(
        "/coalitions", CHARTER | {"organization": world.orgs["rosa"]}, form_page="/coalitions/new"
    )
    assert response.status == 200 and response.url.path == "/coalitions/red-de-comedores-de-lima", rosa.last_html
    path = response.url.path
    response = await rosa.submit(f"{path}/invite", {"organization": world.orgs["rosa"], "invitee": world.orgs["elena"]})
    assert response.status == 200 and response.url.path == path, rosa.last_html
    await elena.get("/coalitions")
    assert shown("Invitations for your organizations") in elena.last_html and path in elena.last_html
    response = await elena.submit(f"{path}/accept", {"organization": world.orgs["elena"]}, form_page=path)
    assert response.status == 200 and response.url.path == path
    return path


async def test_founding_inviting_and_accepting_show_the_members_with_their_district(world: World) -> None:
    anonymous = world.people["anonymous"]
    await anonymous.get("/")
    assert 'href="/coalitions"' in anonymous.last_html  # in the main menu
    path = await found_and_join(world)
    await anonymous.get(path)
    page = anonymous.last_html
    assert "Comedor Santa Rosa" in page and "Vaso de Leche Las Flores" in page and "<td>VES</td>" in page
    assert page.count(before_date("member since %(date)s")) >= 2
    assert "/f/coalicion-red-de-comedores-de-lima" in page  # the coalition's forum


async def test_a_bad_founding_form_keeps_what_was_typed_and_stores_nothing(world: World) -> None:
    rosa, vecina = world.people["rosa"], world.people["vecina"]
    before = await world.snapshot()
    response = await rosa.submit(
        "/coalitions", CHARTER | {"organization": world.orgs["rosa"], "purpose": "corto", "threshold": "casi"},
        form_page="/coalitions/new",
    )  # fmt: skip
    assert response.status == 400 and 'id="purpose-error"' in rosa.last_html
    assert 'id="threshold-error"' in rosa.last_html and "Red de Comedores de Lima" in rosa.last_html
    # A person who administers no organization cannot found one in another's name.
    response = await vecina.submit("/coalitions", CHARTER | {"organization": world.orgs["rosa"]})
    assert response.status == 403 and shown("Only the organization's administrators can do this.") in vecina.last_html
    assert await world.snapshot() == before


async def test_signing_until_published_then_the_download_verifies_and_refusals_change_nothing(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rosa, elena, lucia = world.people["rosa"], world.people["elena"], world.people["lucia"]
    path = await found_and_join(world)
    response = await rosa.submit(f"{path}/statements", STATEMENT | {"organization": world.orgs["rosa"]})
    assert response.status == 200 and "/statements/" in response.url.path, rosa.last_html
    statement = response.url.path
    assert shown("Draft: it can still change until the first signature.") in rosa.last_html

    before = await world.snapshot()
    # An organization that is not a member cannot sign; nor can a person sign for an organization not theirs.
    response = await lucia.submit(f"{statement}/sign", {"organization": world.orgs["lucia"]}, form_page=statement)
    assert response.status == 403
    assert shown("Only member organizations of the coalition can do this.") in lucia.last_html
    response = await lucia.submit(f"{statement}/sign", {"organization": world.orgs["rosa"]}, form_page=statement)
    assert response.status == 403
    assert await world.snapshot() == before

    response = await rosa.submit(f"{statement}/sign", {"organization": world.orgs["rosa"]})
    assert response.status == 200 and shown("Collecting signatures.") in rosa.last_html
    before = await world.snapshot()
    response = await rosa.submit(
        f"{statement}/edit", STATEMENT | {"organization": world.orgs["rosa"], "body": "Otro texto distinto."},
        form_page=statement,
    )  # fmt: skip
    assert response.status == 409
    assert shown("This statement has been signed, so it can no longer change. Please write a new draft.") in (
        rosa.last_html
    )
    assert await world.snapshot() == before

    response = await elena.submit(f"{statement}/sign", {"organization": world.orgs["elena"]})
    assert response.status == 200 and before_date("Published on %(date)s.") in elena.last_html

    download = await world.people["anonymous"].session.get(world.node.base_url + f"{statement}/signed.json")
    assert download.status == 200 and "attachment" in download.headers["Content-Disposition"]
    document = json.loads(await download.text())
    assert len(document["proof"]) == 2
    (tmp_path / "statement.json").write_text(json.dumps(document), encoding="utf-8")
    assert main(["verify", str(tmp_path / "statement.json")]) == 0
    assert "2 of 2 proofs hold" in capsys.readouterr().out


async def test_an_endorsed_project_shows_the_coalitions_position_with_its_signers(world: World) -> None:
    rosa, elena = world.people["rosa"], world.people["elena"]
    path = await found_and_join(world)
    conn = await world.node.connect()
    try:
        async with conn.transaction():
            budget = await voting_process(conn, world.clock, residents=0)
    finally:
        await conn.close()
    project = budget.projects[0]
    response = await rosa.submit(f"{path}/statements", STATEMENT | {"organization": world.orgs["rosa"]})
    statement = response.url.path
    statement_id = statement.rsplit("/", 1)[1]
    await rosa.submit(f"{statement}/sign", {"organization": world.orgs["rosa"]})
    await elena.submit(f"{statement}/sign", {"organization": world.orgs["elena"]})

    before = await world.snapshot()
    response = await rosa.submit(
        f"{path}/endorse", {"organization": world.orgs["rosa"], "statement_id": statement_id, "target": "/b/x/y"},
        form_page=path,
    )  # fmt: skip
    assert response.status == 400 and 'id="target-error"' in rosa.last_html
    assert await world.snapshot() == before

    target = f"{world.node.base_url}/b/{budget.process.slug}/p/{project.id}"
    response = await rosa.submit(
        f"{path}/endorse", {"organization": world.orgs["rosa"], "statement_id": statement_id, "target": target}
    )
    assert response.status == 200 and response.url.path == path, rosa.last_html
    anonymous = world.people["anonymous"]
    await anonymous.get(f"/coalitions/positions?project={project.id}")
    page = anonymous.last_html
    assert shown("Position of the coalition %(name)s", name="Red de Comedores de Lima") in page
    assert project.title in page and "Comedor Santa Rosa, Vaso de Leche Las Flores" in page

    # Leaving keeps the history: the member list says when, the signatures stay.
    response = await elena.submit(f"{path}/leave", {"organization": world.orgs["elena"]}, form_page=path)
    assert response.status == 200
    await anonymous.get(path)
    assert before_date("left on %(date)s") in anonymous.last_html
    await anonymous.get(statement)
    assert "Vaso de Leche Las Flores" in anonymous.last_html


async def test_declining_an_invitation_and_removing_a_member_are_shown_on_the_page(world: World) -> None:
    rosa, lucia, elena = world.people["rosa"], world.people["lucia"], world.people["elena"]
    path = await found_and_join(world)
    await rosa.submit(f"{path}/invite", {"organization": world.orgs["rosa"], "invitee": world.orgs["lucia"]})
    response = await lucia.submit(f"{path}/decline", {"organization": world.orgs["lucia"]}, form_page=path)
    assert response.status == 200 and shown("declined") in lucia.last_html
    before = await world.snapshot()
    # Inviting an unknown organization is answered next to the field.
    response = await rosa.submit(f"{path}/invite", {"organization": world.orgs["rosa"], "invitee": "no-existe"})
    assert response.status == 404 and 'id="invitee-error"' in rosa.last_html
    assert await world.snapshot() == before
    rows = await world.rows("SELECT m.id FROM coalition_member m JOIN organization o ON o.id = m.organization_id "
                            "WHERE o.name = 'Vaso de Leche Las Flores'")  # fmt: skip
    member_id = rows[0]["id"]
    # With two members, the other one's agreement is the whole of "every other member".
    response = await rosa.submit(f"{path}/members/{member_id}/remove", {"organization": world.orgs["rosa"]})
    assert response.status == 200 and before_date("removed on %(date)s") in rosa.last_html
    response = await elena.submit(f"{path}/leave", {"organization": world.orgs["elena"]}, form_page=path)
    assert response.status == 403  # no longer a member: nothing to leave
