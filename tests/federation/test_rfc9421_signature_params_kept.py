"""The `@signature-params` line of the RFC 9421 signature base (§2.5) is serialized once for the requests that share
it (a peer's requests signed in the same second), and kept only where a kept line cannot stand in for another:
`True` and `1` compare and hash alike, yet serialize as `;x` and `;x=1`."""

from __future__ import annotations

import itertools

import pytest

from federation.crypto import rfc9421
from federation.crypto.message import HttpMessage
from federation.crypto.structured_fields import Item, Parameters

MESSAGE = HttpMessage(method="POST", url="https://ves.example.pe/inbox", headers=(("Content-Type", "text/plain"),))
_stamps = itertools.count(1_796_000_000)


def _line(signature_input: rfc9421.SignatureInput) -> str:
    return rfc9421.signature_base(MESSAGE, signature_input).rsplit("\n", 1)[-1]


@pytest.fixture
def serialized(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The parameter lists serialized from now on."""
    calls: list[object] = []
    real = rfc9421.serialize_parameters

    def counting(params: Parameters) -> str:
        calls.append(params)
        return real(params)

    monkeypatch.setattr(rfc9421, "serialize_parameters", counting)
    return calls


def test_the_line_is_serialized_once_for_the_requests_that_share_it(serialized: list[object]) -> None:
    created = next(_stamps)
    first = rfc9421.SignatureInput.create(["@method", "content-type"], created=created, keyid="k", alg="ed25519")
    again = rfc9421.SignatureInput.create(["@method", "content-type"], created=created, keyid="k", alg="ed25519")
    expected = f'"@signature-params": {first.serialize()}'
    assert _line(first) == expected and _line(again) == expected
    assert len(serialized) == 1
    later = rfc9421.SignatureInput.create(["@method", "content-type"], created=created + 1, keyid="k")
    assert _line(later) == f'"@signature-params": {later.serialize()}'
    assert len(serialized) == 2


def test_a_boolean_parameter_is_never_kept_so_x_and_x_1_keep_their_own_lines(serialized: list[object]) -> None:
    created = next(_stamps)
    components = (Item("@method"),)
    for _ in range(2):  # new inputs each time: an input keeps its own line (`SignatureInput._prepared`)
        flag = rfc9421.SignatureInput(components, (("created", created), ("keyid", "k"), ("nonce", True)))
        one = rfc9421.SignatureInput(components, (("created", created), ("keyid", "k"), ("nonce", 1)))
        assert flag.params == one.params  # the trap: equal tuples, different serializations
        assert _line(one) == f'"@signature-params": ("@method");created={created};keyid="k";nonce=1'
        assert _line(flag) == f'"@signature-params": ("@method");created={created};keyid="k";nonce'
    assert len(serialized) == 3  # `one` once (kept), `flag` each time


def test_an_input_keeps_its_own_line_and_identifiers_after_its_first_signature_base(
    serialized: list[object],
) -> None:
    created = next(_stamps)
    flag = rfc9421.SignatureInput((Item("@method"),), (("created", created), ("nonce", True)))
    for _ in range(3):
        assert _line(flag) == f'"@signature-params": ("@method");created={created};nonce'
    assert len(serialized) == 1
    twice = rfc9421.SignatureInput((Item("@method"), Item("@method")), (("created", created),))
    for _ in range(2):
        with pytest.raises(rfc9421.MalformedSignature):
            rfc9421.signature_base(MESSAGE, twice)
    assert twice._prepared is None  # a refused input keeps nothing
