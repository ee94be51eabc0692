import base64
import json
from dataclasses import replace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.crypto import cavage
from federation.crypto.errors import (
    DigestMismatch,
    MalformedSignature,
    MissingComponent,
    SignatureExpired,
    SignatureMismatch,
    UnsupportedAlgorithm,
)
from federation.crypto.message import HttpMessage
from federation.crypto.multikey import load_private_key_pem, load_public_key_pem
from tests.federation.vectors import VECTORS, read_http

CAVAGE = VECTORS / "cavage-12"
REQUEST, BODY = read_http(CAVAGE / "request.http")
PRIVATE = load_private_key_pem((CAVAGE / "keys" / "Test.priv.pkcs1.pem").read_bytes())
PUBLIC = load_public_key_pem((CAVAGE / "keys" / "Test.pub.spki.pem").read_bytes())
NOW = 1389000000


def params(case: str) -> dict[str, Any]:
    return dict(json.loads((CAVAGE / case / "params.json").read_text()))


def with_signature(message: HttpMessage, value: str) -> HttpMessage:
    return replace(message, headers=(*message.headers, ("Signature", value)))


def c3_header() -> str:
    # The printed C.3 header folds inside a quoted value; params.json holds it unfolded.
    p = params("C.3-all-headers-test")
    return (
        f'keyId="{p["keyId"]}",algorithm="{p["algorithm"]}",created={p["created"]}, expires={p["expires"]},'
        f'headers="{p["headers"]}",signature="{p["signature"]}"'
    )


def unfolded(case: str, name: str) -> str:
    lines = (CAVAGE / case / name).read_text().splitlines()
    text = "".join(line.strip() for line in lines)
    return text.split(":", 1)[1].strip()


@pytest.mark.parametrize("case", ["C.1-default-test", "C.2-basic-test"])
def test_the_signing_string_is_exactly_the_drafts(case: str) -> None:
    headers = params(case).get("headers", "date").split()
    expected = (CAVAGE / case / "signing-string.txt").read_text()
    assert cavage.signing_string(REQUEST, headers, algorithm="rsa-sha256") == expected


@pytest.mark.parametrize("case", ["C.1-default-test", "C.2-basic-test"])
def test_rsa_sha256_signing_reproduces_the_drafts_signature(case: str) -> None:
    headers = params(case).get("headers", "date").split()
    value = cavage.sign_request(REQUEST, PRIVATE, key_id="Test", headers=headers)
    assert cavage.parse_signature_header(value).signature == base64.b64decode(params(case)["signature"])


@pytest.mark.parametrize("case", ["C.1-default-test", "C.2-basic-test"])
def test_the_drafts_printed_header_verifies(case: str) -> None:
    header = unfolded(case, "authorization-header.as-printed.txt")
    parsed = cavage.verify_request(with_signature(REQUEST, header), PUBLIC, now=NOW)
    assert parsed.key_id == "Test"
    assert parsed.headers == tuple(params(case).get("headers", "date").split())


def test_the_c1_signature_header_serialises_like_the_draft() -> None:
    value = cavage.sign_request(REQUEST, PRIVATE, key_id="Test", headers=["date"])
    assert value == unfolded("C.1-default-test", "signature-header.as-printed.txt")


def test_c3_lists_created_and_expires_which_an_rsa_algorithm_may_not_sign() -> None:
    parsed = cavage.parse_signature_header(c3_header())
    assert parsed.headers[1:3] == ("(created)", "(expires)")
    with pytest.raises(MalformedSignature):
        cavage.verify_request(with_signature(REQUEST, cavage.serialize_signature_header(parsed)), PUBLIC, now=NOW)


def test_c3_does_not_verify_over_the_signing_string_its_headers_parameter_describes() -> None:
    parsed = cavage.parse_signature_header(c3_header())
    text = cavage.signing_string(
        REQUEST, parsed.headers, algorithm="hs2019", created=parsed.created, expires=parsed.expires
    )
    assert "(created): 1402170695" in text
    with pytest.raises(SignatureMismatch):
        cavage.verify_string(text, parsed.signature, PUBLIC, "rsa-sha256")


def test_c3_verifies_only_over_its_printed_signing_string_which_omits_created_and_expires() -> None:
    printed = (CAVAGE / "C.3-all-headers-test" / "signing-string.as-printed.txt").read_text()
    parsed = cavage.parse_signature_header(c3_header())
    assert "(created)" not in printed
    cavage.verify_string(printed, parsed.signature, PUBLIC, "rsa-sha256")


def test_a_changed_header_value_is_rejected() -> None:
    header = unfolded("C.2-basic-test", "authorization-header.as-printed.txt")
    moved = HttpMessage(
        method=REQUEST.method,
        url=REQUEST.url,
        headers=tuple((n, "evil.example" if n == "Host" else v) for n, v in REQUEST.headers),
    )
    with pytest.raises(SignatureMismatch):
        cavage.verify_request(with_signature(moved, header), PUBLIC, now=NOW)


