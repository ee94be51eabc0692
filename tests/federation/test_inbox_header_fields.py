"""The inbox reads a request's fields from the index aiohttp built while parsing it (`CIMultiDictProxy`), instead of
copying them into a tuple and indexing them again: every lookup must give what `HttpMessage.header_values` gives
on the same fields, in the same order (repeated fields, any case), and the message keeps every field as received."""

from __future__ import annotations

import random

from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from federation.crypto.message import HttpMessage
from federation.inbox import _IndexedMessage

FIELDS = [
    ("Host", "ves.example"),
    ("Signature-Input", 'sig1=("@method" "@target-uri" "content-digest");created=1;keyid="k"'),
    ("content-digest", "sha-512=:AAAA:"),
    ("Content-Type", "application/activity+json"),
    ("X-Repeated", "uno"),
    ("Signature", "sig1=:BBBB:"),
    ("x-REPEATED", " dos "),
    ("Date", "Mon, 07 Dec 2026 17:00:00 GMT"),
    ("X-Repeated", ""),
    ("Signature-input", "sig2=()"),
]
NAMES = ["host", "HOST", "signature-input", "Signature-Input", "content-digest", "CONTENT-DIGEST", "x-repeated",
         "X-Repeated", "signature", "date", "digest", "absent", "content-type"]  # fmt: skip


def _both(fields: list[tuple[str, str]]) -> tuple[_IndexedMessage, HttpMessage]:
    request = make_mocked_request("POST", "/inbox", headers=CIMultiDict(fields))
    indexed = _IndexedMessage(method="POST", url="https://ves.example/inbox", fields=request.headers)
    plain = HttpMessage(method="POST", url="https://ves.example/inbox", headers=tuple(fields))
    return indexed, plain


def test_every_field_lookup_gives_what_the_plain_message_gives() -> None:
    indexed, plain = _both(FIELDS)
    assert indexed.headers == plain.headers == tuple(FIELDS)
    for name in NAMES:
        assert indexed.header_values(name) == plain.header_values(name), name
    assert indexed.header_values("x-repeated") == ["uno", " dos ", ""]
    assert indexed.header_values("absent") == []


def test_lookups_agree_on_random_field_lists_and_give_fresh_lists() -> None:
    randomly = random.Random(9421)
    alphabet = "abcdeXYZ-019"
    for _ in range(500):
        names = ["".join(randomly.choice(alphabet) for _ in range(randomly.randint(1, 4))) for _ in range(6)]
        fields = [(randomly.choice(names), str(randomly.randint(0, 99))) for _ in range(randomly.randint(0, 12))]
        indexed, plain = _both(fields)
        assert indexed.headers == plain.headers
        for name in names + [name.upper() for name in names] + [name.swapcase() for name in names]:
            values = indexed.header_values(name)
            assert values == plain.header_values(name), (fields, name)
            values.append("changed")  # the caller's own list: the next lookup is unaffected
            assert indexed.header_values(name) == plain.header_values(name)
