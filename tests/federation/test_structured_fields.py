"""RFC 8941 strings as the signature fields carry them: the one-match reading of plain strings and the
character-by-character reading of escaped ones must accept and refuse exactly the same values."""

from __future__ import annotations

import random

import pytest

from federation.crypto.errors import MalformedSignature
from federation.crypto.structured_fields import Item, parse_dictionary, serialize_bare_item


def test_plain_and_escaped_strings_read_back_as_they_were_written() -> None:
    rng = random.Random(9421)
    alphabet = [chr(c) for c in range(0x20, 0x7F)]
    for _ in range(2000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        parsed = parse_dictionary(f"a={serialize_bare_item(value)};p={serialize_bare_item(value)}, b=1")
        assert parsed["a"] == Item(value, (("p", value),)), value
        assert parsed["b"] == Item(1)


@pytest.mark.parametrize(
    "field",
    [
        'a="tab\there"',  # a control character (RFC 8941 §4.2.5: only 0x20-0x7E)
        'a="caf\u00e9"',  # not ASCII
        'a="del\x7f"',
        'a="bad \\n escape"',  # only \\ and \" may be escaped
        'a="unterminated',
        'a="ends in a backslash\\',
    ],
)
def test_strings_outside_rfc_8941_are_refused(field: str) -> None:
    with pytest.raises(MalformedSignature):
        parse_dictionary(field)


@pytest.mark.parametrize("value", ["caf\u00e9", "tab\there", "\x7f", "line\nbreak"])
def test_only_printable_ascii_is_serialized(value: str) -> None:
    with pytest.raises(MalformedSignature):
        serialize_bare_item(value)
