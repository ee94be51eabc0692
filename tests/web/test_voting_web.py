"""Budget voting over HTTP on a real node: the ballot form, the receipt shown once, changing a vote with it, a paper
ballot at a polling table, publishing, the results page with its chart, checking a receipt, the downloads, the import
form, and 500 voters sending 1,000 ballots at once through the JSON API."""

from __future__ import annotations

import asyncio
import gzip
import html
import json
import re
from datetime import timedelta
from typing import Any

import aiohttp

from deliberate.accounts import service as accounts
from deliberate.budgets import publishing, voting
from deliberate.budgets.pabulib import parse_pabulib
from deliberate.clock import FrozenClock
from tests.budgets.conftest import PB, REFERENCE
from tests.budgets.voting_support import (
    close_voting,
    signed_in,
    vote_and_publish,
    voting_process,
    voting_process_on,
)
from tests.web.support import shown

CODE = re.compile(r"<code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</code>")


async def test_a_resident_votes_gets_a_receipt_once_and_changes_the_vote_with_it(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    setup = await voting_process_on(node, clock)
    slug, (a, b, _) = setup.process.slug, setup.projects
    ana = await signed_in(node, setup.residents[0].username)
    await ana.get(f"/b/{slug}")
    assert f'href="/b/{slug}/vote"' in ana.last_html and f'href="/b/{slug}/paper"' not in ana.last_html
    response = await ana.get(f"/b/{slug}/vote")
    assert response.status == 200 and f'name="p_{a.id}"' in ana.last_html
    response = await ana.submit(f"/b/{slug}/vote", {"zone": str(setup.process.zones[0].id), f"p_{a.id}": "1"})
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    code = CODE.search(ana.last_html)
    assert code, ana.last_html
    assert shown("Write it down or take a photo now: it is shown only this once and this site does not keep it.") in (
        ana.last_html
    )
    again = await ana.session.post(ana.url(f"/b/{slug}/vote"), data={
        f"p_{b.id}": "1", "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', ana.last_html)[1],  # type: ignore[index]
    })  # fmt: skip
    assert again.status == 409
    assert shown("You already voted in this process. To change your vote, use your receipt code.") in await again.text()
    response = await ana.submit(f"/b/{slug}/vote/change", {"code": "AAAA-AAAA-AAAA-AAAA", f"p_{b.id}": "1"})
    assert (
        response.status == 400
        and shown("That receipt code does not match your vote. Please check it and try again.") in ana.last_html
    )
    response = await ana.submit(f"/b/{slug}/vote/change", {"code": code[1].lower(), f"p_{b.id}": "1"})
    assert response.status == 200 and code[1] in ana.last_html and shown("Your vote was changed") in ana.last_html
    conn = await node.connect()
    try:
        assert await conn.fetchval("SELECT choices FROM budget_ballot") == [b.id]
    finally:
        await conn.close()


async def test_an_unverified_member_sees_why_and_cannot_vote(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    setup = await voting_process_on(node, clock)
    visitor = await node.visitor()
    await visitor.register("sin-verificar")
    await visitor.get(f"/b/{setup.process.slug}/vote")
    message = shown("Only verified residents of the district can vote. Please bring your DNI to an ICT centre to "
                    "be verified.")  # fmt: skip
    assert message in visitor.last_html
    response = await visitor.submit(f"/b/{setup.process.slug}/vote", {f"p_{setup.projects[0].id}": "1"})
    assert response.status == 403 and message in visitor.last_html


async def test_paper_ballot_then_publication_results_receipt_and_downloads(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    setup = await voting_process_on(node, clock, counting_rule="mes", completion="add1")
    slug, (a, b, c) = setup.process.slug, setup.projects
    official = await signed_in(node, setup.official.username)
    assert "/paper" in (await official.get(f"/b/{slug}"), official.last_html)[1]
    response = await official.submit(f"/b/{slug}/paper", {
        "polling_table": "Mesa 1, Centro TIC", "username": setup.residents[1].username, f"p_{a.id}": "1",
        f"p_{c.id}": "1",
    })  # fmt: skip
    assert response.status == 200 and shown("Give this receipt code to the voter:") in official.last_html
    paper_code = CODE.search(official.last_html)[1]  # type: ignore[index]
    next_ballot = re.search(r'href="(/b/[^"]+/paper\?[^"]+)"', official.last_html)
    assert next_ballot and "Mesa+1" in next_ballot[1]
    await official.get(html.unescape(next_ballot[1]))
    assert 'value="Mesa 1, Centro TIC"' in official.last_html
    online = await signed_in(node, setup.residents[1].username)
    response = await online.submit(f"/b/{slug}/vote", {f"p_{b.id}": "1"})
    assert response.status == 409
    assert shown("You voted on paper at a polling table, so you cannot also vote online.") in online.last_html
    ana = await signed_in(node, setup.residents[0].username)
    await ana.submit(f"/b/{slug}/vote", {f"p_{a.id}": "1", f"p_{b.id}": "1"})
    close_voting(setup)
    response = await ana.submit(f"/b/{slug}/publish", {}, form_page=f"/b/{slug}/results", allow_redirects=False)
    assert response.status == 403
    response = await official.submit(f"/b/{slug}/publish", {}, form_page=f"/b/{slug}/results")
    assert response.status == 200 and response.url.path == f"/b/{slug}/results"
    page = official.last_html
    assert "<svg" in page and "<rect" in page and "style=" not in page and "<script" not in page
    assert a.title in page and shown("Funded projects, in the order they were chosen") in page
    # Equal Shares explained: what the supporters paid.
    assert "S/ " in page and shown("Funded by Equal Shares in round %(round)s: its supporters paid for it together.",
                                   round=1) in page  # fmt: skip
    assert len(gzip.compress(page.encode())) < 30 * 1024
    visitor = await node.visitor()
    response = await visitor.submit(f"/b/{slug}/receipt", {"code": paper_code})
    position = re.search(r"(\d+)", visitor.last_html.split('role="status">')[1])
    assert response.status == 200 and position
    assert shown("Your ballot is entry %(position)s of %(total)s in the published chain, unchanged.",
                 position=position[1], total=2) in visitor.last_html  # fmt: skip
    chain = await visitor.get(f"/b/{slug}/chain.json")
    document = json.loads(await chain.text())
    assert document["key_id"] == f"{node.base_url}/actor#ed25519-key"
    publishing.verify_chain(document)
    (outcome,) = publishing.recount(document).values()
    assert set(outcome.selected) <= {str(p.id) for p in setup.projects} and outcome.selected
    pb = await visitor.get(f"/b/{slug}/ballots.pb")
    assert pb.status == 200 and len(parse_pabulib(await pb.text()).votes) == 2
    for path in ("results.csv", "ballots.csv"):
        download = await visitor.get(f"/b/{slug}/{path}")
        assert download.status == 200 and download.content_type == "text/csv"


async def test_downloads_wait_for_publication(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    setup = await voting_process_on(node, clock)
    visitor = await node.visitor()
    for path in ("chain.json", "ballots.pb", "results.csv", "ballots.csv"):
        response = await visitor.get(f"/b/{setup.process.slug}/{path}")
        assert response.status == 404, path


async def test_an_official_imports_a_pb_file_and_a_bad_one_is_refused_with_its_line(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    setup = await voting_process_on(node, clock)
    official = await signed_in(node, setup.official.username)
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', (await official.get("/budgets/import"), official.last_html)[1]
    )
    assert token
    bad = aiohttp.FormData({"csrf_token": token[1]})
    bad.add_field("file", b"META\nkey;value\nbudget;100\n", filename="roto.pb", content_type="text/plain")
    response = await official.session.post(official.url("/budgets/import"), data=bad)
    text = await response.text()
    assert response.status == 400 and "field-error" in text and "roto" not in text.split("<h1>")[0]
    good = aiohttp.FormData({"csrf_token": token[1]})
    path = PB / REFERENCE["Netherlands_Assen_2024"]["file"]
    good.add_field("file", path.read_bytes(), filename=path.name, content_type="text/plain")
    response = await official.session.post(official.url("/budgets/import"), data=good)
    assert response.status == 200 and response.url.path.endswith("/results"), await response.text()
    # A rule the node cannot reproduce (greedy-no-skip) is refused; the official may count it under a chosen rule.
    no_skip = b"META\nkey;value\nbudget;1000\nvote_type;approval\nrule;greedy-no-skip\nPROJECTS\nproject_id;cost\n" \
              b"1;600\n2;700\nVOTES\nvoter_id;vote\nv1;1,2\nv2;2\n"  # fmt: skip
    for chosen, status in (("", 400), ("greedy", 200)):
        form = aiohttp.FormData({"csrf_token": token[1], "counting_rule": chosen, "completion": "",
                                 "satisfaction": "", "tie_break": ""})  # fmt: skip
        form.add_field("file", no_skip, filename="wroclaw.pb", content_type="text/plain")
        response = await official.session.post(official.url("/budgets/import"), data=form)
        text = await response.text()
        assert response.status == status, text
        assert ("greedy-no-skip" in text) == (status == 400)
    assert response.url.path.endswith("/results")
    await official.get("/budgets/import")
    assert shown("As the file says") in official.last_html and 'name="counting_rule"' in official.last_html
    member = await signed_in(node, setup.residents[0].username)
    assert (await member.get("/budgets/import")).status == 403


async def test_500_voters_sending_1000_ballots_at_once_leave_exactly_500(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock, db_pool_size=10)
    conn = await node.connect()
    try:
        setup = await voting_process(conn, clock, residents=500, costs=[30000, 40000, 50000, 20000])
        tokens = []
        for resident in setup.residents:
            token, _ = await accounts.create_api_token(conn, clock=clock, actor=resident, data={"name": "carga"})
            tokens.append(token)
    finally:
        await conn.close()
    slug, ids = setup.process.slug, [p.id for p in setup.projects]
    url = f"{node.base_url}/api/v1/budgets/{slug}/ballot"

    async def send(session: aiohttp.ClientSession, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with session.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as response:
            return response.status, await response.json(content_type=None)

    async def voter(session: aiohttp.ClientSession, i: int) -> list[tuple[int, dict[str, Any]]]:
        first = {"choices": [ids[i % 4]]}
        if i % 2 == 0:  # the same voter sends two ballots at the same moment
            return list(await asyncio.gather(send(session, tokens[i], first),
                                             send(session, tokens[i], {"choices": [ids[(i + 1) % 4]]})))  # fmt: skip
        cast = await send(session, tokens[i], first)  # then changes it with the receipt
        change = await send(session, tokens[i], {"choices": [ids[3], ids[(i + 2) % 3]],
                                                 "receipt_code": cast[1]["receipt_code"]})  # fmt: skip
        return [cast, change]

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as session:
        answers = await asyncio.gather(*(voter(session, i) for i in range(500)))
    statuses = [status for pair in answers for status, _ in pair]
    assert len(statuses) == 1000
    assert statuses.count(201) == 500 and statuses.count(200) == 250 and statuses.count(409) == 250
    refusals = [body for pair in answers for status, body in pair if status == 409]
    assert {r["code"] for r in refusals} == {"already_voted"}
    texts = {r.get("detail") or r["title"] for r in refusals}
    assert texts == {shown("You already voted in this process. To change your vote, use your receipt code.")}
    conn = await node.connect()
    try:
        roll = await conn.fetchval("SELECT count(*) FROM budget_voter")
        box = await conn.fetchval("SELECT count(*) FROM budget_ballot")
        changed = await conn.fetchval("SELECT count(*) FROM budget_ballot WHERE jsonb_array_length(choices) = 2")
    finally:
        await conn.close()
    assert (roll, box, changed) == (500, 500, 250)


async def test_api_refusals_are_problems_and_change_nothing(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    conn = await node.connect()
    try:
        setup = await voting_process(conn, clock)
        from tests.budgets.voting_support import make_account

        stranger = await make_account(conn, clock, "forastera")
        tokens = {}
        for name, account in (("resident", setup.residents[0]), ("stranger", stranger)):
            tokens[name], _ = await accounts.create_api_token(conn, clock=clock, actor=account, data={"name": "x"})
    finally:
        await conn.close()
    url = f"{node.base_url}/api/v1/budgets/{setup.process.slug}/ballot"
    ids = [p.id for p in setup.projects]
    cases = [
        ("nobody", {"choices": [ids[0]]}, 401, "wrong_credentials"),
        ("stranger", {"choices": [ids[0]]}, 403, "not_verified_voter"),
        ("resident", {"choices": ids + ids}, 400, "invalid_ballot"),
        ("resident", {"choices": "todos"}, 400, "invalid_fields"),
        ("resident", {"choices": [ids[0]], "receipt_code": "0000-0000-0000-0000"}, 400, "wrong_receipt_code"),
    ]
    async with aiohttp.ClientSession() as session:
        for who, body, status, code in cases:
            headers = {"Authorization": f"Bearer {tokens.get(who, 'dlb_no-such-token')}"}
            async with session.post(url, json=body, headers=headers) as response:
                problem = await response.json(content_type=None)
                assert (response.status, problem["code"]) == (status, code), problem
                assert response.content_type == "application/problem+json"
    conn = await node.connect()
    try:
        assert await conn.fetchval("SELECT count(*) FROM budget_ballot") == 0
        assert await conn.fetchval("SELECT count(*) FROM budget_voter") == 0
    finally:
        await conn.close()


async def test_greedy_results_say_why_each_project_was_or_was_not_funded(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    conn = await node.connect()
    try:
        setup = await voting_process(conn, clock, costs=[60000, 50000, 30000], residents=3)
        a, b, c = setup.projects
        await vote_and_publish(conn, setup, [[a.id, b.id], [a.id, b.id], [a.id]])
    finally:
        await conn.close()
    visitor = await node.visitor()
    await visitor.get(f"/b/{setup.process.slug}/results")
    page = visitor.last_html
    # 100 000 soles: a (3 votes, 60 000) first; b (2 votes, 50 000) no longer fits; c has no votes but fits.
    funded = "Funded by number of votes: when its turn came (place %(position)s), %(money)s were left."
    assert shown(funded, position=1, money="S/ 100 000,00") in page
    assert shown("Not funded: when its turn came (place %(position)s), only %(money)s were left.", position=2,
                 money="S/ 40 000,00") in page  # fmt: skip
    nobody = "Nobody voted for it, but it fit in the %(money)s left at the end, so it was funded."
    assert shown(nobody, money="S/ 40 000,00") in page  # greedy funds what fits, even without votes
    listed = page.split("</svg>", 1)[1]  # the lists, after the chart's labels
    assert (
        listed.index(a.title)
        < listed.index(c.title)
        < listed.index(shown("Projects not funded"))
        < listed.index(b.title)
    )


async def test_a_free_project_equal_shares_leaves_out_is_explained_as_free_not_unaffordable(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    conn = await node.connect()
    try:
        setup = await voting_process(conn, clock, costs=[60000, 0], residents=3, counting_rule="mes")
        a, free = setup.projects
        assert free.cost == 0
        await vote_and_publish(conn, setup, [[a.id, free.id]] * len(setup.residents))
        _, rows = await publishing.published_results(conn, slug=setup.process.slug)
    finally:
        await conn.close()
    stored = {r.project_id: r for r in rows}[free.id]
    assert not stored.selected and stored.explanation["reason"] == "free_no_satisfaction"
    visitor = await node.visitor()
    await visitor.get(f"/b/{setup.process.slug}/results")
    page = visitor.last_html
    assert (
        shown(
            "Not funded: it costs nothing, and in this count a vote is worth what the project costs, so its votes add "
            "nothing and Equal Shares does not pick it. Only a completion by number of votes with the money left funds "
            "such a project."
        )
        in page
    )
    unaffordable = "Not funded: from the start its supporters had only %(money)s together, less than its cost."
    assert shown(unaffordable, money="S/ 0,00") not in page


async def test_the_minimum_on_cumulative_ballots_is_of_points_and_the_pages_say_so(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    conn = await node.connect()
    try:
        rule = {"ballot_rule": "cumulative", "points": "5", "max_choices": "", "counting_rule": "greedy-threshold"}
        setup = await voting_process(conn, clock, costs=[30000, 20000], residents=3, min_votes="4", **rule)
        x, y = setup.projects
        # x: 2 voters × 3 points = 6 points; y: 3 voters × 1 point = 3 points. More voters, fewer points.
        ballots = [{str(x.id): 3, str(y.id): 1}, {str(x.id): 3, str(y.id): 1}, {str(y.id): 1}]
        await vote_and_publish(conn, setup, ballots)
        _, rows = await publishing.published_results(conn, slug=setup.process.slug)
    finally:
        await conn.close()
    stored = {r.project_id: r for r in rows}
    assert stored[x.id].selected and not stored[y.id].selected
    below = stored[y.id].explanation
    assert (below["reason"], below["votes"], below["score"], below["min_score"]) == ("below_threshold", 3, "3", "4")
    visitor = await node.visitor()
    await visitor.get(f"/b/{setup.process.slug}/results")
    results = visitor.last_html
    points = "Not funded: it received %(points)s points in total, fewer than the minimum of %(minimum)s points."
    assert shown(points, points=3, minimum=4) in results
    assert shown("Not funded: it had %(votes)s votes, fewer than the minimum of %(minimum)s.", votes=3,
                 minimum=4) not in results  # fmt: skip
    await visitor.get(f"/b/{setup.process.slug}")
    rule = (
        "Only projects that received at least %(points)s points in total, all voters' points added up, can be funded."
    )
    assert shown(rule, points=4) in visitor.last_html
    assert shown("Only projects with at least %(votes)s votes can be funded.", votes=4) not in visitor.last_html


async def test_the_pb_download_of_a_zoned_process_asks_for_the_zone(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    conn = await node.connect()
    try:
        setup = await voting_process(conn, clock, zones="Norte; 50000\nSur; 30000", costs=[40000, 25000], residents=2)
        north, south = setup.process.zones
        await vote_and_publish(conn, setup, [[setup.zone_projects(z.id)[0].id] for z in (north, south)],
                               zones=[north.id, south.id])  # fmt: skip
    finally:
        await conn.close()
    visitor = await node.visitor()
    response = await visitor.get(f"/b/{setup.process.slug}/ballots.pb")
    ask = "A .pb file holds the ballots of one zone. Add ?zone= and the zone's number: %(zones)s."
    assert response.status == 400
    assert shown(ask, zones=f"{north.id} (Norte), {south.id} (Sur)") in visitor.last_html
    response = await visitor.get(f"/b/{setup.process.slug}/ballots.pb?zone={south.id}")
    assert response.status == 200
    pb = parse_pabulib(await response.text())
    assert pb.meta["unit"] == "Sur" and len(pb.votes) == 1


async def test_changing_a_ballot_after_voting_closes_is_refused_and_changes_nothing(node_factory: Any) -> None:
    clock = FrozenClock()
    node = await node_factory("ves", clock=clock)
    conn = await node.connect()
    try:
        setup = await voting_process(conn, clock)
        a, b, c = setup.projects
        async with conn.transaction():
            receipt = await voting.cast_ballot(conn, clock=clock, actor=setup.residents[0], slug=setup.process.slug,
                                               zone_id=None, choices=[a.id])  # fmt: skip
        token, _ = await accounts.create_api_token(conn, clock=clock, actor=setup.residents[0], data={"name": "x"})
    finally:
        await conn.close()
    ana = await signed_in(node, setup.residents[0].username)
    clock.current = setup.process.voting_closes_at - timedelta(minutes=1)  # a change in the last minute counts
    response = await ana.submit(f"/b/{setup.process.slug}/vote/change", {"code": receipt.display, f"p_{c.id}": "1"})
    assert response.status == 200, ana.last_html
    close_voting(setup)  # one minute after voting closes
    response = await ana.submit(f"/b/{setup.process.slug}/vote/change", {"code": receipt.display, f"p_{b.id}": "1"})
    assert response.status == 409 and shown("Voting is not open in this budget process.") in ana.last_html
    body = {"choices": [b.id], "receipt_code": receipt.display}
    url = f"{node.base_url}/api/v1/budgets/{setup.process.slug}/ballot"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as answer,
    ):
        problem = await answer.json(content_type=None)
    assert (answer.status, problem["code"]) == (409, "voting_not_open")
    conn = await node.connect()
    try:
        assert await conn.fetchval("SELECT choices FROM budget_ballot") == [c.id]
    finally:
        await conn.close()
