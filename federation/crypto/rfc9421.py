"""RFC 9421 HTTP Message Signatures: signature base, ``Signature-Input``/``Signature`` fields, sign and verify.

Signature base (RFC 9421 §2.5): one line per covered component, ``"<identifier>": <value>``, then
``"@signature-params": <inner list>`` exactly as serialised in ``Signature-Input``; lines joined by ``\\n``, no
trailing newline. Components supported here are the ones ActivityPub traffic needs:

- HTTP fields (§2.1): values of every instance, trimmed, joined by ``, `` in message order;
- ``@method`` §2.2.1, ``@target-uri`` §2.2.2, ``@authority`` §2.2.3 (lower-cased, default port dropped),
  ``@scheme`` §2.2.4, ``@request-target`` §2.2.5, ``@path`` §2.2.6, ``@query`` §2.2.7 (``?`` alone when
  empty), ``@query-param;name=`` §2.2.8, ``@status`` §2.2.9;
- the ``req`` parameter (§2.4) to cover the request's components from a response.
The ``sf``, ``key``, ``bs`` and ``tr`` parameters are refused with ``UnsupportedAlgorithm`` rather than guessed.

Algorithms (§3.3): ``ed25519`` and ``rsa-v1_5-sha256`` sign and verify (deterministic), ``hmac-sha256`` too;
``rsa-pss-sha512`` (salt 64, §3.3.1) and ``ecdsa-p256-sha256`` (raw r‖s, §3.3.4) only verify. The verifier
chooses the algorithm from its key record; an ``alg`` parameter that disagrees is refused (§3.2 step 6).
``Content-Digest`` (RFC 9530 §2) helpers bind the body. Pure: the caller passes keys and the current time.
"""

import functools
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

from federation.crypto.errors import (
    DigestMismatch,
    MalformedSignature,
    MissingComponent,
    SignatureExpired,
    SignatureMismatch,
    UnsupportedAlgorithm,
)
from federation.crypto.message import HttpMessage
from federation.crypto.structured_fields import (
    BareItem,
    InnerList,
    Item,
    parse_dictionary,
    serialize_bare_item,
    serialize_inner_list,
    serialize_item,
    serialize_parameters,
)

SigningKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | bytes
VerifyingKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey | bytes
DERIVED = ("@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query", "@status")
_PARAM_ORDER = ("created", "keyid", "alg", "expires", "nonce", "tag")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class SignatureInput:
    """One ``Signature-Input`` member: covered components (sf-strings with parameters) and signature parameters."""

    components: tuple[Item, ...]
    params: tuple[tuple[str, BareItem], ...]
    # The serialized identifiers and the `@signature-params` line: made from the two immutable fields above by the
    # first `signature_base` that succeeds in serializing them, and kept with them, since the inbox keeps one input
    # for all the requests that carry the same `Signature-Input` text (federation/inbox.py `_signature_input`).
    _prepared: "tuple[tuple[str, ...], str] | None" = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def create(cls, components: Sequence[str | Item], **params: int | str | None) -> "SignatureInput":
        """Build from names (``"@authority"``) or items; parameters in the order RFC 9421's examples use."""
        unknown = set(params) - set(_PARAM_ORDER)
        if unknown:
            raise UnsupportedAlgorithm(f"unknown signature parameters {sorted(unknown)}")
        items = tuple(component if isinstance(component, Item) else Item(component) for component in components)
        ordered = tuple((name, value) for name in _PARAM_ORDER if (value := params.get(name)) is not None)
        return cls(items, ordered)

    def param(self, name: str) -> BareItem | None:
        return dict(self.params).get(name)

    def serialize(self) -> str:
        return serialize_inner_list(InnerList(self.components, self.params))


def parse_signature_fields(message: HttpMessage, label: str) -> tuple[SignatureInput, bytes]:
    """The labelled members of ``Signature-Input`` and ``Signature`` (RFC 9421 §4.1, §4.2)."""
    inputs = parse_dictionary(", ".join(message.header_values("signature-input")))
    signatures = parse_dictionary(", ".join(message.header_values("signature")))
    member, value = inputs.get(label), signatures.get(label)
    if member is None or value is None:
        raise MissingComponent(f"no signature labelled {label!r}")
    if not isinstance(member, InnerList) or not isinstance(value, Item) or not isinstance(value.value, bytes):
        raise MalformedSignature(f"signature {label!r} is not an inner list with a byte sequence")
    if any(not isinstance(item.value, str) for item in member.items):
        raise MalformedSignature("covered components must be strings")
    return SignatureInput(member.items, member.params), value.value


