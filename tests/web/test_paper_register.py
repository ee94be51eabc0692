"""The paper register page: officials see how many paper ballots each of them entered at each polling table, to
reconcile with the registers voters signed there; members cannot see it, and nobody sees who voted how. The paper
receipt does not promise a change of vote, since a paper ballot cannot be changed."""

from __future__ import annotations

from typing import Any

from deliberate.clock import FrozenClock
from tests.budgets.voting_support import signed_in, voting_process_on
from tests.web.support import shown


async def test_officials_reconcile_paper_ballots_per_table_and_members_cannot(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    setup = await voting_process_on(node, clock, residents=4)
    slug, (a, b, c) = setup.process.slug, setup.projects
    official = await signed_in(node, setup.official.username)
    response = await official.get(f"/b/{slug}/paper/register")
    assert response.status == 200 and shown("No paper ballots have been entered yet.") in official.last_html
    entries = [("Mesa 1, Centro TIC", setup.residents[0], a), ("Mesa 1, Centro TIC", setup.residents[1], b),
               ("Mesa 2, Parroquia", setup.residents[2], c)]  # fmt: skip
    for table, voter, project in entries:
        response = await official.submit(f"/b/{slug}/paper", {"polling_table": table, "username": voter.username,
                                                               f"p_{project.id}": "1"})  # fmt: skip
        assert response.status == 200, official.last_html
    receipt = official.last_html
    assert shown("Give this receipt code to the voter:") in receipt
    assert shown("With this code you can change your vote until voting closes.") not in receipt
    assert shown("You voted on paper at a polling table, so you cannot also vote online.") in receipt
    online = await signed_in(node, setup.residents[3].username)
    await online.submit(f"/b/{slug}/vote", {f"p_{a.id}": "1"})

    response = await official.get(f"/b/{slug}/paper/register")
    page = official.last_html
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    rows = [row.split("</tr>")[0] for row in page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]]
    who = f"@{setup.official.username}"
    assert rows == [f"<td>Mesa 1, Centro TIC</td><td>{who}</td><td>2</td>",
                    f"<td>Mesa 2, Parroquia</td><td>{who}</td><td>1</td>"]  # fmt: skip
    assert shown("Paper ballots: %(paper)s of %(roll)s ballots cast.", paper=3, roll=4) in page
    assert not any(voter.username in page for voter in setup.residents), "counts only, no voters"
    assert a.title not in page and b.title not in page, "no choices"

    member = await signed_in(node, setup.residents[3].username)
    response = await member.get(f"/b/{slug}/paper/register")
    assert response.status == 403
