"""Covered components whose parameters are equal as Python values but not as structured fields (RFC 8941 §3.3.6:
`;req` is the Boolean true, `;req=1` the Integer 1) each get their own serialization in the signature base, whatever
was serialized before."""

from __future__ import annotations

from federation.crypto import rfc9421
from federation.crypto.structured_fields import Item


def test_req_as_a_boolean_and_as_an_integer_serialize_apart_in_either_order() -> None:
    as_boolean = (Item("@method", (("req", True),)), Item("content-digest"))
    as_integer = (Item("@method", (("req", 1),)), Item("content-digest"))
    assert as_boolean == as_integer and hash(as_boolean) == hash(as_integer)  # why a plain cache would mix them up
    for first, second in ((as_boolean, as_integer), (as_integer, as_boolean)):
        rfc9421._identifiers(first)
        assert rfc9421._identifiers(second)[0][0] == ('"@method";req' if second is as_boolean else '"@method";req=1')
    plain = (Item("@method"), Item("@target-uri"), Item("content-digest"))
    assert rfc9421._identifiers(plain) == (('"@method"', '"@target-uri"', '"content-digest"'), None)
    assert rfc9421._identifiers((Item("date"), Item("date")))[1] == 1
