"""draft-cavage-http-signatures-12: the ``Signature:`` header Mastodon and most of the Fediverse speak.

Signing string (draft-cavage-12 §2.3): one line per name in ``headers``, lower-cased, joined by ``\\n`` with
no trailing newline: ``(request-target)`` is the lower-cased method, a space and the origin-form target;
``(created)``/``(expires)`` are the integer parameters; a header is ``name: v1, v2`` with every instance's
value trimmed and joined by ``, `` in message order. A listed header that is absent is an error.
§2.3 also makes ``(created)``/``(expires)`` an error with ``rsa-*``/``hmac-*``/``ecdsa-*`` algorithms, which
is why Appendix C.3 cannot be a positive test.

When ``headers`` is absent, draft-cavage-12 §2.1.6 says ``(created)``, but its own Appendix C.1 and every
deployed implementation sign ``date``; we follow the deployed behaviour. Inboxes should pass ``required``
(e.g. ``(request-target) host date digest``) so a signature over ``date`` alone is refused.

Algorithms: ``rsa-sha256`` is RSASSA-PKCS1-v1_5 with SHA-256 (§2.1.3 registry). ``hs2019`` takes its
algorithm from the key (§2.1.3): RSA keys use PKCS1-v1_5/SHA-256 as Mastodon does, Ed25519 keys Ed25519.
Everything else (``rsa-sha1``, ``hmac-*``, ``ecdsa-*``) is refused.

``Digest`` (RFC 3230 §4.3.2, ``SHA-256=`` base64) binds the body; check it before trusting a signature over
the ``digest`` header. This module is pure: the caller supplies keys and the current time.
"""

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from federation.crypto.errors import (
    DigestMismatch,
    MalformedSignature,
    MissingComponent,
    SignatureExpired,
    SignatureMismatch,
    UnsupportedAlgorithm,
)
from federation.crypto.message import HttpMessage
from federation.crypto.multikey import PrivateKey, PublicKey

ALGORITHMS = ("rsa-sha256", "hs2019")
DEFAULT_HEADERS = ("date",)
# draft-cavage-12 §2.1: auth-param = token "=" ( token / quoted-string ), separated by commas.
_PARAM = re.compile(r'\s*([A-Za-z]+)=(?:"([^"\\]*)"|([0-9]+))\s*(?:,|$)')


@dataclass(frozen=True, slots=True)
class CavageSignature:
    """The parameters of one ``Signature`` header (draft-cavage-12 §2.1)."""

    key_id: str
    signature: bytes
    algorithm: str = "hs2019"
    headers: tuple[str, ...] = DEFAULT_HEADERS
    created: int | None = None
    expires: int | None = None


def parse_signature_header(value: str) -> CavageSignature:
    """Parse a ``Signature`` value (or ``Authorization: Signature …``); raise ``MalformedSignature``."""
    text = value.strip()
    if text[:10].lower() == "signature ":
        text = text[10:]
    params: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = _PARAM.match(text, position)
        if match is None or match.end() == position:
            raise MalformedSignature(f"unparseable Signature parameters at offset {position}")
        name, quoted, number = match.group(1), match.group(2), match.group(3)
        if name in params:
            raise MalformedSignature(f"parameter {name} appears twice")
        params[name] = quoted if quoted is not None else number
        position = match.end()
    if not params.get("keyId") or "signature" not in params:
        raise MalformedSignature("keyId and signature are required (draft-cavage-12 §2.1.1, §2.1.4)")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except binascii.Error as exc:
        raise MalformedSignature("signature is not base64") from exc
    headers = tuple(params["headers"].lower().split()) if "headers" in params else DEFAULT_HEADERS
    if not headers or len(set(headers)) != len(headers):
        raise MalformedSignature("headers is empty or names a header twice")
    return CavageSignature(
        key_id=params["keyId"],
        signature=signature,
        algorithm=params.get("algorithm", "hs2019").lower(),
        headers=headers,
        created=_integer(params, "created"),
        expires=_integer(params, "expires"),
    )


def serialize_signature_header(signature: CavageSignature) -> str:
    parts = [f'keyId="{signature.key_id}"', f'algorithm="{signature.algorithm}"']
    if signature.created is not None:
        parts.append(f"created={signature.created}")
    if signature.expires is not None:
        parts.append(f"expires={signature.expires}")
    if signature.headers != DEFAULT_HEADERS:
        parts.append(f'headers="{" ".join(signature.headers)}"')
    parts.append(f'signature="{base64.b64encode(signature.signature).decode()}"')
    return ",".join(parts)


