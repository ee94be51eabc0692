"""Coalition statements as signed documents: what each member organization's FEP-8b32 proof signs, and how a proof
set is checked.

The document is fixed at the first signature. Besides the text it names the member organizations that may sign it,
each with the Ed25519 Multikey of its ``assertionMethod`` (``signers``), so a downloaded statement can be checked
offline; each signing organization adds one ``eddsa-jcs-2022`` proof (a proof set, VC Data Integrity §2.1.1). A key
embedded in the document says who claims to hold it; only fetching the organization's actor (``--fetch``) shows
that its node agrees.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric import ed25519

from deliberate.clock import Clock
from deliberate.coalitions.model import Coalition, CoalitionMember, Statement
from deliberate.peers import service as peers
from deliberate.peers.service import Signer
from federation import identity
from federation.crypto.errors import KeyFormatError, SignatureError
from federation.crypto.multikey import ed25519_public_key_from_multibase, multikey_document
from federation.crypto.proofs import create_proof, proofs_of, verify_proof

STATEMENT_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v1"]


def coalition_uri(base_url: str, coalition: Coalition) -> str:
    """The coalition's Group actor: on its founding node, the Group of the coalition's forum (FEP-1b12 relays its
    members' posts; its keys sign what the coalition sends)."""
    return coalition.ap_id or f"{base_url}/f/{coalition.forum_slug}"


def statement_uri(base_url: str, coalition: Coalition, statement: Statement) -> str:
    return statement.ap_id or f"{base_url}/coalitions/{coalition.slug}/statements/{statement.id}"


def statement_document(
    base_url: str, coalition: Coalition, statement: Statement, signers: list[dict[str, Any]]
) -> dict[str, Any]:
    """The unsigned statement: every proof of the set signs exactly this."""
    group = coalition_uri(base_url, coalition)
    return {
        "@context": STATEMENT_CONTEXT,
        "id": statement_uri(base_url, coalition, statement),
        "type": "Note",
        "name": statement.title,
        "content": statement.body,
        "mediaType": "text/plain",
        "attributedTo": group,
        "context": group,
        "audience": group,
        "signers": signers,
    }


@dataclass
class StatementProver:
    """The domain's `Prover`: builds the document from the members' keys and signs with an organization's key."""

    conn: asyncpg.Connection
    base_url: str
    clock: Clock

    async def document(
        self, coalition: Coalition, statement: Statement, members: list[CoalitionMember]
    ) -> dict[str, Any]:
        signers = []
        for member in members:
            if member.organization_id is not None:
                ident = await identity.load(
                    self.conn, self.base_url, Signer("organization", member.organization_id), clock=self.clock
                )
                key = multikey_document(
                    key_id=ident.proof_key_id, controller=ident.actor, key=ident.ed25519_key.public_key()
                )
                signers.append(
                    {"id": ident.actor, "type": "Organization", "name": member.name, "assertionMethod": [key]}
                )
            elif member.remote_actor_id is not None:
                actor = await peers.actor_by_id(self.conn, member.remote_actor_id)
                if actor is not None:
                    keys = [key for key in actor.assertion_keys if key.get("controller", actor.uri) == actor.uri]
                    signers.append({"id": actor.uri, "type": "Organization", "name": member.name,
                                    "assertionMethod": [_multikey(actor.uri, key) for key in keys]})  # fmt: skip
        return statement_document(self.base_url, coalition, statement, signers)

    async def prove(self, document: Mapping[str, Any], organization_id: int) -> dict[str, Any]:
        ident = await identity.load(self.conn, self.base_url, Signer("organization", organization_id), clock=self.clock)
        return create_proof(
            document, private_key=ident.ed25519_key, verification_method=ident.proof_key_id, created=self.clock.now()
        )


def _multikey(controller: str, key: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": key.get("id"),
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": key.get("publicKeyMultibase"),
    }


def embedded_keys(document: Mapping[str, Any]) -> dict[str, tuple[str, ed25519.Ed25519PublicKey]]:
    """Key id → (signer's id, key) for every well-formed Multikey the document's signers list as their own."""
    found: dict[str, tuple[str, ed25519.Ed25519PublicKey]] = {}
    signers = document.get("signers")
    for signer in signers if isinstance(signers, list) else []:
        if not isinstance(signer, Mapping) or not isinstance(signer.get("id"), str):
            continue
        methods = signer.get("assertionMethod")
        for key in methods if isinstance(methods, list) else [methods]:
            if not isinstance(key, Mapping) or key.get("controller") != signer["id"]:
                continue
            key_id, multibase = key.get("id"), key.get("publicKeyMultibase")
            if not isinstance(key_id, str) or not isinstance(multibase, str) or not key_id.startswith(signer["id"]):
                continue
            try:
                found[key_id] = (signer["id"], ed25519_public_key_from_multibase(multibase))
            except KeyFormatError:
                continue
    return found


@dataclass(frozen=True)
class ProofCheck:
    verification_method: str
    valid: bool
    reason: str


def check_proofs(
    document: Mapping[str, Any], resolve_key: Callable[[str], ed25519.Ed25519PublicKey | None]
) -> list[ProofCheck]:
    """Each proof of the set checked on its own; a key `resolve_key` does not know makes that proof fail."""
    try:
        proofs = proofs_of(document)
    except SignatureError as exc:
        return [ProofCheck("", False, exc.detail)]
    results = []
    for proof in proofs:
        method = proof.get("verificationMethod")
        if not isinstance(method, str):
            results.append(ProofCheck("", False, "the proof has no verificationMethod"))
            continue
        key = resolve_key(method)
        if key is None:
            results.append(ProofCheck(method, False, "no key known for this signer"))
            continue
        try:
            verify_proof(document, proof, key)
        except SignatureError as exc:
            results.append(ProofCheck(method, False, exc.detail))
        else:
            results.append(ProofCheck(method, True, "the proof holds"))
    return results


def verify_remote_proof(
    document: Mapping[str, Any], proof: Mapping[str, Any], signer_uri: str, assertion_keys: list[dict[str, Any]]
) -> None:
    """A proof sent by a member organization of another node must be made with a key its actor lists; raises
    ``SignatureError`` otherwise."""
    method = proof.get("verificationMethod")
    for key in assertion_keys:
        if key.get("id") == method and key.get("controller", signer_uri) == signer_uri:
            multibase = key.get("publicKeyMultibase")
            if not isinstance(multibase, str):
                break
            verify_proof(document, proof, ed25519_public_key_from_multibase(multibase))
            return
    raise KeyFormatError(f"{method!r} is not a key of {signer_uri}")
