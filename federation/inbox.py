"""The inbox pipeline: what a signed POST must pass before anything it says is stored.

Order matters, and each step is cheaper than the next (ARCHITECTURE.md, "In from peers"):

1. The body is capped at 256 KiB before it is read (the web handler enforces `MAX_BODY`).
2. It must be a JSON object we can parse as an activity.
3. The sender's host must be heard (not blocked; in allow-list mode, allowed): a blocked host gets 403 and
   nothing it sent is stored, and we do not even fetch its key.
4. The HTTP signature must verify with the key of the actor named by the signature's key id, fetched by the
   hardened client and cached. draft-cavage must cover `(request-target) host date digest` (Mastodon's default
   covers only `date`, draft-cavage-12 Appendix C.1, which proves nothing about the body); RFC 9421 must cover
   `@method`, `@target-uri` and `content-digest` and carry `created`. A failure with a cached key re-fetches the
   actor once, so key rotation works.
5. The signer must be the activity's actor.
6. The signed digest (`Digest` or `Content-Digest`) must match the raw body.
7. The signature must be fresh: `Date` (cavage) or `created` (RFC 9421) at most one hour old and at most five
   minutes ahead of our clock. Older deliveries are refused; peers re-sign every retry, so this only stops replays.
8. The activity's id, and an embedded object's id for Create and Update, must be on the actor's host.
9. The activity id is recorded once (`INSERT … ON CONFLICT DO NOTHING`): a replay inside the window or a peer's
   retry is answered 202 and not processed again.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from deliberate.errors import ActivityRejected, DomainError, InstanceBlocked, SignatureRejected
from deliberate.peers.model import RemoteActor
from deliberate.peers.service import Incoming
from federation.crypto import cavage, rfc9421
from federation.crypto.errors import SignatureError
from federation.crypto.message import HttpMessage
from federation.crypto.structured_fields import InnerList, Item, parse_dictionary
from federation.fetch import FetchBudget, FetchError, FetchFailed
from federation.resolver import KnownActor, Resolver, host_of, known_actor
from schemas.activitypub import Activity, Post, UnsupportedDocument, parse_document

MAX_BODY = 256 * 1024
PAST_WINDOW = timedelta(hours=1)
FUTURE_WINDOW = timedelta(minutes=5)
CAVAGE_REQUIRED = ("(request-target)", "host", "date", "digest")
RFC9421_REQUIRED = ("@method", "@target-uri", "content-digest")
FETCHES_PER_ACTIVITY = 5


@dataclass(frozen=True)
class Accepted:
    activity_id: str
    actor: RemoteActor
    new: bool


class HeaderFields(Protocol):
    """A request's header fields as aiohttp keeps them (`CIMultiDictProxy`): `getall` gives every value of a field,
    in message order, its name compared case-insensitively; `items` every field, in message order."""

    def getall(self, key: str, default: list[str], /) -> list[str]: ...

    def items(self) -> Iterable[tuple[str, str]]: ...


class _IndexedMessage(HttpMessage):
    """The request, its fields looked up in the index the web server already built for them: the checks look up
    about seven fields, and `HttpMessage.header_values` scans and lower-cases every field each time. Same values,
    same order (RFC 9110 §5.1: field names compare case-insensitively; HTTP parsers accept only ASCII tokens as
    names, on which case-insensitive matching and `str.lower` agree). `headers`, the fields as a tuple, is made only
    if something asks for it: nothing on the inbox path does, since every lookup goes through `header_values`."""

    __slots__ = ("_fields",)
    _fields: HeaderFields

    def __init__(self, *, method: str, url: str, fields: HeaderFields) -> None:
        # Not `HttpMessage.__init__`: it would store the tuple of fields this class makes only when asked.
        setattr_ = object.__setattr__
        setattr_(self, "method", method)
        setattr_(self, "url", url)
        setattr_(self, "status", None)
        setattr_(self, "_fields", fields)

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        return tuple(self._fields.items())

    def header_values(self, name: str) -> list[str]:
        return self._fields.getall(name, [])


@dataclass(frozen=True, slots=True)
class _Signature:
    """The request's signature, its fields parsed once: `scheme` is "cavage" or the RFC 9421 label."""

    scheme: str
    key_id: str
    cavage: cavage.CavageSignature | None
    rfc9421: tuple[rfc9421.SignatureInput, bytes] | None = None


def _signature(message: HttpMessage) -> _Signature:
    """The signature named by the request's headers."""
    if inputs_values := message.header_values("signature-input"):
        label, keyid, signature_input = _signature_input(", ".join(inputs_values))
        # Parsed here once for `rfc9421.verify`; whatever is wrong with them is left for it to refuse, where it
        # always was, after the host check (step 3).
        fields = None
        if signature_input is not None:
            try:
                value = parse_dictionary(", ".join(message.header_values("signature"))).get(label)
            except SignatureError:
                value = None
            if isinstance(value, Item) and isinstance(value.value, bytes):
                fields = (signature_input, value.value)
        return _Signature(label, keyid, None, fields)
    values = message.header_values("signature")
    if len(values) != 1:
        raise SignatureRejected(reason="the request is not signed")
    parsed = cavage.parse_signature_header(values[0])
    return _Signature("cavage", parsed.key_id, parsed)


