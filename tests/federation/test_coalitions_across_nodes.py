"""Three real district nodes: a coalition founded on one and joined by organizations of the two others, a statement
signed by all three and checked offline with `deliberate verify`, the coalition's position on a budget project of
another node shown there, a member leaving, and forged signatures refused on every node.

Nothing is mocked: each node has its own database, keys and HTTP server; activities travel as signed HTTP requests
through the delivery queue and the inbox pipeline. Forgeries are put in the real delivery queue of a node, signed
by the HTTP key of the actor they claim to come from, so only the forged proof is wrong.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from deliberate.clock import FrozenClock
from deliberate.peers import service as peers
from deliberate.peers.model import Recipient
from deliberate.peers.service import Signer
from federation.crypto.proofs import create_proof
from tests.budgets.voting_support import voting_process
from tests.conftest import Node, Visitor
from tests.federation.support import host, member, settle, sql, start, value
from tests.web.support import _catalogs

CHARTER = {
    "name": "Red de Comedores de Lima",
    "purpose": "Defender el presupuesto de los comedores populares.",
    "charter": "Cada organización firma por medio de una de sus directivas.",
    "threshold": "all",
}
GROUP = "coalicion-red-de-comedores-de-lima"


async def organization(node: Node, visitor: Visitor, name: str) -> str:
    response = await visitor.submit(
        "/organizations", {"name": name, "kind": "comedor_popular"}, form_page="/organizations/new"
    )
    assert response.status == 200, visitor.last_html
    return response.url.path.rsplit("/", 1)[1]


async def enqueue_forgery(node: Node, activity: dict[str, Any], signer: Signer, *targets: Node) -> None:
    conn = await node.connect()
    try:
        async with conn.transaction():
            await peers.enqueue(
                conn, activity_id=activity["id"], body=json.dumps(activity).encode(), signer=signer,
                recipients=[Recipient(f"{t.base_url}/inbox", host(t)) for t in targets],
                clock=FrozenClock(datetime.now(UTC)),
            )  # fmt: skip
    finally:
        await conn.close()


async def verify_cli(path: Path, *extra: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "deliberate", "verify", str(path), *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    return process.returncode or 0, out.decode() + err.decode()


async def test_a_coalition_across_three_nodes(node_factory: Any, tmp_path: Path) -> None:
    ves, vmt, sjl = [await start(node_factory, name) for name in ("ves", "vmt", "sjl")]
    rosa, elena, juana = await member(ves, "rosa"), await member(vmt, "elena"), await member(sjl, "juana")
    orgs = {
        "ves": await organization(ves, rosa, "Comedor Santa Rosa"),
        "vmt": await organization(vmt, elena, "Vaso de Leche Las Flores"),
        "sjl": await organization(sjl, juana, "Junta Vecinal Nana"),
    }
    response = await rosa.submit("/coalitions", CHARTER | {"organization": orgs["ves"]}, form_page="/coalitions/new")
    path = response.url.path
    assert response.status == 200 and path == "/coalitions/red-de-comedores-de-lima", rosa.last_html

    # Invitations by WebFinger handle; each invited node keeps a copy of the coalition and shows the invitation.
    for node, key in ((vmt, "vmt"), (sjl, "sjl")):
        response = await rosa.submit(
            f"{path}/invite", {"organization": orgs["ves"], "invitee": f"{orgs[key]}@{host(node)}"}
        )
        assert response.status == 200 and response.url.path == path, rosa.last_html
    await settle(ves, vmt, sjl)
    remote_path = f"/coalitions/{GROUP}@{host(ves)}"
    # A forged acceptance: HTTP-signed by SJL's organization, but its proof is not by the organization's key.
    juana_org = await value(sjl, "SELECT id FROM organization WHERE slug = $1", orgs["sjl"])
    me, group_uri = f"{sjl.base_url}/o/{orgs['sjl']}", f"{ves.base_url}/f/{GROUP}"
    forged_accept = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v1"],
        "id": f"{sjl.base_url}/activities/forged-accept", "type": "Accept", "actor": me, "to": [group_uri],
        "object": {"type": "Invite", "actor": group_uri, "object": me, "target": group_uri},
    }  # fmt: skip
    forged_accept["proof"] = create_proof(
        forged_accept, private_key=ed25519.Ed25519PrivateKey.generate(), verification_method=f"{me}#ed25519-key",
        created=datetime.now(UTC),
    )  # fmt: skip
    await enqueue_forgery(sjl, forged_accept, Signer("organization", juana_org), ves)
    await settle(ves, vmt, sjl)
    assert "proof does not verify" in await value(
        ves, "SELECT error FROM inbox_activity WHERE activity_id = $1", forged_accept["id"]
    )
    assert [r["state"] for r in await sql(ves, "SELECT state FROM coalition_member ORDER BY id")] == [
        "member", "invited", "invited"
    ]  # fmt: skip
    for visitor, key in ((elena, "vmt"), (juana, "sjl")):
        await visitor.get("/coalitions")
        assert remote_path in visitor.last_html, visitor.last_html
        response = await visitor.submit(f"{remote_path}/accept", {"organization": orgs[key]}, form_page=remote_path)
        assert response.status == 200, visitor.last_html
    await settle(ves, vmt, sjl)
    states = await sql(ves, "SELECT state, acceptance IS NOT NULL AS signed FROM coalition_member ORDER BY id")
    assert [(r["state"], r["signed"]) for r in states] == [("member", False), ("member", True), ("member", True)]
    await rosa.get(path)
    assert f"<td>{host(vmt)}</td>" in rosa.last_html and f"<td>{host(sjl)}</td>" in rosa.last_html
    # The coalition is its forum's Group; joining made each member's node follow it, so their posts reach it.
    as2 = {"Accept": "application/activity+json"}
    group = await (await ves.visitor()).session.get(ves.base_url + path, headers=as2)
    assert (await group.json(content_type=None))["id"] == f"{ves.base_url}/f/{GROUP}"
    await elena.get(remote_path)
    # The member list, with each organization's district, is the same on a member's node as on the founding one.
    for name, node in (("Comedor Santa Rosa", ves), ("Junta Vecinal Nana", sjl)):
        assert re.search(rf"{name}</a></td>\s*<td>{re.escape(host(node))}</td>", elena.last_html), elena.last_html
    mirror = f"/f/{GROUP}@{host(ves)}"
    assert f'href="{mirror}"' in elena.last_html, elena.last_html
    response = await elena.submit(f"{mirror}/threads", {"title": "Reunión de la red", "body": "Nos vemos el sábado"},
                                  form_page=mirror)  # fmt: skip
    assert response.status == 200, elena.last_html
    await settle(ves, vmt, sjl)
    await rosa.get(f"/f/{GROUP}")
    assert "Reunión de la red" in rosa.last_html
    await juana.get(f"/f/{GROUP}@{host(ves)}")
    assert "Reunión de la red" in juana.last_html  # relayed by the Group to the third node (FEP-1b12)

    # A statement drafted on VES, signed on each node; published when the third organization signs.
    text = {"title": "Pronunciamiento", "body": "Pedimos agua potable para todos los comedores."}
    response = await rosa.submit(f"{path}/statements", {"organization": orgs["ves"], **text})
    statement = response.url.path
    await rosa.submit(f"{statement}/sign", {"organization": orgs["ves"]})
    await settle(ves, vmt, sjl)
    ap_id = ves.base_url + statement
    for visitor, node, key in ((elena, vmt, "vmt"), (juana, sjl, "sjl")):
        local_id = await value(node, "SELECT id FROM coalition_statement WHERE ap_id = $1", ap_id)
        assert local_id is not None
        response = await visitor.submit(f"{remote_path}/statements/{local_id}/sign", {"organization": orgs[key]})
        assert response.status == 200, visitor.last_html
        await settle(ves, vmt, sjl)
    for node in (ves, vmt, sjl):
        published = "SELECT published_at IS NOT NULL FROM coalition_statement WHERE title = 'Pronunciamiento'"
        assert await value(node, published), node.name
        assert await value(node, "SELECT count(*) FROM coalition_signature") == 3, node.name

    # Downloaded from a member's node, the statement checks offline, and against each signer's actor with --fetch.
    local_id = await value(sjl, "SELECT id FROM coalition_statement WHERE ap_id = $1", ap_id)
    download = await (await sjl.visitor()).session.get(f"{sjl.base_url}{remote_path}/statements/{local_id}/signed.json")
    document = json.loads(await download.text())
    (tmp_path / "statement.json").write_text(json.dumps(document), encoding="utf-8")
    code, out = await verify_cli(tmp_path / "statement.json")
    assert code == 0 and "3 of 3 proofs hold" in out, out
    code, out = await verify_cli(tmp_path / "statement.json", "--fetch", "--dev-allow-private-network")
    assert code == 0 and out.count("(key: fetched)") == 3, out

    # Forged signatures are refused everywhere. A second statement, signed on VES only:
    text = {"title": "Segundo", "body": "Pedimos también desagüe para los comedores."}
    response = await rosa.submit(f"{path}/statements", {"organization": orgs["ves"], **text})
    second = response.url.path
    await rosa.submit(f"{second}/sign", {"organization": orgs["ves"]})
    await settle(ves, vmt, sjl)
    signed = json.loads(await (await (await ves.visitor()).session.get(f"{ves.base_url}{second}/signed.json")).text())
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    forger = ed25519.Ed25519PrivateKey.generate()
    elena_key = f"{vmt.base_url}/o/{orgs['vmt']}#ed25519-key"
    juana_key = f"{sjl.base_url}/o/{orgs['sjl']}#ed25519-key"
    now = datetime.now(UTC)
    # (1) VES is sent a signature "by" VMT's organization, HTTP-signed by it, with a proof by another key.
    elena_org = await value(vmt, "SELECT id FROM organization WHERE slug = $1", orgs["vmt"])
    forged_add = {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{vmt.base_url}/activities/forged-add",
        "type": "Add", "actor": f"{vmt.base_url}/o/{orgs['vmt']}", "target": ves.base_url + second,
        "object": create_proof(unsigned, private_key=forger, verification_method=elena_key, created=now),
    }  # fmt: skip
    await enqueue_forgery(vmt, forged_add, Signer("organization", elena_org), ves)
    # (2) VMT and SJL are sent the statement by the coalition's Group with a forged proof for SJL's organization.
    forum = await value(ves, "SELECT forum_id FROM coalition")
    forged_set = signed | {
        "proof": [
            *signed["proof"],
            create_proof(unsigned, private_key=forger, verification_method=juana_key, created=now),
        ]
    }
    forged_announce = {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{ves.base_url}/activities/forged-announce",
        "type": "Announce", "actor": f"{ves.base_url}/f/{GROUP}", "object": forged_set, "published": now.isoformat(),
    }  # fmt: skip
    await enqueue_forgery(ves, forged_announce, Signer("group", forum), vmt, sjl)
    await settle(ves, vmt, sjl)
    refusal = "proof does not verify with this key"
    assert refusal in await value(ves, "SELECT error FROM inbox_activity WHERE activity_id = $1", forged_add["id"])
    for node in (vmt, sjl):
        error = await value(node, "SELECT error FROM inbox_activity WHERE activity_id = $1", forged_announce["id"])
        assert "a signature does not hold" in error and refusal in error, (node.name, error)
    for node in (ves, vmt, sjl):
        rows = await sql(node, "SELECT s.published_at, (SELECT count(*) FROM coalition_signature g "
                               "WHERE g.statement_id = s.id) AS n FROM coalition_statement s "
                               "WHERE s.title = 'Segundo'")  # fmt: skip
        assert [(r["published_at"], r["n"]) for r in rows] == [(None, 1)], node.name

    # The coalition's position on a budget project of VMT: sent there, shown there with its signers.
    conn = await vmt.connect()
    try:
        async with conn.transaction():
            budget = await voting_process(conn, FrozenClock(datetime.now(UTC)), residents=0)
    finally:
        await conn.close()
    project = budget.projects[0]
    target = f"{vmt.base_url}/b/{budget.process.slug}/p/{project.id}"
    response = await rosa.submit(f"{path}/endorse", {"organization": orgs["ves"], "target": target,
                                                      "statement_id": statement.rsplit("/", 1)[1]})  # fmt: skip
    assert response.status == 200 and response.url.path == path, rosa.last_html
    await settle(ves, vmt, sjl)
    await elena.get(f"/coalitions/positions?project={project.id}")
    assert "Red de Comedores de Lima" in elena.last_html and project.title in elena.last_html
    assert "Comedor Santa Rosa" in elena.last_html and "Junta Vecinal Nana" in elena.last_html
    # ...and on the project's own page, where the people who vote read about it.
    await elena.get(f"/b/{budget.process.slug}/p/{project.id}")
    assert 'id="coalition-positions"' in elena.last_html and "Red de Comedores de Lima" in elena.last_html

    # SJL's organization leaves; the founding node records it and keeps its past signature.
    response = await juana.submit(f"{remote_path}/leave", {"organization": orgs["sjl"]}, form_page=remote_path)
    assert response.status == 200, juana.last_html
    await settle(ves, vmt, sjl)
    assert [r["state"] for r in await sql(ves, "SELECT state FROM coalition_member ORDER BY id")] == [
        "member", "member", "left"
    ]  # fmt: skip
    assert await value(ves, "SELECT count(*) FROM coalition_signature") == 4  # three on the first, one on the second
    await elena.get(remote_path)
    left_on = re.escape(_catalogs()["es"].gettext("left on %(date)s").split("%")[0])
    assert re.search(rf"Junta Vecinal Nana</a></td>\s*<td>[^<]+</td>\s*<td>{left_on}", elena.last_html)
    errors = await sql(ves, "SELECT type, error FROM inbox_activity WHERE error IS NOT NULL ORDER BY id")
    assert [r["type"] for r in errors] == ["Accept", "Add"], errors  # only the forgeries were refused
    for node in (vmt, sjl):
        errors = await sql(node, "SELECT activity_id FROM inbox_activity WHERE error IS NOT NULL")
        assert [r["activity_id"] for r in errors] == [forged_announce["id"]], errors
