"""The inbox's message (`federation/inbox._IndexedMessage`) looks fields up in aiohttp's index and makes its tuple of
fields only when something asks for it: nothing on the RFC 9421 path does, and when asked the tuple holds every field
as received, in order."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ed25519
from multidict import CIMultiDict, CIMultiDictProxy

from federation.crypto import rfc9421
from federation.http_signing import sign_post_headers
from federation.inbox import _IndexedMessage, _signature

URL = "https://ves.example/inbox"
BODY = b'{"type": "Create"}'


class CountedFields:
    """aiohttp's fields, counting how often the whole list is read."""

    def __init__(self, fields: CIMultiDictProxy[str]) -> None:
        self.fields, self.listed = fields, 0

    def getall(self, key: str, default: list[str], /) -> list[str]:
        return self.fields.getall(key, default)

    def items(self) -> Iterable[tuple[str, str]]:
        self.listed += 1
        return self.fields.items()


def test_an_rfc9421_request_is_verified_without_copying_its_fields_and_the_copy_is_exact_when_asked() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    now = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    signed = sign_post_headers(URL, BODY, key_id="k", rsa_key=None, ed25519_key=key, ed25519_key_id="ed",
                               scheme="rfc9421", now=now)  # fmt: skip
    received = [("Host", "ves.example"), *signed.items(), ("X-Repeated", "uno"), ("x-repeated", "dos")]
    fields = CountedFields(CIMultiDictProxy(CIMultiDict(received)))
    message = _IndexedMessage(method="POST", url=URL, fields=fields)
    signature = _signature(message)
    assert signature.rfc9421 is not None
    rfc9421.verify(message, key.public_key(), label=signature.scheme, alg="ed25519", now=int(now.timestamp()),
                   fields=signature.rfc9421)  # fmt: skip
    rfc9421.verify_content_digest(message.header_values("content-digest")[0], BODY)
    assert fields.listed == 0
    assert message.headers == tuple(received)
    assert fields.listed == 1