@functools.lru_cache(maxsize=256)
def _signature_input(text: str) -> tuple[str, str, rfc9421.SignatureInput | None]:
    """The one RFC 9421 signature a `Signature-Input` text declares: its label, its key id, and its covered
    components and parameters when they are an inner list of strings (else None, for `rfc9421.verify` to refuse).
    A peer's requests signed in the same second carry the same text, so each text is read once; what is kept is
    immutable. Refusals are raised, never kept."""
    inputs = parse_dictionary(text)
    if len(inputs) != 1:
        raise SignatureRejected(reason="exactly one RFC 9421 signature is accepted")
    label, member = next(iter(inputs.items()))
    keyid = dict(getattr(member, "params", ())).get("keyid")
    if not isinstance(keyid, str):
        raise SignatureRejected(reason="the RFC 9421 signature has no keyid")
    if isinstance(member, InnerList) and all(isinstance(item.value, str) for item in member.items):
        return label, keyid, rfc9421.SignatureInput(member.items, member.params)
    return label, keyid, None


@functools.lru_cache(maxsize=256)
def _date_seconds(value: str) -> int | None:
    """A `Date` header as a Unix time; concurrent deliveries mostly share the same few seconds, so each is parsed
    once."""
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError):
        return None


def _verify(message: HttpMessage, body: bytes, signature: _Signature, known: KnownActor, now: int) -> None:
    actor, key_id = known.actor, signature.key_id
    if signature.cavage is not None:
        if actor.public_key_pem is None or actor.key_id != key_id:
            raise SignatureRejected(reason=f"{key_id} is not the actor's key")
        key = known.main_key
        if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
            raise SignatureRejected(reason="unsupported key type")
        # What `cavage.verify_request` does, with the header already parsed.
        parsed = signature.cavage
        if missing := [name for name in CAVAGE_REQUIRED if name not in parsed.headers]:
            raise SignatureRejected(reason=f"the signature does not cover {', '.join(missing)}")
        if parsed.expires is not None and now > parsed.expires:
            raise SignatureRejected(reason="the signature has expired")
        text = cavage.signing_string(message, parsed.headers, algorithm=parsed.algorithm, created=parsed.created,
                                     expires=parsed.expires)  # fmt: skip
        cavage.verify_string(text, parsed.signature, key, parsed.algorithm)
        cavage.verify_digest(message.header_values("digest")[0], body)
        dates = message.header_values("date")
        created = _date_seconds(dates[0]) if dates else None
        if created is None:
            raise SignatureRejected(reason="the Date header is not a date")
    else:
        scheme = signature.scheme
        ed_key = known.assertion_keys.get(key_id)
        if isinstance(ed_key, ed25519.Ed25519PublicKey):
            verified = rfc9421.verify(message, ed_key, label=scheme, alg="ed25519", now=now, fields=signature.rfc9421)
        elif key_id == actor.key_id and actor.public_key_pem:
            rsa_key = known.main_key
            if not isinstance(rsa_key, rsa.RSAPublicKey):
                raise SignatureRejected(reason="unsupported key type")
            verified = rfc9421.verify(
                message, rsa_key, label=scheme, alg="rsa-v1_5-sha256", now=now, fields=signature.rfc9421
            )
        else:
            raise SignatureRejected(reason=f"{key_id} is not one of the actor's keys")
        covered = {str(item.value) for item in verified.components}
        if missing := [name for name in RFC9421_REQUIRED if name not in covered]:
            raise SignatureRejected(reason=f"the signature does not cover {', '.join(missing)}")
        rfc9421.verify_content_digest(message.header_values("content-digest")[0], body)
        stamp = verified.param("created")
        if not isinstance(stamp, int) or isinstance(stamp, bool):
            raise SignatureRejected(reason="the signature has no created time")
        created = stamp
    if created < now - PAST_WINDOW.total_seconds() or created > now + FUTURE_WINDOW.total_seconds():
        raise SignatureRejected(reason="the signature is too old or from the future")


def _same_origin(activity: Activity, actor_uri: str) -> None:
    host = host_of(actor_uri)
    if activity.id is None or host_of(activity.id) != host:
        raise ActivityRejected(reason="the activity id is not on the actor's server")
    embedded = activity.object if activity.type in ("Create", "Update") else None
    if isinstance(embedded, Post) and host_of(embedded.id) != host:
        raise ActivityRejected(reason="the object id is not on the actor's server")
    if activity.type == "Delete" and activity.object_id and host_of(activity.object_id) != host:
        raise ActivityRejected(reason="an actor can only delete what is on its own server")


