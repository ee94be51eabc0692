"""FEP-8b32 object integrity proofs with the W3C Data Integrity cryptosuite ``eddsa-jcs-2022``.

Create (VC-DI-EdDSA §3.3.1 Create Proof, §3.3.4–3.3.6):
  1. proof options = type ``DataIntegrityProof``, cryptosuite, created, verificationMethod, proofPurpose, and
     the document's ``@context`` copied in (VC-DI-EdDSA §3.3.1 step 2; FEP-8b32 requires it);
  2. proofConfig = JCS(proof options), transformed document = JCS(document without ``proof``) (RFC 8785);
  3. hashData = SHA-256(proofConfig) ‖ SHA-256(transformed document) — the proof-config hash comes first;
  4. proofValue = ``z`` + base58btc(Ed25519 signature over hashData).
Verify (§3.3.2) repeats 2–3 with the proof minus ``proofValue`` and checks the signature.

FEP-8b32: the proof's ``@context`` must equal the document's. A proof without one next to a document with one
is refused with ``ContextMismatch`` rather than quietly failing the signature check, so the cause is visible.

Proof sets (VC Data Integrity §2.1.1): ``proof`` may be a list, one proof per signer (a coalition statement
carries one per organisation). Each proof signs the document without any ``proof`` member and is verified on
its own; ``add_proof`` appends to an existing set. Chains (``previousProof``) are not supported and refused.

The caller resolves ``verificationMethod`` to a key (``multikey.assertion_method_key`` reads an actor) and
passes the creation time: this module does no I/O and reads no clock.
"""

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.crypto.errors import (
    ContextMismatch,
    KeyFormatError,
    MalformedSignature,
    SignatureMismatch,
    UnsupportedAlgorithm,
)
from federation.crypto.jcs import canonicalize
from federation.crypto.multikey import multibase_decode, multibase_encode

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
ASSERTION_METHOD = "assertionMethod"


def format_created(moment: datetime) -> str:
    """XML Schema dateTime in UTC with a ``Z``, second precision (VC Data Integrity §2.1 ``created``)."""
    if moment.tzinfo is None:
        raise ValueError("created must be an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unsecured(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document without its ``proof`` member: what every proof in a set signs."""
    return {key: value for key, value in document.items() if key != "proof"}


def hash_data(document: Mapping[str, Any], proof_options: Mapping[str, Any]) -> bytes:
    """VC-DI-EdDSA §3.3.5 Hashing: SHA-256(JCS(proof options)) ‖ SHA-256(JCS(document))."""
    proof_hash = hashlib.sha256(canonicalize(proof_options)).digest()
    document_hash = hashlib.sha256(canonicalize(unsecured(document))).digest()
    return proof_hash + document_hash


def create_proof(
    document: Mapping[str, Any],
    *,
    private_key: ed25519.Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
    proof_purpose: str = ASSERTION_METHOD,
) -> dict[str, Any]:
    """Return a new ``eddsa-jcs-2022`` proof over ``document`` (its existing proofs are not signed)."""
    options: dict[str, Any] = {}
    if "@context" in document:
        # VC-DI-EdDSA §3.3.1 step 2, FEP-8b32: the proof carries the document's @context.
        options["@context"] = document["@context"]
    options |= {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    stamp = format_created(created)
    signature = private_key.sign(hash_data(document, options | {"created": stamp}))
    # Key order follows the FEP-8b32 test vector so signed documents serialise like it; JCS ignores order.
    return options | {"proofValue": multibase_encode(signature), "created": stamp}


def add_proof(
    document: Mapping[str, Any],
    *,
    private_key: ed25519.Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
    proof_purpose: str = ASSERTION_METHOD,
) -> dict[str, Any]:
    """A copy of ``document`` with one more proof: a single proof stays an object, a second makes a set."""
    proof = create_proof(
        document,
        private_key=private_key,
        verification_method=verification_method,
        created=created,
        proof_purpose=proof_purpose,
    )
    existing = proofs_of(document) if "proof" in document else []
    return unsecured(document) | {"proof": [*existing, proof] if existing else proof}


def proofs_of(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The document's proof set as a list; raises ``MalformedSignature`` when there is none or it is not objects."""
    value = document.get("proof")
    candidates: list[object] = list(value) if isinstance(value, list) else [value]
    found = [proof for proof in candidates if isinstance(proof, Mapping)]
    if not found or len(found) != len(candidates):
        raise MalformedSignature("the document has no proof object or list of proof objects")
    return found


def verify_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    public_key: ed25519.Ed25519PublicKey,
    *,
    expected_purpose: str = ASSERTION_METHOD,
) -> None:
    """Verify one proof of ``document`` with ``public_key``; raise a ``SignatureError`` subclass if it fails."""
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise UnsupportedAlgorithm(f"only {PROOF_TYPE} with cryptosuite {CRYPTOSUITE} is accepted")
    if proof.get("proofPurpose") != expected_purpose:
        raise SignatureMismatch(f"the proof's purpose is not {expected_purpose}")
    if "previousProof" in proof:
        raise UnsupportedAlgorithm("proof chains (previousProof) are not supported")
    for name in ("verificationMethod", "created", "proofValue"):
        if not isinstance(proof.get(name), str):
            raise MalformedSignature(f"the proof has no string {name}")
    _check_context(document, proof)
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    try:
        signature = multibase_decode(proof["proofValue"])
    except KeyFormatError as exc:
        raise MalformedSignature(f"proofValue is not multibase base58btc: {exc.detail}") from exc
    if len(signature) != 64:
        raise MalformedSignature("proofValue is not a 64-byte Ed25519 signature")
    try:
        public_key.verify(signature, hash_data(document, options))
    except InvalidSignature as exc:
        raise SignatureMismatch("the eddsa-jcs-2022 proof does not verify with this key") from exc


def verify_proof_set(
    document: Mapping[str, Any],
    resolve_key: Callable[[str], ed25519.Ed25519PublicKey],
    *,
    expected_purpose: str = ASSERTION_METHOD,
) -> list[str]:
    """Verify every proof independently; return their verification methods in order, or raise on the first failure."""
    methods = []
    for proof in proofs_of(document):
        method = proof.get("verificationMethod")
        if not isinstance(method, str):
            raise MalformedSignature("the proof has no verificationMethod")
        verify_proof(document, proof, resolve_key(method), expected_purpose=expected_purpose)
        methods.append(method)
    return methods


def _check_context(document: Mapping[str, Any], proof: Mapping[str, Any]) -> None:
    # FEP-8b32 "Proof verification": the proof's @context, when the document has one, must be the same.
    if "@context" not in document and "@context" not in proof:
        return
    if proof.get("@context") != document.get("@context"):
        raise ContextMismatch("the proof's @context is missing or differs from the document's")