def test_a_changed_request_target_is_rejected() -> None:
    header = unfolded("C.2-basic-test", "authorization-header.as-printed.txt")
    moved = replace(REQUEST, url="https://example.com/foo?param=value&pet=cat")
    with pytest.raises(SignatureMismatch):
        cavage.verify_request(with_signature(moved, header), PUBLIC, now=NOW)


def test_a_signed_header_missing_from_the_message_is_rejected() -> None:
    header = unfolded("C.2-basic-test", "authorization-header.as-printed.txt")
    without_date = replace(REQUEST, headers=tuple(h for h in REQUEST.headers if h[0] != "Date"))
    with pytest.raises(MissingComponent):
        cavage.verify_request(with_signature(without_date, header), PUBLIC, now=NOW)


def test_a_signature_that_does_not_cover_a_required_header_is_rejected() -> None:
    header = unfolded("C.1-default-test", "authorization-header.as-printed.txt")
    with pytest.raises(MissingComponent):
        cavage.verify_request(with_signature(REQUEST, header), PUBLIC, now=NOW, required=["(request-target)", "digest"])


@pytest.mark.parametrize(
    "value",
    [
        "",
        'keyId="Test"',
        'signature="AAAA"',
        'keyId="Test",signature="not base64!"',
        'keyId="Test" signature="AAAA"',
        'keyId="Test",keyId="Other",signature="AAAA"',
        'keyId="Test,signature="AAAA"',
        'keyId="Test",created=soon,signature="AAAA"',
        'keyId="Test",headers="date date",signature="AAAA"',
    ],
)
def test_a_malformed_signature_header_is_rejected(value: str) -> None:
    with pytest.raises(MalformedSignature):
        cavage.parse_signature_header(value)


def test_commas_inside_quoted_values_belong_to_the_value() -> None:
    parsed = cavage.parse_signature_header('keyId="https://a.example/u#k,1", signature="AAAA", headers="date"')
    assert parsed.key_id == "https://a.example/u#k,1"


def test_multiple_header_values_are_joined_with_comma_space_in_message_order() -> None:
    message = replace(REQUEST, headers=(("Cache-Control", " max-age=60 "), ("Cache-Control", "must-revalidate")))
    assert cavage.signing_string(message, ["Cache-Control"]) == "cache-control: max-age=60, must-revalidate"


def test_hs2019_with_created_and_expires_round_trips_with_an_ed25519_key() -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(b"\x02" * 32)
    headers = ["(request-target)", "(created)", "(expires)", "host", "date", "digest"]
    value = cavage.sign_request(
        REQUEST, key, key_id="k", headers=headers, algorithm="hs2019", created=NOW, expires=NOW + 300
    )
    assert cavage.verify_request(with_signature(REQUEST, value), key.public_key(), now=NOW).created == NOW


def test_an_expired_signature_is_rejected() -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(b"\x02" * 32)
    value = cavage.sign_request(
        REQUEST, key, key_id="k", headers=["(expires)", "date"], algorithm="hs2019", expires=NOW
    )
    with pytest.raises(SignatureExpired):
        cavage.verify_request(with_signature(REQUEST, value), key.public_key(), now=NOW + 1)


def test_rsa_sha256_with_an_ed25519_key_is_refused() -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(b"\x02" * 32)
    with pytest.raises(UnsupportedAlgorithm):
        cavage.sign_request(REQUEST, key, key_id="k", headers=["date"], algorithm="rsa-sha256")


def test_rsa_sha1_is_refused() -> None:
    header = unfolded("C.1-default-test", "authorization-header.as-printed.txt").replace("rsa-sha256", "rsa-sha1")
    with pytest.raises(UnsupportedAlgorithm):
        cavage.verify_request(with_signature(REQUEST, header), PUBLIC, now=NOW)


def test_a_signature_by_another_rsa_key_is_rejected() -> None:
    other = load_private_key_pem((VECTORS / "rfc9421" / "keys" / "test-key-rsa.priv.pkcs1.pem").read_bytes())
    value = cavage.sign_request(REQUEST, other, key_id="Test", headers=["date"])
    with pytest.raises(SignatureMismatch):
        cavage.verify_request(with_signature(REQUEST, value), PUBLIC, now=NOW)


def test_the_drafts_digest_header_matches_its_body() -> None:
    (value,) = REQUEST.header_values("digest")
    assert cavage.digest_header(BODY) == value
    cavage.verify_digest(value, BODY)


def test_a_digest_that_does_not_match_the_body_is_rejected() -> None:
    with pytest.raises(DigestMismatch):
        cavage.verify_digest(cavage.digest_header(BODY), BODY + b" ")


def test_a_digest_without_sha256_is_refused() -> None:
    with pytest.raises(UnsupportedAlgorithm):
        cavage.verify_digest("MD5=HUXZLQLMuI/KZ5KDcJPcOA==", BODY)