def signature_base(message: HttpMessage, signature_input: SignatureInput, *, request: HttpMessage | None = None) -> str:
    """RFC 9421 §2.5 signature base; raise ``MissingComponent`` when a covered component is absent."""
    components = signature_input.components
    prepared = signature_input._prepared
    if prepared is not None:
        identifiers, params_line = prepared
    else:
        identifiers, duplicate = _identifiers(components)
        if duplicate is not None:
            # As §2.5 reads, component by component: a value missing before the first component covered twice is
            # what fails.
            for component in components[:duplicate]:
                component_value(message, component, request=request)
            raise MalformedSignature(f"{identifiers[duplicate]} is covered twice (§2.5 step 2.1)")
        params_line = ""
    lines = [f"{identifier}: {component_value(message, component, request=request)}"
             for identifier, component in zip(identifiers, components, strict=True)]  # fmt: skip
    if prepared is None:
        params_line = _signature_params_line(identifiers, signature_input.params)
        object.__setattr__(signature_input, "_prepared", (identifiers, params_line))
    lines.append(params_line)
    return "\n".join(lines)


def _signature_params_line(identifiers: tuple[str, ...], params: tuple[tuple[str, BareItem], ...]) -> str:
    """The `@signature-params` line: `signature_input.serialize()`, reusing the identifiers serialized already.
    A peer's requests signed in the same second share it, so it is kept when every parameter is a plain `str` or
    `int`: between such values, equal keys serialize alike. A `bool` (or any other type) is never kept, as `True`
    and `1` compare and hash alike yet serialize as `;x` and `;x=1`."""
    for _, value in params:
        kind = value.__class__
        if kind is not str and kind is not int:
            return _serialize_signature_params_line(identifiers, params)
    return _kept_signature_params_line(identifiers, params)


def _serialize_signature_params_line(identifiers: tuple[str, ...], params: tuple[tuple[str, BareItem], ...]) -> str:
    return f'"@signature-params": ({" ".join(identifiers)}){serialize_parameters(params)}'


_kept_signature_params_line = functools.lru_cache(maxsize=256)(_serialize_signature_params_line)


def _identifiers(components: tuple[Item, ...]) -> tuple[tuple[str, ...], int | None]:
    """The covered components serialized (§2.5 step 2.1) and the position of the first one covered twice (None if
    none is): the same few lists cover every request a peer sends, so each list is serialized once. Only lists
    without parameters are kept: `("req", True)` and `("req", 1)` compare and hash alike, yet `;req` and `;req=1`
    serialize apart, so a kept `;req` would stand in for a `;req=1` and the signature base would be wrong."""
    if any(component.params for component in components):
        return _serialize_identifiers(components)
    return _kept_identifiers(components)


def _serialize_identifiers(components: tuple[Item, ...]) -> tuple[tuple[str, ...], int | None]:
    identifiers = tuple(serialize_item(component) for component in components)
    seen: set[str] = set()
    for position, identifier in enumerate(identifiers):
        if identifier in seen:
            return identifiers, position
        seen.add(identifier)
    return identifiers, None


_kept_identifiers = functools.lru_cache(maxsize=64)(_serialize_identifiers)


def component_value(message: HttpMessage, component: Item, *, request: HttpMessage | None = None) -> str:
    name = component.value
    if not component.params and name.__class__ is str:
        # What a peer covers on every request (`@method`, `@target-uri`, a field present once), read at once: the
        # same value the general path below gives, which handles everything else (and every refusal).
        if name == "@method":
            return message.require_method()
        if name == "@target-uri":
            return message.require_url()
        if name[:1] != "@" and name == name.lower():
            values = message.header_values(name)
            if len(values) == 1:
                return values[0].strip()
    if not isinstance(name, str) or name != name.lower():
        raise MalformedSignature(f"component name {name!r} must be a lower-case string")
    params = dict(component.params) if component.params else {}  # most components have none
    if params and (unsupported := set(params) - {"req", "name"}):
        raise UnsupportedAlgorithm(f"component parameters {sorted(unsupported)} are not supported")
    if params.get("req") is True:
        if request is None:
            raise MissingComponent(f"{name};req needs the request the response answers")
        message = request
    if name == "@query-param":
        wanted = params.get("name")
        if not isinstance(wanted, str):
            raise MalformedSignature("@query-param needs a name parameter")
        values = [value for key, value in parse_qsl(urlsplit(message.require_url()).query, True) if key == wanted]
        if len(values) != 1:
            raise MissingComponent(f"query parameter {wanted!r} must occur exactly once (§2.2.8)")
        return quote(values[0], safe="")
    if name.startswith("@"):
        return _derived(message, name)
    values = message.header_values(name)
    if not values:
        raise MissingComponent(f"the covered field {name} is absent")
    if len(values) == 1:
        return values[0].strip()
    return ", ".join(value.strip() for value in values)


