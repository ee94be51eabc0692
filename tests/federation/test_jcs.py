import json

import pytest

from federation.crypto.errors import NotCanonicalisable
from federation.crypto.jcs import MAX_SAFE_INTEGER, canonicalize
from tests.federation.vectors import VECTORS

JCS = VECTORS / "jcs-rfc8785"
NAMES = ["arrays", "french", "structures", "unicode", "values", "weird"]


@pytest.mark.parametrize("name", NAMES)
def test_each_rfc8785_input_canonicalises_to_the_exact_output_bytes(name: str) -> None:
    value = json.loads((JCS / "input" / f"{name}.json").read_bytes())
    assert canonicalize(value) == (JCS / "output" / f"{name}.json").read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_each_rfc8785_input_canonicalises_to_the_published_hex(name: str) -> None:
    value = json.loads((JCS / "input" / f"{name}.json").read_bytes())
    expected = bytes.fromhex("".join((JCS / "outhex" / f"{name}.txt").read_text().split()))
    assert canonicalize(value) == expected


def test_the_largest_safe_integers_are_canonicalised() -> None:
    assert canonicalize([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]) == b"[9007199254740991,-9007199254740991]"


@pytest.mark.parametrize("number", [2**53, -(2**53), 10**20])
def test_an_integer_beyond_two_to_the_53_is_refused_rather_than_rounded(number: int) -> None:
    with pytest.raises(NotCanonicalisable) as caught:
        canonicalize({"amount": {"nested": [number]}})
    assert caught.value.code == "jcs_not_canonicalisable"


def test_a_value_json_cannot_hold_is_refused() -> None:
    with pytest.raises(NotCanonicalisable):
        canonicalize({"when": object()})


def test_a_non_finite_float_is_refused() -> None:
    with pytest.raises(NotCanonicalisable):
        canonicalize(float("nan"))
