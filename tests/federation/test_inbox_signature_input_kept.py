"""The inbox reads each `Signature-Input` text once (`_signature_input`, kept for the next requests signed in the
same second): what it gives, and what it refuses, must be what reading the text afresh gives, every time."""

from __future__ import annotations

import pytest

from deliberate.errors import SignatureRejected
from federation.crypto import rfc9421
from federation.crypto.errors import SignatureError
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
    """The same reading without the kept results (the function `lru_cache` wraps)."""
    return _signature_input.__wrapped__(text)


def test_what_a_text_is_read_as() -> None:
    label, keyid, signature_input = _signature_input(TEXTS[0])
    assert (label, keyid) == ("sig1", KEY) and signature_input is not None
    assert [item.value for item in signature_input.components] == ["@method", "@target-uri", "content-digest",
                                                                   "content-type"]  # fmt: skip
    assert _signature_input(TEXTS[6])[2] is None  # not an inner list: left for rfc9421.verify to refuse
    for refused in (TEXTS[7], TEXTS[8], TEXTS[9]):
        with pytest.raises(SignatureRejected):
            _signature_input(refused)


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