def _derived(message: HttpMessage, name: str) -> str:
    if name == "@status":
        if message.status is None:
            raise MissingComponent("@status is only defined for responses")
        return f"{message.status:03d}"
    if name not in DERIVED:
        raise UnsupportedAlgorithm(f"derived component {name} is not supported")
    if name == "@method":
        return message.require_method()
    url = message.require_url()
    if name == "@target-uri":
        return url
    parts = urlsplit(url)
    if name == "@authority":
        host = (parts.hostname or "").lower()
        port = parts.port
        return host if port is None or _DEFAULT_PORTS.get(parts.scheme.lower()) == port else f"{host}:{port}"
    if name == "@scheme":
        return parts.scheme.lower()
    if name == "@request-target":
        return message.request_target()
    if name == "@path":
        return parts.path or "/"
    return f"?{parts.query}"  # @query


def sign(
    message: HttpMessage,
    signature_input: SignatureInput,
    key: SigningKey,
    *,
    label: str,
    alg: str,
    request: HttpMessage | None = None,
) -> tuple[str, str]:
    """Return the ``Signature-Input`` and ``Signature`` member values to add to ``message``."""
    _check_alg_param(signature_input, alg)
    base = signature_base(message, signature_input, request=request).encode()
    if alg == "ed25519" and isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(base)
    elif alg == "rsa-v1_5-sha256" and isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(base, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "hmac-sha256" and isinstance(key, bytes):
        signature = hmac.digest(key, base, "sha256")
    else:
        raise UnsupportedAlgorithm(f"cannot sign {alg} with a {type(key).__name__}")
    return f"{label}={signature_input.serialize()}", f"{label}={serialize_bare_item(signature)}"


def verify(
    message: HttpMessage,
    key: VerifyingKey,
    *,
    label: str,
    alg: str,
    now: int,
    request: HttpMessage | None = None,
    fields: tuple[SignatureInput, bytes] | None = None,
) -> SignatureInput:
    """Verify the labelled signature with ``key`` under ``alg``; return its input or raise a ``SignatureError``.
    ``fields`` is what ``parse_signature_fields(message, label)`` returned, for a caller that already parsed them."""
    signature_input, signature = fields if fields is not None else parse_signature_fields(message, label)
    _check_alg_param(signature_input, alg)
    expires = signature_input.param("expires")
    if isinstance(expires, int) and not isinstance(expires, bool) and now > expires:
        raise SignatureExpired(f"signature {label!r} has expired")
    base = signature_base(message, signature_input, request=request).encode()
    try:
        _verify_bytes(alg, key, signature, base)
    except InvalidSignature as exc:
        raise SignatureMismatch(f"signature {label!r} does not verify with this key") from exc
    return signature_input


def _verify_bytes(alg: str, key: VerifyingKey, signature: bytes, base: bytes) -> None:
    if alg == "ed25519" and isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, base)
    elif alg == "rsa-v1_5-sha256" and isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, base, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "rsa-pss-sha512" and isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, base, padding.PSS(padding.MGF1(hashes.SHA512()), 64), hashes.SHA512())
    elif alg == "ecdsa-p256-sha256" and isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1) or len(signature) != 64:
            raise MalformedSignature("ecdsa-p256-sha256 needs a P-256 key and a 64-byte r‖s signature")
        der = utils.encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))
        key.verify(der, base, ec.ECDSA(hashes.SHA256()))
    elif alg == "hmac-sha256" and isinstance(key, bytes):
        if not hmac.compare_digest(hmac.digest(key, base, "sha256"), signature):
            raise InvalidSignature
    else:
        raise UnsupportedAlgorithm(f"cannot verify {alg} with a {type(key).__name__}")


def _check_alg_param(signature_input: SignatureInput, alg: str) -> None:
    declared = signature_input.param("alg")
    if declared is not None and declared != alg:
        raise UnsupportedAlgorithm(f"the signature declares alg {declared!r}, the key is for {alg!r}")


def content_digest(body: bytes) -> str:
    """RFC 9530 ``Content-Digest`` value with sha-512."""
    return f"sha-512={serialize_bare_item(hashlib.sha512(body).digest())}"


def verify_content_digest(value: str, body: bytes) -> None:
    """Check the sha-512 or sha-256 member of a ``Content-Digest`` against the body (RFC 9530 §2)."""
    members = parse_dictionary(value)
    for name, function in (("sha-512", hashlib.sha512), ("sha-256", hashlib.sha256)):
        member = members.get(name)
        if isinstance(member, Item) and isinstance(member.value, bytes):
            if not hmac.compare_digest(member.value, function(body).digest()):
                raise DigestMismatch(f"the {name} Content-Digest does not match the body")
            return
    raise UnsupportedAlgorithm("Content-Digest has no sha-512 or sha-256 byte sequence")
