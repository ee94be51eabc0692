"""A participatory budget from opening to results in a real browser, on a node whose clock the test moves.

The whole journey (open, propose, review, verify a resident, vote, change the vote with the receipt code, publish,
check the receipt, read the results, download the open data) runs in every mode: desktop with JavaScript, without
JavaScript and on a 360×640 phone, about twenty pages each checked by axe. A shorter check besides it pins down
what matters most without JavaScript and on a phone: the ballot form submits and shows the receipt code, and the
results publish and show. The pages are also measured at 360 px from the desktop run (`fits_a_phone`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from playwright.async_api import Locator, expect

from deliberate.clock import FrozenClock
from tests.browser.conftest import BROWSER_LOOP, Journey, JourneyFor, es, only_modes
from tests.browser.journeys import fits_a_phone, fits_the_screen
from tests.conftest import Node

pytestmark = BROWSER_LOOP

START = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
PROPOSALS = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
REVIEW = datetime(2026, 3, 12, 15, 0, tzinfo=UTC)
VOTING = datetime(2026, 3, 22, 15, 0, tzinfo=UTC)
COUNTING = datetime(2026, 4, 1, 15, 0, tzinfo=UTC)
CODE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")


async def open_process(official: Journey) -> str:
    """The official opens a one-zone process through the form; the process page's path."""
    await official.goto("/budgets", "budgets")
    await official.follow(es("Open a budget process"))
    await official.arrived("new-process")
    await fits_the_screen(official)
    await official.fill(es("Title"), "Presupuesto Participativo 2027")
    await official.fill(es("Description"), "Obras para el distrito.")
    await official.fill(es("Total in soles"), "300000")
    await official.fill(es("Most projects on one ballot (k)"), "2")
    for label, value in [
        ("Proposals open", "2026-03-02T09:00"),
        ("Feasibility review starts (proposals close)", "2026-03-11T09:00"),
        ("Voting opens", "2026-03-21T09:00"),
        ("Voting closes", "2026-03-31T18:00"),
        ("Implementation follow-up starts", "2026-05-01T00:00"),
    ]:
        await official.fill(es(label), value)
    await official.press(es("Open the process"))
    assert official.path.startswith("/b/")
    await official.arrived("process")
    return official.path


async def propose(member: Journey, process_path: str, title: str, cost: str) -> str:
    await member.goto(f"{process_path}/projects/new", "propose")
    await member.fill(es("Name of the project"), title)
    await member.fill(es("What should be done, and why"), f"{title} para el sector 3.")
    await member.fill(es("Where"), "Jr. Los Pinos 3")
    await member.fill(es("Estimated cost in soles"), cost)
    await member.press(es("Propose the project"))
    assert "/p/" in member.path
    await member.arrived("project")
    await fits_the_screen(member)
    return member.path


async def review_feasible(official: Journey, project_path: str, cost: str) -> None:
    await official.goto(project_path)
    await official.page.get_by_label(es("Decision")).select_option("yes")
    await official.fill(es("Reason, for everyone to read"), "Terreno municipal, obra posible.")
    await official.fill(es("Final cost in soles"), cost)
    await official.press(es("Publish the review"))
    await official.arrived("reviewed")
    await expect(official.page.get_by_text(es("feasible"), exact=True)).to_be_visible()


async def verify_resident(official: Journey, username: str) -> None:
    await official.goto("/admin/residents", "residents")
    await official.fill(es("Username"), username)
    await official.fill(es("Where you checked"), "Centro TIC Pachacámac")
    await official.press(es("Mark as verified resident"))
    await official.arrived("resident-verified")
    await fits_the_screen(official)
    await expect(official.page.get_by_role("cell", name=f"@{username}")).to_be_visible()


def ballot_box(voter: Journey, project: str) -> Locator:
    return voter.page.get_by_role("checkbox", name=re.compile(rf"^{re.escape(project)} · S"))


async def cast(voter: Journey, process_path: str, project: str) -> str:
    """`voter` ticks `project` on the ballot and casts it; the receipt code the page shows."""
    await voter.goto(f"{process_path}/vote", "ballot")
    await ballot_box(voter, project).check()
    await voter.press(es("Cast my vote"))
    await voter.arrived("receipt")
    code = (await voter.page.locator("code").inner_text()).strip()
    assert CODE.match(code), code
    return code


@dataclass
class Voting:
    """A process with two feasible projects, the clock at voting time, the official's and the voter's browsers."""

    node: Node
    clock: FrozenClock
    process_path: str
    official: Journey
    vecina: Journey


