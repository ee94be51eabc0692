"""Key encodings: Ed25519 Multikey (FEP-521a, W3C Controlled Identifiers) and PEM for RSA and Ed25519.

An actor publishes its Ed25519 key as a ``Multikey`` in ``assertionMethod`` with ``publicKeyMultibase`` =
``z`` + base58btc(0xed 0x01 ‖ 32-byte key) (W3C Controlled Identifiers §2.2.2 Multikey; multicodec
``ed25519-pub`` 0xed as an unsigned varint). Private keys use multicodec ``ed25519-priv`` 0x1300 (varint
0x80 0x26) ‖ 32-byte seed, as in the VC-DI-EdDSA test vectors. RSA keys travel as PEM in
``publicKeyPem`` (draft-cavage-12 keys, what Mastodon publishes).

base58btc is the Bitcoin alphabet, written out below (about 30 lines) instead of adding a dependency.
Only RSA and Ed25519 are accepted from PEM: anything else is a ``KeyFormatError``.
"""

import functools
from collections.abc import Mapping

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation.crypto.errors import KeyFormatError

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: position for position, char in enumerate(_ALPHABET)}
# Multicodec varint prefixes.
ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"


def base58btc_encode(data: bytes) -> str:
    """Bitcoin base58: leading zero bytes become ``1``, the rest is the big-endian number in base 58."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_ALPHABET[remainder])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _INDEX:
            raise KeyFormatError(f"{char!r} is not a base58btc character")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    """Multibase base58btc: the ``z`` prefix then base58btc."""
    return "z" + base58btc_encode(data)


def multibase_decode(text: str) -> bytes:
    if not text.startswith("z") or len(text) < 2:
        raise KeyFormatError("only multibase base58btc ('z' prefix) is accepted")
    return base58btc_decode(text[1:])


def ed25519_public_key_to_multibase(key: ed25519.Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return multibase_encode(ED25519_PUB_PREFIX + raw)


def ed25519_public_key_from_multibase(text: str) -> ed25519.Ed25519PublicKey:
    data = multibase_decode(text)
    if not data.startswith(ED25519_PUB_PREFIX) or len(data) != 34:
        raise KeyFormatError("publicKeyMultibase is not a 32-byte ed25519-pub (0xed01) key")
    return ed25519.Ed25519PublicKey.from_public_bytes(data[2:])


def ed25519_private_key_to_multibase(key: ed25519.Ed25519PrivateKey) -> str:
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return multibase_encode(ED25519_PRIV_PREFIX + seed)


def ed25519_private_key_from_multibase(text: str) -> ed25519.Ed25519PrivateKey:
    data = multibase_decode(text)
    if not data.startswith(ED25519_PRIV_PREFIX) or len(data) != 34:
        raise KeyFormatError("privateKeyMultibase is not a 32-byte ed25519-priv (0x8026) seed")
    return ed25519.Ed25519PrivateKey.from_private_bytes(data[2:])


def multikey_document(*, key_id: str, controller: str, key: ed25519.Ed25519PublicKey) -> dict[str, str]:
    """The ``Multikey`` object an actor lists in ``assertionMethod`` (FEP-521a)."""
    return {
        "id": key_id,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": ed25519_public_key_to_multibase(key),
    }


def assertion_method_key(actor: Mapping[str, object], key_id: str) -> ed25519.Ed25519PublicKey:
    """The Ed25519 key ``key_id`` from the actor's ``assertionMethod``, controlled by that actor (FEP-521a)."""
    methods = actor.get("assertionMethod")
    entries = methods if isinstance(methods, list) else [methods]
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("id") == key_id:
            # FEP-521a: a key listed by an actor but controlled by someone else proves nothing about the actor.
            if entry.get("type") != "Multikey" or entry.get("controller") != actor.get("id"):
                raise KeyFormatError(f"{key_id} is not a Multikey controlled by {actor.get('id')}")
            multibase = entry.get("publicKeyMultibase")
            if not isinstance(multibase, str):
                raise KeyFormatError(f"{key_id} has no publicKeyMultibase")
            return ed25519_public_key_from_multibase(multibase)
    raise KeyFormatError(f"{key_id} is not in the actor's assertionMethod")


def load_public_key_pem(pem: str | bytes) -> PublicKey:
    """SPKI (``PUBLIC KEY``) or PKCS#1 (``RSA PUBLIC KEY``) PEM of an RSA or Ed25519 key."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise KeyFormatError(f"{type(key).__name__} keys are not accepted; use RSA or Ed25519")
    return key


def load_private_key_pem(pem: str | bytes, *, generated_here: bool = False) -> PrivateKey:
    """Unencrypted PKCS#8 or PKCS#1 PEM of an RSA or Ed25519 private key.

    `generated_here`: the key is one this node made (`deliberate.node.service`) and read back from its own database,
    so the RSA consistency checks, which cost about as much as 100 RSA signatures, are skipped: cryptography's
    documentation allows `unsafe_skip_rsa_key_validation` exactly for keys known to be good. Keys from files or
    elsewhere are checked."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(data, password=None, unsafe_skip_rsa_key_validation=generated_here)
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyFormatError(f"{type(key).__name__} keys are not accepted; use RSA or Ed25519")
    return key


@functools.lru_cache(maxsize=512)
def own_private_key(pem: str) -> PrivateKey:
    """One of the node's own keys (see `generated_here`), parsed once: a fan-out signs many requests with one key,
    and every fetch of an actor document derives its public keys. Keyed by the PEM text, so a rotated key is simply
    a new entry: the keys are read from the database on every use and a rotation by another process takes effect at
    once."""
    return load_private_key_pem(pem, generated_here=True)


def public_key_to_pem(key: PublicKey) -> str:
    """SPKI PEM, the form ActivityPub ``publicKeyPem`` uses."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def private_key_to_pem(key: PrivateKey) -> str:
    """Unencrypted PKCS#8 PEM; the caller decides how the secret is stored."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
