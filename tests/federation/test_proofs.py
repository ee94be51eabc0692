import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.crypto import proofs
from federation.crypto.errors import ContextMismatch, MalformedSignature, SignatureError, SignatureMismatch
from federation.crypto.jcs import canonicalize
from federation.crypto.multikey import (
    assertion_method_key,
    ed25519_private_key_from_multibase,
    ed25519_public_key_from_multibase,
    multibase_decode,
    multibase_encode,
)
from tests.federation.vectors import VECTORS

VC = VECTORS / "vc-di-eddsa"
JCS = VC / "eddsa-jcs-2022"
FEP = VECTORS / "fep-8b32"
KEY_PAIR = json.loads((VC / "keyPair.json").read_text())
PRIVATE_KEY = ed25519_private_key_from_multibase(KEY_PAIR["privateKeyMultibase"])
PUBLIC_KEY = ed25519_public_key_from_multibase(KEY_PAIR["publicKeyMultibase"])
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
ALICE_KEY = "https://server.example/users/alice#ed25519-key"


def load(path: Any) -> Any:
    return json.loads(path.read_text())


def vc_proof_options() -> dict[str, Any]:
    return dict(load(JCS / "proofConfigJCS.json"))


def signed_fep_document() -> dict[str, Any]:
    return dict(load(FEP / "signed-document.json"))


def test_the_unsigned_credential_canonicalises_to_the_w3c_form() -> None:
    assert canonicalize(load(VC / "unsigned.json")) == (JCS / "canonDocJCS.txt").read_bytes()


def test_the_proof_options_canonicalise_to_the_w3c_form() -> None:
    assert canonicalize(vc_proof_options()) == (JCS / "proofCanonJCS.txt").read_bytes()


def test_the_document_and_proof_hashes_match_the_w3c_values() -> None:
    assert hashlib.sha256(canonicalize(load(VC / "unsigned.json"))).hexdigest() == (JCS / "docHashJCS.txt").read_text()
    assert hashlib.sha256(canonicalize(vc_proof_options())).hexdigest() == (JCS / "proofHashJCS.txt").read_text()


def test_the_combined_hash_puts_the_proof_config_hash_first() -> None:
    combined = proofs.hash_data(load(VC / "unsigned.json"), vc_proof_options())
    assert combined.hex() == (JCS / "combinedHashJCS.txt").read_text()


def test_the_signature_and_proof_value_match_the_w3c_values() -> None:
    signature = PRIVATE_KEY.sign(proofs.hash_data(load(VC / "unsigned.json"), vc_proof_options()))
    assert signature.hex() == (JCS / "sigHexJCS.txt").read_text()
    assert multibase_encode(signature) == (JCS / "sigBTC58JCS.txt").read_text()


def test_creating_a_proof_reproduces_the_w3c_secured_credential() -> None:
    options = vc_proof_options()
    proof = proofs.create_proof(
        load(VC / "unsigned.json"),
        private_key=PRIVATE_KEY,
        verification_method=options["verificationMethod"],
        created=CREATED,
    )
    assert proof == load(JCS / "signedJCS.json")["proof"]


def test_the_w3c_secured_credential_verifies_with_its_key() -> None:
    document = load(JCS / "signedJCS.json")
    proofs.verify_proof(document, document["proof"], PUBLIC_KEY)


def test_signing_the_fep_create_reproduces_the_signed_document_byte_for_byte() -> None:
    signed = proofs.add_proof(
        load(FEP / "unsigned-document.json"), private_key=PRIVATE_KEY, verification_method=ALICE_KEY, created=CREATED
    )
    assert json.dumps(signed, indent=2) + "\n" == (FEP / "signed-document.json").read_text()


def test_the_fep_signed_document_verifies_with_the_actors_assertion_method() -> None:
    actor = load(FEP / "actor.json")
    methods = proofs.verify_proof_set(signed_fep_document(), lambda key_id: assertion_method_key(actor, key_id))
    assert methods == [ALICE_KEY]


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaf_paths(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaf_paths(item, (*path, index))]
    return [path]


