"""`host_of` skips urlsplit for plain URIs (the inbox reads several hosts per request): it must answer exactly what
`urlsplit(uri).netloc.lower()` answers, for every URI, or a same-origin check could be fooled."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

import pytest

from federation.resolver import host_of

TRICKY = [
    "https://A.Example:8080/x", "http://h", "http://h?q", "http://h#f", "https://user@h/x", "mailto:x", "https:///x",
    "//h/x", "HTTPS://h/x", "https://h\t/x", "https://ev\nil.example/x", "https://[::1]:3/x", "https://é.pe/x",
    "a+b://h/x", "1http://h/x", "https://h\\x/y", "https://h x/y", "https://good.example\x00.evil/x", "",
]  # fmt: skip


def expected(uri: str) -> str | None:
    try:
        return urlsplit(uri).netloc.lower()
    except ValueError:
        return None


def actual(uri: str) -> str | None:
    try:
        return host_of(uri)
    except ValueError:
        return None


@pytest.mark.parametrize("uri", TRICKY)
def test_host_of_answers_what_urlsplit_answers(uri: str) -> None:
    assert actual(uri) == expected(uri)


def test_host_of_agrees_with_urlsplit_on_random_uris() -> None:
    rng = random.Random(9421)
    alphabet = "aZ09:/?#@[]\\\t\n\r .%-+é\x00\x7f"
    for _ in range(20_000):
        uri = rng.choice(["https://", "http://", "", "x+y://", "//", "HTTP://"]) + "".join(
            rng.choice(alphabet) for _ in range(rng.randint(0, 14))
        )
        assert actual(uri) == expected(uri), repr(uri)
