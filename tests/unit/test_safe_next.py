from __future__ import annotations

import pytest

from web.handlers.common import safe_next


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/account/password", "/account/password"),
        ("/foros?page=2", "/foros?page=2"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_only_local_paths_are_followed_after_log_in(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