def signing_string(
    message: HttpMessage,
    headers: Sequence[str],
    *,
    algorithm: str = "hs2019",
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """Build the draft-cavage-12 §2.3 signing string; raise ``MissingComponent`` or ``MalformedSignature``."""
    lines = []
    for raw_name in headers:
        name = raw_name.lower()
        if name == "(request-target)":
            lines.append(f"{name}: {message.require_method().lower()} {message.request_target()}")
        elif name in ("(created)", "(expires)"):
            # draft-cavage-12 §2.3: these pseudo-headers are an error with rsa, hmac and ecdsa algorithms.
            if algorithm.startswith(("rsa", "hmac", "ecdsa")):
                raise MalformedSignature(f"{name} cannot be signed with algorithm {algorithm}")
            stamp = created if name == "(created)" else expires
            if stamp is None:
                raise MalformedSignature(f"{name} is listed but the parameter is missing")
            lines.append(f"{name}: {stamp}")
        else:
            values = message.header_values(name)
            if not values:
                raise MissingComponent(f"the signed header {name} is absent")
            lines.append(f"{name}: {', '.join(value.strip() for value in values)}")
    return "\n".join(lines)


def sign_request(
    message: HttpMessage,
    private_key: PrivateKey,
    *,
    key_id: str,
    headers: Sequence[str] = ("(request-target)", "host", "date", "digest"),
    algorithm: str = "rsa-sha256",
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """Return the ``Signature`` header value for ``message``."""
    names = tuple(name.lower() for name in headers)
    text = signing_string(message, names, algorithm=algorithm, created=created, expires=expires)
    signature = sign_string(text, private_key, algorithm)
    return serialize_signature_header(
        CavageSignature(key_id, signature, algorithm=algorithm, headers=names, created=created, expires=expires)
    )


def verify_request(
    message: HttpMessage,
    public_key: PublicKey,
    *,
    now: int,
    required: Sequence[str] = (),
) -> CavageSignature:
    """Verify the message's ``Signature`` header; return its parameters or raise a ``SignatureError``."""
    values = message.header_values("signature") or message.header_values("authorization")
    if len(values) != 1:
        raise MalformedSignature("expected exactly one Signature (or Authorization: Signature) header")
    parsed = parse_signature_header(values[0])
    missing = [name for name in required if name.lower() not in parsed.headers]
    if missing:
        raise MissingComponent(f"the signature does not cover {', '.join(missing)}")
    if parsed.expires is not None and now > parsed.expires:
        raise SignatureExpired("the signature has expired")
    text = signing_string(
        message, parsed.headers, algorithm=parsed.algorithm, created=parsed.created, expires=parsed.expires
    )
    verify_string(text, parsed.signature, public_key, parsed.algorithm)
    return parsed


def sign_string(text: str, private_key: PrivateKey, algorithm: str) -> bytes:
    _check_algorithm(algorithm, private_key.public_key())
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    return private_key.sign(text.encode())


def verify_string(text: str, signature: bytes, public_key: PublicKey, algorithm: str) -> None:
    """Verify a signature over an already built signing string; raise ``SignatureMismatch``."""
    _check_algorithm(algorithm, public_key)
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, text.encode(), padding.PKCS1v15(), hashes.SHA256())
        else:
            public_key.verify(signature, text.encode())
    except InvalidSignature as exc:
        raise SignatureMismatch("the HTTP signature does not verify with this key") from exc


def digest_header(body: bytes) -> str:
    """RFC 3230 ``Digest`` value for a body: ``SHA-256=`` base64 (RFC 5843)."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def verify_digest(value: str, body: bytes) -> None:
    """Check a ``Digest`` header against the body; only ``SHA-256`` is trusted (RFC 3230 §4.3.2 list)."""
    for item in value.split(","):
        algorithm, separator, encoded = item.strip().partition("=")
        if not separator:
            raise MalformedSignature("Digest entries must be algorithm=value")
        if algorithm.lower() == "sha-256":
            expected = base64.b64encode(hashlib.sha256(body).digest()).decode()
            if not hmac.compare_digest(encoded.strip(), expected):
                raise DigestMismatch("the Digest header does not match the body")
            return
    raise UnsupportedAlgorithm("the Digest header has no SHA-256 value")


def _check_algorithm(algorithm: str, key: PublicKey) -> None:
    if algorithm == "rsa-sha256" and isinstance(key, rsa.RSAPublicKey):
        return
    if algorithm == "hs2019" and isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        return
    raise UnsupportedAlgorithm(f"algorithm {algorithm!r} is not accepted with a {type(key).__name__}")


def _integer(params: dict[str, str], name: str) -> int | None:
    if name not in params:
        return None
    if not params[name].isdigit():
        raise MalformedSignature(f"{name} must be an integer (draft-cavage-12 §2.1.5)")
    return int(params[name])
