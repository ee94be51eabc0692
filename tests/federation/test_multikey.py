import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation.crypto import multikey
from federation.crypto.errors import KeyFormatError
from tests.federation.vectors import VECTORS

KEY_PAIR = json.loads((VECTORS / "vc-di-eddsa" / "keyPair.json").read_text())
ACTOR = json.loads((VECTORS / "fep-8b32" / "actor.json").read_text())
RFC9421_KEYS = VECTORS / "rfc9421" / "keys"


def test_the_w3c_private_multikey_yields_the_w3c_public_multikey() -> None:
    private = multikey.ed25519_private_key_from_multibase(KEY_PAIR["privateKeyMultibase"])
    assert multikey.ed25519_public_key_to_multibase(private.public_key()) == KEY_PAIR["publicKeyMultibase"]


def test_a_private_multikey_round_trips() -> None:
    private = multikey.ed25519_private_key_from_multibase(KEY_PAIR["privateKeyMultibase"])
    assert multikey.ed25519_private_key_to_multibase(private) == KEY_PAIR["privateKeyMultibase"]


def test_a_public_multikey_round_trips_through_a_key_object() -> None:
    key = multikey.ed25519_public_key_from_multibase(KEY_PAIR["publicKeyMultibase"])
    assert multikey.ed25519_public_key_to_multibase(key) == KEY_PAIR["publicKeyMultibase"]


def test_base58btc_keeps_leading_zero_bytes() -> None:
    data = b"\0\0\x01\xff"
    assert multikey.base58btc_decode(multikey.base58btc_encode(data)) == data


@pytest.mark.parametrize(
    "text",
    [
        "",
        "m7QAAAA",
        "z0OIl",
        "z" + multikey.base58btc_encode(b"\xed\x01" + b"\1" * 31),
        KEY_PAIR["privateKeyMultibase"],
    ],
)
def test_a_value_that_is_not_a_base58btc_ed25519_public_key_is_refused(text: str) -> None:
    with pytest.raises(KeyFormatError):
        multikey.ed25519_public_key_from_multibase(text)


def test_the_actors_assertion_method_yields_its_multikey() -> None:
    key = multikey.assertion_method_key(ACTOR, "https://server.example/users/alice#ed25519-key")
    assert multikey.ed25519_public_key_to_multibase(key) == KEY_PAIR["publicKeyMultibase"]


def test_a_key_id_absent_from_assertion_method_is_refused() -> None:
    with pytest.raises(KeyFormatError):
        multikey.assertion_method_key(ACTOR, "https://server.example/users/alice#main-key")


def test_a_multikey_controlled_by_another_actor_is_refused() -> None:
    forged = ACTOR | {"id": "https://evil.example/users/mallory"}
    with pytest.raises(KeyFormatError):
        multikey.assertion_method_key(forged, "https://server.example/users/alice#ed25519-key")


def test_the_multikey_document_lists_the_key_like_the_fep_actor() -> None:
    key = multikey.ed25519_public_key_from_multibase(KEY_PAIR["publicKeyMultibase"])
    method = ACTOR["assertionMethod"][0]
    assert multikey.multikey_document(key_id=method["id"], controller=method["controller"], key=key) == method


def test_an_rsa_pkcs1_public_pem_loads_and_exports_as_spki() -> None:
    key = multikey.load_public_key_pem((RFC9421_KEYS / "test-key-rsa.pub.pkcs1.pem").read_text())
    assert isinstance(key, rsa.RSAPublicKey)
    assert multikey.public_key_to_pem(key).startswith("-----BEGIN PUBLIC KEY-----")


def test_rsa_and_ed25519_private_pems_round_trip() -> None:
    for name in ("test-key-rsa.priv.pkcs1.pem", "test-key-ed25519.priv.pkcs8.pem"):
        key = multikey.load_private_key_pem((RFC9421_KEYS / name).read_bytes())
        again = multikey.load_private_key_pem(multikey.private_key_to_pem(key))
        assert multikey.public_key_to_pem(again.public_key()) == multikey.public_key_to_pem(key.public_key())


def test_an_ed25519_public_pem_loads_as_an_ed25519_key() -> None:
    key = multikey.load_public_key_pem((RFC9421_KEYS / "test-key-ed25519.pub.spki.pem").read_text())
    assert isinstance(key, ed25519.Ed25519PublicKey)


def test_a_p256_pem_is_not_an_accepted_actor_key() -> None:
    pem = (RFC9421_KEYS / "test-key-ecc-p256.pub.spki.pem").read_text()
    with pytest.raises(KeyFormatError):
        multikey.load_public_key_pem(pem)


def test_garbage_pem_is_refused_with_a_typed_error() -> None:
    with pytest.raises(KeyFormatError) as caught:
        multikey.load_public_key_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    assert caught.value.code == "key_malformed"
