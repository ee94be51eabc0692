"""`deliberate pb verify CHAIN.json`: a downloaded chain is checked and counted again offline, with the same
winners as the node published; a changed ballot, another signing key or an unknown receipt is reported."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from deliberate import cli
from deliberate.budgets import publishing
from deliberate.budgets.chain_cli import run_verify
from federation.crypto.multikey import base58btc_encode
from tests.budgets.test_publishing import _published


def _run(path: Path, *, receipt: str = "", public_key: str = "", as_json: bool = True) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = argparse.Namespace(file=str(path), receipt=receipt, public_key=public_key, json=as_json)
    status = run_verify(args, out, err)
    return status, out.getvalue(), err.getvalue()


def _write(tmp_path: Path, document: dict[str, Any], name: str = "chain.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


async def test_a_downloaded_chain_verifies_and_recounts_to_the_published_winners(
    db: asyncpg.Connection, tmp_path: Path
) -> None:
    setup, receipts, document = await _published(db)
    process, rows = await publishing.published_results(db, slug=setup.process.slug)
    published = [r.project_id for r in sorted((r for r in rows if r.selected), key=lambda r: r.pick_order or 0)]
    path = _write(tmp_path, document)

    status, out, err = _run(path, receipt=receipts[2].display.lower().replace("-", " "))
    assert status == 0, err
    report = json.loads(out)
    assert report["verified"] and report["entries"] == 5 and report["public_key"] == document["public_key"]
    (zone,) = report["zones"]
    assert zone["id"] == process.zones[0].id and zone["selected"] == published
    assert report["receipt"]["choices"] == [setup.projects[2].id]  # the third voter chose c alone
    status, text, _ = _run(path, public_key=document["public_key"], as_json=False)
    assert status == 0 and "chain verified: 5 ballots" in text
    assert all(p.title in text for p in setup.projects if p.id in published)


async def test_a_changed_ballot_another_key_or_an_unknown_receipt_is_reported(
    db: asyncpg.Connection, tmp_path: Path
) -> None:
    _, receipts, document = await _published(db)
    changed = json.loads(json.dumps(document))
    changed["entries"][1]["choices"] = [*reversed(changed["entries"][1]["choices"]), 0]
    status, _, err = _run(_write(tmp_path, changed, "changed.json"))
    assert status == 1 and "entry 2" in err and "does not verify" in err

    path = _write(tmp_path, document)
    status, _, err = _run(path, public_key="A" * 43)
    assert status == 1 and "not the one given" in err
    other = "".join("Z" if ch != "Z" else "Y" for ch in receipts[0].code)  # a well-formed code nobody was given
    status, _, err = _run(path, receipt=other)
    assert status == 1 and "no ballot" in err
    status, _, err = _run(path, receipt="not a code")
    assert status == 2

    (tmp_path / "broken.json").write_text("{")
    assert _run(tmp_path / "broken.json")[0] == 2
    assert _run(_write(tmp_path, {"format": "something else"}, "other.json"))[0] == 2
    assert _run(_write(tmp_path, {"format": document["format"]}, "empty.json"))[0] == 2


async def test_the_command_takes_the_node_key_as_its_actor_publishes_it(
    db: asyncpg.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, document = await _published(db)
    path = _write(tmp_path, document)
    raw = publishing.from_b64url(document["public_key"])
    multikey = base58btc_encode(b"\xed\x01" + raw)
    assert cli.main(["pb", "verify", str(path), "--public-key", "z" + multikey, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verified"]
    other = "z" + base58btc_encode(b"\xed\x01" + bytes(32))
    assert cli.main(["pb", "verify", str(path), "--public-key", other]) == 1
