"""`deliberate verify FILE.json` on statements produced by the node: offline with the embedded keys or a keys file,
a tampered text, a forged proof, a proof by a key nobody embedded, and unusable files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from deliberate.cli import main
from deliberate.coalitions import service as coalitions
from federation.coalitions import StatementProver
from federation.crypto.multikey import multikey_document
from federation.crypto.proofs import create_proof, unsecured
from tests.coalitions.test_service import BASE, STATEMENT, coalition_of_three
from tests.db.test_organizations_service import CLOCK


async def signed_statement(db: asyncpg.Connection) -> dict[str, Any]:
    coalition, admins, slugs = await coalition_of_three(db)
    draft = await coalitions.draft_statement(
        db, clock=CLOCK, actor=admins[0], slug=coalition.slug, organization_slug=slugs[0], data=STATEMENT
    )
    for admin, slug in zip(admins, slugs, strict=True):
        statement = await coalitions.sign_statement(
            db, clock=CLOCK, actor=admin, slug=coalition.slug, statement_id=draft.id, organization_slug=slug,
            prover=StatementProver(db, BASE, CLOCK),
        )  # fmt: skip
    assert statement.published
    return coalitions.signed_document(statement)


def verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: dict[str, Any], *extra: str
) -> tuple[int, str]:
    path = tmp_path / "statement.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    code = main(["verify", str(path), *extra])
    return code, capsys.readouterr().out


async def test_a_statement_from_the_node_verifies_offline_signer_by_signer(
    db: asyncpg.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = await signed_statement(db)
    code, out = verify(tmp_path, capsys, document)
    assert code == 0, out
    signer_lines = [line for line in out.splitlines() if line.startswith("signer ")]
    assert len(signer_lines) == 3 and all(": valid" in line and "(key: embedded)" in line for line in signer_lines)
    assert f"signer {BASE}/o/comedor-santa-rosa#ed25519-key: valid" in out
    assert "3 of 3 proofs hold" in out
    assert "named in the statement as: Comedor Santa Rosa" in out


async def test_a_tampered_statement_fails_every_proof(
    db: asyncpg.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = await signed_statement(db)
    document["content"] = document["content"].replace("todos", "algunos")
    code, out = verify(tmp_path, capsys, document)
    assert code == 1 and out.count(": INVALID") == 3 and "0 of 3 proofs hold" in out


async def test_a_forged_proof_is_named_and_the_others_still_hold(
    db: asyncpg.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = await signed_statement(db)
    # Someone without the organization's key signs in its name: the proof is well formed but not by its key.
    forger = ed25519.Ed25519PrivateKey.generate()
    victim = f"{BASE}/o/vaso-de-leche-las-flores#ed25519-key"
    forged = create_proof(
        unsecured(document), private_key=forger, verification_method=victim, created=datetime(2026, 5, 1, tzinfo=UTC)
    )
    document["proof"] = [forged if p["verificationMethod"] == victim else p for p in document["proof"]]
    code, out = verify(tmp_path, capsys, document)
    assert code == 1, out
    assert f"signer {victim}: INVALID" in out and "2 of 3 proofs hold" in out
    # A proof by a key the document does not list (an outsider adding themselves) holds for nobody.
    outsider = create_proof(
        unsecured(document), private_key=forger, verification_method="https://otro.example/o/x#ed25519-key",
        created=datetime(2026, 5, 1, tzinfo=UTC),
    )  # fmt: skip
    document["proof"] = [p for p in document["proof"] if p["verificationMethod"] != victim] + [outsider]
    code, out = verify(tmp_path, capsys, document)
    assert code == 1 and "otro.example/o/x#ed25519-key: INVALID — no key known" in out


async def test_a_keys_file_replaces_the_embedded_keys(
    db: asyncpg.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = await signed_statement(db)
    signers = document["signers"]
    keys = [signer["assertionMethod"][0] for signer in signers[:2]]
    (tmp_path / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    code, out = verify(tmp_path, capsys, document, "--keys", str(tmp_path / "keys.json"))
    assert code == 1 and "2 of 3 proofs hold" in out and out.count("(key: keys file)") == 2
    # Embedded keys swapped for an attacker's do not help when the reader brings the real keys.
    attacker = ed25519.Ed25519PrivateKey.generate()
    method = keys[0]["id"]
    document["signers"][0]["assertionMethod"] = [
        multikey_document(key_id=method, controller=signers[0]["id"], key=attacker.public_key())
    ]
    code, out = verify(tmp_path, capsys, document)
    assert code == 1 and f"signer {method}: INVALID" in out


def test_an_unreadable_file_is_an_error_not_a_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "statement.json").write_text("{ not json", encoding="utf-8")
    assert main(["verify", str(tmp_path / "statement.json")]) == 2
    code, out = verify(tmp_path, capsys, {"id": "https://x.example/s/1", "type": "Note"})
    assert code == 1 and "0 of 1 proofs hold" in out