async def to_voting(node_factory: Any, journey_for: JourneyFor) -> Voting:
    """Open a process, propose two projects, review them feasible and verify the proposer as a resident, each
    through the pages, moving the node's clock from phase to phase."""
    clock = FrozenClock(START)
    node: Node = await node_factory("ves", clock=clock)
    official = await journey_for(node, "funcionaria", "official", signed_in=True)
    vecina = await journey_for(node, "vecina", signed_in=True)
    process_path = await open_process(official)
    clock.current = PROPOSALS
    losa = await propose(vecina, process_path, "Losa deportiva", "85000")
    parque = await propose(vecina, process_path, "Parque infantil", "120000")
    clock.current = REVIEW
    await review_feasible(official, losa, "90000")
    await review_feasible(official, parque, "120000")
    await verify_resident(official, "vecina")
    clock.current = VOTING
    return Voting(node, clock, process_path, official, vecina)


async def test_a_budget_from_opening_to_published_results(node_factory: Any, journey_for: JourneyFor) -> None:
    world = await to_voting(node_factory, journey_for)
    clock, process_path, official, vecina = world.clock, world.process_path, world.official, world.vecina
    slug = process_path.removeprefix("/b/")

    await vecina.goto(process_path, "process-voting")
    code = await cast(vecina, process_path, "Losa deportiva")
    await vecina.goto(f"{process_path}/vote", "already-voted")
    await fits_a_phone(vecina)
    await vecina.follow(es("Change your vote"))
    await vecina.arrived("change-vote")
    await fits_a_phone(vecina)
    await vecina.fill(es("Your receipt code"), code.lower())
    await ballot_box(vecina, "Losa deportiva").set_checked(False)
    await ballot_box(vecina, "Parque infantil").check()
    await vecina.press(es("Change my vote"))
    await vecina.arrived("vote-changed")
    await fits_a_phone(vecina)
    await expect(vecina.page.get_by_role("heading", name=es("Your vote was changed"))).to_be_visible()
    assert (await vecina.page.locator("code").inner_text()).strip() == code

    clock.current = COUNTING
    await official.goto(f"{process_path}/results", "before-publishing")
    await official.press(es("Count and publish the results"))
    await official.arrived("published")
    await expect(official.page.get_by_role("heading", name=es("Results"), exact=True)).to_be_visible()

    await vecina.goto(f"{process_path}/receipt", "check-receipt")
    await vecina.fill(es("Receipt code"), code)
    await vecina.press(es("Check"))
    await vecina.arrived("receipt-checked")
    await fits_a_phone(vecina)
    status = vecina.page.get_by_role("status")
    await expect(status).to_have_text(
        es("Your ballot is entry %(position)s of %(total)s in the published chain, unchanged.", position=1, total=1)
    )
    await expect(vecina.page.locator("main li", has_text="Parque infantil")).to_have_count(1)

    reader = await journey_for(world.node, "lectora")
    await reader.goto(process_path, "process-results")
    await fits_a_phone(reader)
    await reader.follow(es("Results"))
    await reader.arrived("results")
    await fits_a_phone(reader)
    chart = reader.page.get_by_role("img", name=es("Votes per project; funded projects in green"))
    await expect(chart).to_be_visible()
    funded = reader.page.locator("ol li", has_text="Parque infantil")
    await expect(funded).to_have_count(1)
    await expect(funded.locator("small").first).not_to_be_empty()  # why it was funded, in words
    downloads = {
        "chain.json": "application/json",
        "ballots.pb": "text/plain",
        "results.csv": "text/csv",
        "ballots.csv": "text/csv",
    }
    for name, content_type in downloads.items():
        response = await reader.context.request.get(reader.url(f"/b/{slug}/{name}"))
        assert response.status == 200, name
        assert response.headers["content-type"].split(";")[0] == content_type, (name, response.headers)
        assert await response.body(), name
    async with reader.page.expect_download() as download:
        await reader.page.get_by_role("link", name=es("Results (CSV)")).click()
    assert (await download.value).suggested_filename == f"{slug}-results.csv"


@only_modes("nojs", "phone")
async def test_a_ballot_without_javascript_and_on_a_phone(node_factory: Any, journey_for: JourneyFor) -> None:
    """The pages of a process load, pass axe and fit a phone; the ballot and publishing work without JavaScript."""
    world = await to_voting(node_factory, journey_for)
    vecina = world.vecina
    await vecina.goto(world.process_path, "process-voting")
    await fits_the_screen(vecina)
    code = await cast(vecina, world.process_path, "Losa deportiva")
    await fits_the_screen(vecina)
    await vecina.goto(f"{world.process_path}/receipt", "check-receipt")
    await vecina.fill(es("Receipt code"), code)
    await vecina.press(es("Check"))
    await vecina.arrived("receipt-checked")
    await expect(vecina.page.get_by_role("status")).to_have_text(
        es("Your ballot is in the ballot box. It will be published with the results after voting closes.")
    )
    await fits_the_screen(vecina)
    world.clock.current = COUNTING
    await world.official.goto(f"{world.process_path}/results", "before-publishing")
    await world.official.press(es("Count and publish the results"))
    await world.official.arrived("published")
    await fits_the_screen(world.official)
    await expect(world.official.page.locator("main ol li", has_text="Losa deportiva")).to_have_count(1)