def _tampered(document: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    old = parent[path[-1]]
    parent[path[-1]] = old + 1 if isinstance(old, float) else old[:-1] + ("A" if old[-1] != "A" else "B")
    return changed


@pytest.mark.parametrize("path", _leaf_paths(signed_fep_document()), ids=lambda path: ".".join(map(str, path)))
def test_changing_any_field_of_the_signed_document_fails_verification(path: tuple[Any, ...]) -> None:
    tampered = _tampered(signed_fep_document(), path)
    with pytest.raises(SignatureError):
        proofs.verify_proof(tampered, tampered["proof"], PUBLIC_KEY)


def test_removing_the_proofs_context_fails_verification() -> None:
    document = signed_fep_document()
    del document["proof"]["@context"]
    with pytest.raises(ContextMismatch):
        proofs.verify_proof(document, document["proof"], PUBLIC_KEY)


def test_a_proof_whose_context_differs_from_the_documents_fails_verification() -> None:
    document = signed_fep_document()
    document["proof"]["@context"] = ["https://www.w3.org/ns/activitystreams"]
    with pytest.raises(ContextMismatch):
        proofs.verify_proof(document, document["proof"], PUBLIC_KEY)


def test_without_the_context_check_the_signature_itself_also_breaks() -> None:
    document = signed_fep_document()
    options = {key: value for key, value in document["proof"].items() if key not in ("proofValue", "@context")}
    with pytest.raises(InvalidSignature):
        PUBLIC_KEY.verify(multibase_decode(document["proof"]["proofValue"]), proofs.hash_data(document, options))


def test_another_key_fails_verification() -> None:
    other = ed25519.Ed25519PrivateKey.from_private_bytes(b"\x07" * 32).public_key()
    document = signed_fep_document()
    with pytest.raises(SignatureMismatch):
        proofs.verify_proof(document, document["proof"], other)


def test_a_proof_value_that_is_not_base58btc_is_malformed() -> None:
    document = signed_fep_document()
    document["proof"]["proofValue"] = "z0OIl"
    with pytest.raises(MalformedSignature):
        proofs.verify_proof(document, document["proof"], PUBLIC_KEY)


def test_a_document_without_a_proof_is_malformed() -> None:
    with pytest.raises(MalformedSignature):
        proofs.verify_proof_set(load(FEP / "unsigned-document.json"), lambda key_id: PUBLIC_KEY)


def _two_organisation_statement() -> tuple[dict[str, Any], dict[str, ed25519.Ed25519PublicKey]]:
    keys = {
        f"https://org{n}.example/actor#ed25519-key": ed25519.Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)
        for n in (1, 2)
    }
    statement: dict[str, Any] = load(FEP / "unsigned-document.json")
    for key_id, private in keys.items():
        statement = proofs.add_proof(statement, private_key=private, verification_method=key_id, created=CREATED)
    return statement, {key_id: private.public_key() for key_id, private in keys.items()}


def test_a_proof_set_carries_one_independently_verified_proof_per_signer() -> None:
    statement, public_keys = _two_organisation_statement()
    assert isinstance(statement["proof"], list)
    assert proofs.verify_proof_set(statement, public_keys.__getitem__) == list(public_keys)


def test_one_forged_proof_in_a_set_fails_the_whole_set() -> None:
    statement, public_keys = _two_organisation_statement()
    statement["proof"][1]["proofValue"] = statement["proof"][0]["proofValue"]
    with pytest.raises(SignatureMismatch):
        proofs.verify_proof_set(statement, public_keys.__getitem__)


def test_a_proof_with_another_purpose_is_refused() -> None:
    document = signed_fep_document()
    with pytest.raises(SignatureMismatch):
        proofs.verify_proof(document, document["proof"], PUBLIC_KEY, expected_purpose="authentication")
