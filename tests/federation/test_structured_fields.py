"""RFC 8941 strings as the signature fields carry them: the one-match reading of plain strings and the
character-by-character reading of escaped ones must accept and refuse exactly the same values."""

from __future__ import annotations

import random

import pytest

from federation.crypto.errors import MalformedSignature
from federation.crypto.structured_fields import (
    Item,
    _parse_dictionary,
    _simple_dictionary,
    parse_dictionary,
    serialize_bare_item,
)


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


# Signature fields as peers send them, and pieces to make near misses of them.
_FIELDS = [
    'sig1=("@method" "@target-uri" "content-digest" "content-type");created=1796658625;'
    'keyid="https://a.example/u/pedro#ed25519-key";alg="ed25519"',
    "sig1=:uS8NVufA1asiUczBvAKWHtfCSD10scSyfKPGG4R+FgHY3Pg/zsU2inQ6IfQag1wC1KXv4wRKicXfFw5xK/8aCA==:",
    "sha-512=:P2yBBglVM2qMnIP3Gm/y7VvcZc30H5YfY37kwpZD97cxfmoSKPkrDdZWI1J2IAi+a9cr4A+tU+psZWzoTqVssw==:",
    'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
    'sig1=("@authority" "content-type");created=-1;expires=0;tag="x;y=z"',
]
_PIECES = [
    "sig1", "a", "Sig", "*k", "1a", "=", "(", ")", " ", "  ", "\t", ",", ", ", ";", ";created=", ";keyid=", '"@method"',
    '""', '"a b;c=d"', '"q\\"q"', '"back\\\\slash"', '"caf\u00e9"', '"tab\tx"', "12", "-3", "0012", "1234567890123456",
    "1.5", ":", ":YQ==:", ":YQ=:", ":!!:", "::", "?1", "?0", "tok", "*tok/x", "ed25519", '"ed25519"', "@", '"',
]  # fmt: skip


def _slow_or_error(text: str) -> object:
    try:
        return _parse_dictionary(text)
    except MalformedSignature:
        return "error"


def test_the_one_match_reading_of_signature_fields_agrees_with_the_parser() -> None:
    """`_simple_dictionary` answers only for texts the character-by-character parser reads, and reads them the same;
    signature fields as peers send them take it."""
    for field in _FIELDS:
        assert _simple_dictionary(field) is not None, field
    rng = random.Random(8941)
    texts = [*_FIELDS, 'sig1=("@authority");tag="x;y=\\"z\\""', 'sig1=("a");p=1;p=2', 'sig1=(  "a" )']
    for _ in range(20_000):
        if rng.random() < 0.5:
            texts.append("".join(rng.choice(_PIECES) for _ in range(rng.randrange(1, 14))))
        else:  # a real field with a few characters inserted, replaced or dropped
            chars = list(rng.choice(_FIELDS))
            for _ in range(rng.randrange(1, 4)):
                at = rng.randrange(len(chars))
                what = rng.choice(['"', " ", ";", "=", "(", ")", ":", ",", "-", ".", "\\", "A", "9", "", "x"])
                chars[at : at + rng.choice([0, 1])] = [what]
            texts.append("".join(chars))
    simple = 0
    for text in texts:
        fast = _simple_dictionary(text)
        if fast is not None:
            simple += 1
            assert _slow_or_error(text) == fast, text
    assert simple > 1_000, simple  # the near misses include many the one match reads
