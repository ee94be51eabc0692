"""The inbox reads each `Signature-Input` text once (`_signature_input`, kept for the next requests signed in the
same second): what it gives, and what it refuses, must be what reading the text afresh gives, every time."""

from __future__ import annotations

import pytest

from deliberate.errors import SignatureRejected
from federation.crypto import rfc9421
from federation.crypto.errors import SignatureError
from federation.crypto.structured_fields import InnerList, parse_dictionary
from federation.inbox import _signature_input

KEY = "https://vmt.example.pe/u/pedro#ed25519-key"
TEXTS = [
    f'sig1=("@method" "@target-uri" "content-digest" "content-type");created=1796000000;keyid="{KEY}";alg="ed25519"',
    f'sig1=("@method" "@target-uri" "content-digest");created=1796000001;keyid="{KEY}"',
    f'sig1=();keyid="{KEY}"',
    f'sig1=("@method" "@target-uri");keyid="{KEY}";created=1;keyid="otra"',  # a repeated parameter: the last wins
    f'sig1=("@method" @target-uri);keyid="{KEY}"',  # a token among the components
    f'sig1=("@method";req "content-type");keyid="{KEY}"',
    f'sig1=:AAAA:;keyid="{KEY}"',  # not an inner list
    f'sig1=("@method");keyid="{KEY}", sig2=("@method");keyid="{KEY}"',  # two signatures
    'sig1=("@method");created=1',  # no keyid
    'sig1=("@method");keyid=7',  # a keyid that is not a string
    'sig1=("@method";keyid="x"',  # malformed
    "",
    'sig1=("@method")  ;keyid="k"',
]


def _afresh(text: str) -> tuple[str, str, rfc9421.SignatureInput | None]:
    """What `_signature` read from the text before it was kept, written out again."""
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


@pytest.mark.parametrize("text", TEXTS)
def test_a_kept_reading_is_a_fresh_reading_and_refusals_are_never_kept(text: str) -> None:
    try:
        expected: object = _afresh(text)
    except (SignatureError, SignatureRejected) as exc:
        expected = (type(exc), str(exc))
    for _ in range(3):
        try:
            got: object = _signature_input(text)
        except (SignatureError, SignatureRejected) as exc:
            got = (type(exc), str(exc))
        assert got == expected
