"""Headers for the requests this node sends: signed GETs (authorized fetch) and signed inbox POSTs.

Pure functions over ``federation.crypto``: the caller passes the URL, the body, the keys and the current time,
and gets back the exact header dictionary to send. No I/O and no clock, so the delivery worker can sign a
fan-out of a hundred inboxes with one key, and tests can verify the result with the inbox's own verifiers.

- GET: draft-cavage-12 ``rsa-sha256`` over ``(request-target) host date``, what Mastodon's authorized fetch
  (``AUTHORIZED_FETCH``/secure mode) checks before it answers an actor or object request.
- POST, ``cavage``: ``(request-target) host date digest`` with ``Digest: SHA-256=`` (RFC 3230), the set our inbox
  and Mastodon require; Mastodon's default signs ``date`` alone, which binds nothing about the body.
- POST, ``rfc9421``: RFC 9421 with ``ed25519`` over ``@method @target-uri content-digest content-type`` and a
  ``created`` parameter (our inbox refuses a signature without one), ``Content-Digest`` with sha-512 (RFC 9530).

URLs are put in yarl's encoded form first (``canonical_url``) because that is the form aiohttp puts on the wire:
the ``(request-target)``, ``Host`` and ``@target-uri`` we sign must be byte-for-byte what the peer receives.
"""

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from yarl import URL

from federation.crypto import cavage, rfc9421
from federation.crypto.message import HttpMessage

AS2_CONTENT_TYPE = "application/activity+json"
GET_COVERED = ("(request-target)", "host", "date")
POST_COVERED = ("(request-target)", "host", "date", "digest")
RFC9421_COVERED = ("@method", "@target-uri", "content-digest", "content-type")
RFC9421_LABEL = "sig1"


def canonical_url(url: str) -> str:
    """The URL as aiohttp sends it: IDNA host, percent-encoded path and query, no fragment (RFC 3986 §3.5)."""
    return str(URL(url).with_fragment(None))


def host_header(url: str) -> str:
    """``Host`` field value (RFC 9110 §7.2): host, plus ``:port`` only when it is not the scheme's default."""
    return URL(url).host_port_subcomponent or ""


def http_date(now: datetime) -> str:
    """RFC 9110 §5.6.7 IMF-fixdate; ``now`` must be timezone-aware so "GMT" is true."""
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    return format_datetime(now.astimezone(UTC), usegmt=True)


def sign_get_headers(
    url: str, *, key_id: str, private_key: RSAPrivateKey, now: datetime, accept: str
) -> dict[str, str]:
    """Headers for a GET signed with draft-cavage ``rsa-sha256`` over ``(request-target) host date``."""
    url = canonical_url(url)
    headers = {"Host": host_header(url), "Date": http_date(now), "Accept": accept}
    message = HttpMessage(method="GET", url=url, headers=tuple(headers.items()))
    headers["Signature"] = cavage.sign_request(
        message, private_key, key_id=key_id, headers=GET_COVERED, algorithm="rsa-sha256"
    )
    return headers


def sign_post_headers(
    url: str,
    body: bytes,
    *,
    key_id: str,
    rsa_key: RSAPrivateKey | None,
    ed25519_key: Ed25519PrivateKey | None,
    ed25519_key_id: str | None,
    scheme: Literal["cavage", "rfc9421"],
    now: datetime,
) -> dict[str, str]:
    """Headers for POSTing ``body`` to an inbox, signed with the chosen scheme.

    ``cavage`` needs ``rsa_key`` (and signs as ``key_id``); ``rfc9421`` needs ``ed25519_key`` and
    ``ed25519_key_id``. A missing key is a programming error and raises ``ValueError``.
    """
    url = canonical_url(url)
    date = http_date(now)
    if scheme == "cavage":
        if rsa_key is None:
            raise ValueError("a draft-cavage signature needs the RSA key")
        headers = {
            "Host": host_header(url),
            "Date": date,
            "Digest": cavage.digest_header(body),
            "Content-Type": AS2_CONTENT_TYPE,
        }
        message = HttpMessage(method="POST", url=url, headers=tuple(headers.items()))
        headers["Signature"] = cavage.sign_request(
            message, rsa_key, key_id=key_id, headers=POST_COVERED, algorithm="rsa-sha256"
        )
        return headers
    if ed25519_key is None or ed25519_key_id is None:
        raise ValueError("an RFC 9421 signature needs the Ed25519 key and its key id")
    headers = {"Content-Digest": rfc9421.content_digest(body), "Content-Type": AS2_CONTENT_TYPE, "Date": date}
    message = HttpMessage(method="POST", url=url, headers=tuple(headers.items()))
    # RFC 9421 §2.3: created, keyid and alg are signature parameters, covered through @signature-params.
    signature_input = rfc9421.SignatureInput.create(
        RFC9421_COVERED, created=int(now.timestamp()), keyid=ed25519_key_id, alg="ed25519"
    )
    signature_input_value, signature_value = rfc9421.sign(
        message, signature_input, ed25519_key, label=RFC9421_LABEL, alg="ed25519"
    )
    headers["Signature-Input"] = signature_input_value
    headers["Signature"] = signature_value
    return headers