def parse_body(body: bytes) -> tuple[dict[str, Any], Activity | None]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        # ValueError: JSONDecodeError, and an integer longer than Python converts (4,300 digits); RecursionError:
        # nesting deeper than the parser recurses. None of them is an activity, and none may become a 500.
        raise ActivityRejected(reason="the body is not JSON") from None
    try:
        parsed = parse_document(data)
    except UnsupportedDocument as exc:
        if isinstance(data, dict) and isinstance(data.get("type"), str) and "actor" in data and "id" in data:
            return data, None  # an activity type we have no use for (Lemmy's Dislike, Add…): 202, nothing kept
        raise ActivityRejected(reason=str(exc)) from None
    if not isinstance(parsed, Activity):
        raise ActivityRejected(reason="the body is not an activity")
    return data, parsed


async def accept(resolver: Resolver, *, method: str, url: str, headers: HeaderFields,
                 body: bytes) -> Accepted | None:  # fmt: skip
    """Run the pipeline; raises a typed DomainError (mapped to 400/401/403) when the request is refused; None when
    the activity is of a type this node does not use, or is a Delete by a gone actor this node never fetched
    (`_gone_signer`): answered 202 like Mastodon does, and not stored.

    With the signer kept in memory by this process (`Resolver.known`), steps 3 and 9 are one statement: the row is
    stored only if the host is heard at that instant. Any refusal of such a request first asks PostgreSQL whether the
    host is heard, so a blocked host gets 403 whatever else is wrong, exactly as when nothing is kept in memory."""
    data, activity = parse_body(body)
    if activity is None:
        return None
    message = _IndexedMessage(method=method, url=url, fields=headers)
    try:
        signature = _signature(message)
    except SignatureError as exc:
        raise SignatureRejected(reason=str(exc)) from None
    known = resolver.known(signature.key_id)
    try:
        return await _accept(resolver, message, body, data, activity, signature, known)
    except DomainError:
        if known is not None:
            await resolver.admit(known.actor.host)  # raises InstanceBlocked: the block decides, as in step 3
        raise


async def _accept(resolver: Resolver, message: HttpMessage, body: bytes, data: dict[str, Any], activity: Activity,
                  signature: _Signature, known: KnownActor | None) -> Accepted | None:  # fmt: skip
    budget = FetchBudget(FETCHES_PER_ACTIVITY)
    try:
        if known is None:
            known = await resolver.verifier(signature.key_id, budget=budget)
        now = int(resolver.clock.now().timestamp())
        try:
            _verify(message, body, signature, known, now)
        except (SignatureError, SignatureRejected):
            known = await resolver.verifier(signature.key_id, refresh=True, budget=budget)
            _verify(message, body, signature, known, now)
    except SignatureError as exc:
        raise SignatureRejected(reason=str(exc)) from None
    except FetchError as exc:
        if not (activity.type == "Delete" and isinstance(exc, FetchFailed) and exc.status == 410):
            raise SignatureRejected(reason=f"the signer's key could not be fetched: {exc}") from None
        gone = await _gone_signer(resolver, message, body, signature)
        if gone is None:
            return None
        known = gone
    actor = known.actor
    if actor.uri != activity.actor:
        raise SignatureRejected(reason="the signer is not the activity's actor")
    _same_origin(activity, actor.uri)
    assert activity.id is not None
    heard, row = await resolver.writer.store(
        Incoming(host=actor.host, activity_id=activity.id, actor_uri=actor.uri, type=activity.type,
                 body=_json_text(body, data))
    )  # fmt: skip
    if not heard:
        resolver.forget_host(actor.host)
        raise InstanceBlocked()
    return Accepted(activity.id, actor, row is not None)


async def _gone_signer(resolver: Resolver, message: HttpMessage, body: bytes,
                       signature: _Signature) -> KnownActor | None:  # fmt: skip
    """The signer of a Delete whose server answers 410 Gone for it (a deleted account): verified with the keys we
    last fetched for it; None when we never fetched it, and then, as Mastodon does, the Delete is answered 202 and
    dropped (nothing of an actor we never knew is here to delete), so its server does not retry it for days."""
    actor = await resolver.last_known(signature.key_id)
    if actor is None:
        return None
    known = known_actor(actor, now=resolver.clock.now())
    try:
        _verify(message, body, signature, known, int(resolver.clock.now().timestamp()))
    except SignatureError as exc:
        raise SignatureRejected(reason=str(exc)) from None
    return known


def _json_text(body: bytes, data: dict[str, Any]) -> str:
    """The body as PostgreSQL will read it into jsonb: as received when it is plain UTF-8 (no second serialization);
    re-encoded from the parsed object otherwise (json.loads also reads UTF-16/32 and a byte order mark)."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return json.dumps(data)
    return json.dumps(data) if text.startswith("\ufeff") else text
