"""The hardened fetcher against a real aiohttp peer on loopback, and its signing helpers against our verifiers.

Loopback is only reachable with ``allow_private=True`` (the development switch), so the behaviour tests run that
way; the SSRF tests use the production policy and check that nothing ever connected.
"""

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import ip_address
from typing import Any, Literal

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from yarl import URL

from federation.crypto import cavage, rfc9421
from federation.crypto.errors import DigestMismatch, SignatureMismatch
from federation.crypto.message import HttpMessage
from federation.fetch import (
    AS2_ACCEPT,
    BadContentType,
    BudgetExhausted,
    FetchBudget,
    Fetcher,
    FetchError,
    FetchFailed,
    FetchPolicy,
    ForbiddenAddress,
    ForbiddenScheme,
    GetSigner,
    GuardedResolver,
    IdMismatch,
    NotJson,
    TooLarge,
    TooManyRedirects,
    check_url,
    redirect_target,
    refusal_reason,
)
from federation.http_signing import sign_get_headers, sign_post_headers

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
STAMP = int(NOW.timestamp())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ED_KEY = ed25519.Ed25519PrivateKey.generate()
ED_KEY_ID = "https://node.example/actor#ed25519-key"
GET_COVERED = ("(request-target)", "host", "date")
SIGNER = GetSigner(key_id="https://node.example/actor#main-key", private_key=RSA_KEY)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Peer:
    """A real HTTP server that records every request and answers from ``routes``."""

    base: str = ""
    seen: list[HttpMessage] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    clients: list[Any] = field(default_factory=list)  # the client's (address, port) per request
    routes: dict[str, Handler] = field(default_factory=dict)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(HttpMessage(request.method, str(request.url), tuple(request.headers.items())))
        self.bodies.append(await request.read())
        self.clients.append(request.transport.get_extra_info("peername") if request.transport else None)
        handler = self.routes.get(request.path)
        return web.Response(status=404) if handler is None else await handler(request)

    def url(self, path: str) -> str:
        return self.base + path

    def document(self, path: str, content_type: str = "application/activity+json", **extra: Any) -> None:
        self.routes[path] = answer(json.dumps({"id": self.url(path), **extra}).encode(), content_type)


def answer(body: bytes, content_type: str = "application/activity+json", status: int = 200) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, status=status, headers={"Content-Type": content_type})

    return handler


def redirect(location: str, status: int = 302) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": location})

    return handler


@pytest_asyncio.fixture
async def peer() -> AsyncIterator[Peer]:
    peer = Peer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", peer.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    peer.base = f"http://127.0.0.1:{server.port}"
    yield peer
    peer.release.set()
    await server.close()


def dev(**policy: Any) -> Fetcher:
    return Fetcher(FetchPolicy(allow_private=True, **policy), now=lambda: NOW)


async def test_a_document_whose_id_is_its_url_is_fetched_with_the_as2_accept_header(peer: Peer) -> None:
    peer.document("/note", type="Note")
    async with dev() as fetcher:
        document = await fetcher.fetch_document(peer.url("/note"))
    assert document == {"id": peer.url("/note"), "type": "Note"}
    assert peer.seen[0].header_values("accept") == [AS2_ACCEPT]
    assert peer.seen[0].header_values("signature") == []


async def test_ld_json_with_the_activitystreams_profile_is_accepted(peer: Peer) -> None:
    peer.document("/a", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"')
    async with dev() as fetcher:
        assert (await fetcher.fetch_document(peer.url("/a")))["id"] == peer.url("/a")


async def test_a_document_claiming_another_id_is_refused(peer: Peer) -> None:
    peer.routes["/a"] = answer(json.dumps({"id": peer.url("/b")}).encode())
    async with dev() as fetcher:
        with pytest.raises(IdMismatch):
            await fetcher.fetch_document(peer.url("/a"))


@pytest.mark.parametrize("content_type", ["text/html", "application/json", "text/plain"])
async def test_a_document_without_an_as2_content_type_is_refused(peer: Peer, content_type: str) -> None:
    peer.document("/a", content_type)
    async with dev() as fetcher:
        with pytest.raises(BadContentType):
            await fetcher.fetch_document(peer.url("/a"))


async def test_a_body_that_is_not_a_json_object_is_refused(peer: Peer) -> None:
    peer.routes["/list"], peer.routes["/junk"] = answer(b"[1, 2]"), answer(b"<html>")
    async with dev() as fetcher:
        for path in ("/list", "/junk"):
            with pytest.raises(NotJson):
                await fetcher.fetch_document(peer.url(path))


def padded_document(peer: Peer, path: str, size: int) -> bytes:
    head = json.dumps({"id": peer.url(path), "pad": ""}).encode()
    return head[:-2] + b"x" * (size - len(head)) + head[-2:]


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_over_the_cap_is_refused_and_one_at_the_cap_is_read(peer: Peer, chunked: bool) -> None:
    async def stream(request: web.Request) -> web.StreamResponse:
        body = padded_document(peer, request.path, int(request.path.strip("/")))
        response = web.StreamResponse(headers={"Content-Type": "application/activity+json"})
        if chunked:
            response.enable_chunked_encoding()  # no Content-Length: only counting the chunks can stop it
        else:
            response.content_length = len(body)
        await response.prepare(request)
        for start in range(0, len(body), 1000):
            await response.write(body[start : start + 1000])
        await response.write_eof()
        return response

    peer.routes["/5000"] = peer.routes["/5001"] = stream
    async with dev(max_bytes=5000) as fetcher:
        assert (await fetcher.fetch_document(peer.url("/5000")))["id"] == peer.url("/5000")
        with pytest.raises(TooLarge):
            await fetcher.fetch_document(peer.url("/5001"))


async def test_one_relative_redirect_is_followed_and_the_id_must_be_the_final_url(peer: Peer) -> None:
    peer.routes["/old"] = redirect("/new")
    peer.document("/new")
    peer.routes["/moved"] = redirect("/claims-old")
    peer.routes["/claims-old"] = answer(json.dumps({"id": peer.url("/moved")}).encode())
    async with dev() as fetcher:
        assert (await fetcher.fetch_document(peer.url("/old")))["id"] == peer.url("/new")
        with pytest.raises(IdMismatch):
            await fetcher.fetch_document(peer.url("/moved"))


async def test_a_second_redirect_is_refused_without_being_requested(peer: Peer) -> None:
    peer.routes["/a"], peer.routes["/b"] = redirect("/b", 301), redirect("/c", 307)
    peer.document("/c")
    async with dev() as fetcher:
        with pytest.raises(TooManyRedirects):
            await fetcher.fetch_document(peer.url("/a"))
    assert [URL(m.require_url()).path for m in peer.seen] == ["/a", "/b"]


async def test_every_redirect_hop_is_checked_again(peer: Peer) -> None:
    peer.routes["/a"] = redirect("file:///etc/passwd")
    async with dev() as fetcher:
        with pytest.raises(ForbiddenScheme):
            await fetcher.fetch_document(peer.url("/a"))


def test_a_redirect_from_a_public_url_to_loopback_is_refused() -> None:
    here = URL("https://peer.example/a")
    assert str(redirect_target(here, "/b?c=1", allow_private=False)) == "https://peer.example/b?c=1"
    for location in ("https://127.0.0.1/x", "//10.0.0.1/x", "https://[::ffff:169.254.169.254]/"):
        with pytest.raises(ForbiddenAddress):
            redirect_target(here, location, allow_private=False)
    with pytest.raises(ForbiddenScheme):
        redirect_target(here, "http://peer.example/b", allow_private=False)


async def test_a_peer_that_does_not_answer_in_time_fails(peer: Peer) -> None:
    # Both give up after three seconds, so a broken timeout fails the test instead of hanging it.
    async def stalls(request: web.Request) -> web.StreamResponse:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(peer.release.wait(), 3)
        return web.Response()

    async def drips(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/activity+json"})
        await response.prepare(request)
        for _ in range(60):  # each byte beats the read timeout; only the total cap stops it
            await response.write(b" ")
            await asyncio.sleep(0.05)
        return response

    peer.routes["/stall"], peer.routes["/drip"] = stalls, drips
    # The stall must be ended by the read timeout alone, the drip by the total cap alone.
    for path, policy in (("/stall", {"total_timeout": 30.0}), ("/drip", {"total_timeout": 1.0})):
        async with dev(read_timeout=0.3, **policy) as fetcher:
            started = asyncio.get_running_loop().time()
            with pytest.raises(FetchFailed, match="timed out"):
                await fetcher.fetch_document(peer.url(path))
            assert asyncio.get_running_loop().time() - started < 2.0


async def test_a_non_2xx_answer_fails_with_its_status(peer: Peer) -> None:
    async with dev() as fetcher:
        with pytest.raises(FetchFailed) as failure:
            await fetcher.fetch_document(peer.url("/missing"))
    assert failure.value.status == 404


async def test_a_signed_get_verifies_at_the_peer_on_every_hop(peer: Peer) -> None:
    async def checks(request: web.Request) -> web.StreamResponse:
        message = peer.seen[-1]
        try:
            cavage.verify_request(message, RSA_KEY.public_key(), now=STAMP, required=GET_COVERED)
        except SignatureMismatch:
            return web.Response(status=401)
        if request.path == "/old":
            return web.Response(status=302, headers={"Location": "/new"})
        return web.Response(body=json.dumps({"id": peer.url("/new")}).encode(), content_type="application/ld+json")

    peer.routes["/old"] = peer.routes["/new"] = checks
    async with dev() as fetcher:
        assert (await fetcher.fetch_document(peer.url("/old"), signer=SIGNER))["id"] == peer.url("/new")
        assert peer.seen[-1].header_values("date") == ["Fri, 01 May 2026 12:00:00 GMT"]
        with pytest.raises(FetchFailed) as failure:
            await fetcher.fetch_document(peer.url("/new"), signer=GetSigner(SIGNER.key_id, OTHER_RSA_KEY))
    assert failure.value.status == 401


async def test_a_budget_allows_exactly_its_limit_of_fetches(peer: Peer) -> None:
    peer.document("/a")
    budget = FetchBudget(2)
    async with dev() as fetcher:
        for _ in range(2):
            await fetcher.fetch_document(peer.url("/a"), budget=budget)
        with pytest.raises(BudgetExhausted):
            await fetcher.fetch_document(peer.url("/a"), budget=budget)
    assert len(peer.seen) == 2


async def test_post_signed_reports_status_retry_after_and_an_excerpt_without_following(peer: Peer) -> None:
    async def busy_inbox(request: web.Request) -> web.StreamResponse:
        return web.Response(status=429, text="no" * 400, headers={"Retry-After": "120"})

    peer.routes["/inbox"] = busy_inbox
    peer.routes["/ok"], peer.routes["/moved"] = answer(b"", "text/plain", 202), redirect("/ok", 308)
    body = b'{"type": "Create"}'
    async with dev() as fetcher:
        busy = await fetcher.post_signed(peer.url("/inbox"), body, signed_post(peer.url("/inbox"), body, "cavage"))
        accepted = await fetcher.post_signed(peer.url("/ok"), body, {})
        moved = await fetcher.post_signed(peer.url("/moved"), body, {})
    assert (busy.status, busy.retry_after, busy.body_excerpt) == (429, "120", "no" * 250)
    assert (accepted.status, accepted.retry_after, moved.status) == (202, None, 308)
    assert [URL(m.require_url()).path for m in peer.seen] == ["/inbox", "/ok", "/moved"]
    cavage.verify_request(peer.seen[0], RSA_KEY.public_key(), now=STAMP, required=("digest",))
    cavage.verify_digest(peer.seen[0].header_values("digest")[0], peer.bodies[0])


async def test_requests_to_one_peer_reuse_the_shared_connection(peer: Peer) -> None:
    peer.routes["/inbox"] = answer(b"", "text/plain", 202)
    peer.document("/actor")
    async with dev() as fetcher:
        for _ in range(3):
            assert (await fetcher.post_signed(peer.url("/inbox"), b"{}", {})).status == 202
        await fetcher.fetch_document(peer.url("/actor"))
    assert len(peer.clients) == 4 and len(set(peer.clients)) == 1


async def test_a_cookie_one_answer_sets_is_never_sent_back(peer: Peer) -> None:
    async def sets_cookie(request: web.Request) -> web.StreamResponse:
        return web.Response(status=202, headers={"Set-Cookie": "session=peer-state; Path=/"})

    peer.routes["/inbox"] = sets_cookie
    by_name = peer.url("/inbox").replace("127.0.0.1", "localhost")  # aiohttp's default jar ignores IP hosts
    async with dev() as fetcher:
        for _ in range(2):
            await fetcher.post_signed(by_name, b"{}", {})
    assert [m.header_values("cookie") for m in peer.seen] == [[], []]


async def test_post_to_a_closed_port_fails_with_a_typed_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with dev() as fetcher:
        with pytest.raises(FetchFailed):
            await fetcher.post_signed(f"http://127.0.0.1:{port}/inbox", b"{}", {})


@dataclass
class Listener:
    port: int
    connections: int = 0

    def count(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


@pytest_asyncio.fixture
async def listener() -> AsyncIterator[Listener]:
    """Raw TCP listeners on 127.0.0.1 and (when available) ::1, one port, counting the connections they accept."""
    listener = Listener(0)
    servers = [await asyncio.start_server(listener.count, "127.0.0.1", 0)]
    listener.port = servers[0].sockets[0].getsockname()[1]
    with contextlib.suppress(OSError):  # without IPv6 loopback the refusal must still come before any connect
        servers.append(await asyncio.start_server(listener.count, "::1", listener.port))
    yield listener
    for server in servers:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("http://127.0.0.1:{port}/", ForbiddenScheme),
        ("http://peer.example/actor", ForbiddenScheme),
        ("ftp://peer.example/actor", ForbiddenScheme),
        ("https://user:secret@peer.example/actor", ForbiddenScheme),
        ("https://127.0.0.1:{port}/", ForbiddenAddress),
        ("https://[::1]:{port}/", ForbiddenAddress),
        ("https://[::ffff:127.0.0.1]:{port}/", ForbiddenAddress),
        ("https://localhost:{port}/", ForbiddenAddress),
        ("https://2130706433:{port}/", ForbiddenAddress),
        ("https://127.1:{port}/", ForbiddenAddress),
        ("https://10.0.0.1/", ForbiddenAddress),
        ("https://169.254.169.254/latest/meta-data", ForbiddenAddress),
        ("https://100.64.0.1/", ForbiddenAddress),
        ("https://[fc00::1]/", ForbiddenAddress),
        ("https://[64:ff9b::7f00:1]/", ForbiddenAddress),
        ("https://0.0.0.0:{port}/", ForbiddenAddress),
    ],
)
async def test_ssrf_targets_are_refused_before_any_connection(
    listener: Listener, template: str, error: type[FetchError]
) -> None:
    url = template.format(port=listener.port)
    async with Fetcher(FetchPolicy(allow_private=False)) as fetcher:
        for attempt in (fetcher.fetch_document(url, signer=SIGNER), fetcher.post_signed(url, b"{}", {})):
            with pytest.raises(error):
                await attempt
    assert listener.connections == 0


async def test_webfinger_refuses_a_handle_on_a_loopback_host(listener: Listener) -> None:
    async with Fetcher(FetchPolicy(allow_private=False)) as fetcher:
        with pytest.raises(ForbiddenAddress):
            await fetcher.webfinger(f"alice@localhost:{listener.port}")
    assert listener.connections == 0


async def test_webfinger_returns_the_activitypub_self_link(peer: Peer) -> None:
    jrd = {
        "subject": "acct:alice@x",
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": peer.url("/@alice")},
            {"rel": "self", "type": "text/html", "href": peer.url("/@alice")},
            {"rel": "self", "type": "application/activity+json", "href": peer.url("/u/alice")},
        ],
    }
    peer.routes["/.well-known/webfinger"] = answer(json.dumps(jrd).encode(), "application/jrd+json")
    async with dev() as fetcher:
        assert await fetcher.webfinger("alice@" + URL(peer.base).authority) == peer.url("/u/alice")
        peer.routes["/.well-known/webfinger"] = answer(json.dumps(jrd).encode(), "text/html")
        with pytest.raises(BadContentType):
            await fetcher.webfinger("alice@" + URL(peer.base).authority)
    assert URL(peer.seen[0].require_url()).query["resource"] == f"acct:alice@{URL(peer.base).authority}"


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
     "100.64.0.1", "100.127.255.254", "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",  # noqa: S104
     "192.0.2.1", "198.18.0.1", "::", "::1", "::127.0.0.1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
     "fec0::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::7f00:1",
     "64:ff9b::a00:1", "64:ff9b:1::1", "2002:7f00:1::1", "2002:a9fe:a9fe::", "2001::1", "2001:db8::1", "100::1",
     "2001:2::1", "2001:10::1"],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert refusal_reason(ip_address(address)) is not None
    with pytest.raises(ForbiddenAddress):
        check_url(f"https://[{address}]/" if ":" in address else f"https://{address}/", allow_private=False)


def test_cgnat_space_is_refused_by_name_whatever_is_global_says() -> None:
    # ipaddress.is_global's treatment of 100.64.0.0/10 changed between Python releases; our table does not.
    assert refusal_reason(ip_address("100.100.100.200")) == "shared CGNAT space (RFC 6598)"


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.32.0.1", "192.169.0.1", "2606:4700::1",
     "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"],
)  # fmt: skip
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal_reason(ip_address(address)) is None


def test_the_development_switch_allows_http_and_loopback() -> None:
    assert str(check_url("http://127.0.0.1:8000/a#frag", allow_private=True)) == "http://127.0.0.1:8000/a"
    with pytest.raises(ForbiddenScheme):
        check_url("file:///etc/passwd", allow_private=True)


async def test_the_resolver_refuses_a_name_with_any_private_address(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 443)),
    ]

    async def getaddrinfo(*args: Any, **kwargs: Any) -> list[Any]:
        return answers

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)
    with pytest.raises(ForbiddenAddress):
        await GuardedResolver(allow_private=False).resolve("rebind.example", 443)
    del answers[1]
    resolved = await GuardedResolver(allow_private=False).resolve("rebind.example", 443)
    assert [(r["host"], r["port"]) for r in resolved] == [("93.184.215.14", 443)]


def test_a_signed_get_covers_request_target_host_and_date() -> None:
    headers = sign_get_headers(
        "https://peer.example/u/a?page=1#x", key_id="k", private_key=RSA_KEY, now=NOW, accept=AS2_ACCEPT
    )
    assert (headers["Host"], headers["Date"]) == ("peer.example", "Fri, 01 May 2026 12:00:00 GMT")
    message = HttpMessage("GET", "https://peer.example/u/a?page=1", tuple(headers.items()))
    parsed = cavage.verify_request(message, RSA_KEY.public_key(), now=STAMP)
    assert (parsed.key_id, parsed.algorithm) == ("k", "rsa-sha256")
    assert parsed.headers == GET_COVERED
    with pytest.raises(SignatureMismatch):
        cavage.verify_request(
            HttpMessage("GET", "https://peer.example/u/b", message.headers), RSA_KEY.public_key(), now=STAMP
        )
    on_a_port = sign_get_headers("http://127.0.0.1:8080/", key_id="k", private_key=RSA_KEY, now=NOW, accept="*/*")
    assert on_a_port["Host"] == "127.0.0.1:8080"


def signed_post(url: str, body: bytes, scheme: Literal["cavage", "rfc9421"], **keys: Any) -> dict[str, str]:
    arguments: dict[str, Any] = {"rsa_key": RSA_KEY, "ed25519_key": ED_KEY, "ed25519_key_id": ED_KEY_ID} | keys
    return sign_post_headers(url, body, key_id=SIGNER.key_id, scheme=scheme, now=NOW, **arguments)


def test_a_cavage_post_signs_the_digest_of_the_body() -> None:
    body = b'{"type": "Follow"}'
    headers = signed_post("https://peer.example/inbox", body, "cavage")
    message = HttpMessage("POST", "https://peer.example/inbox", tuple(headers.items()))
    required = ("(request-target)", "host", "date", "digest")
    assert cavage.verify_request(message, RSA_KEY.public_key(), now=STAMP, required=required).headers == required
    cavage.verify_digest(headers["Digest"], body)
    assert headers["Content-Type"] == "application/activity+json"
    with pytest.raises(DigestMismatch):
        cavage.verify_digest(headers["Digest"], body + b" ")


def test_an_rfc9421_post_signs_method_target_digest_and_type_with_ed25519() -> None:
    body = b'{"type": "Follow"}'
    headers = signed_post("https://peer.example/inbox", body, "rfc9421", rsa_key=None)
    message = HttpMessage("POST", "https://peer.example/inbox", tuple(headers.items()))
    verified = rfc9421.verify(message, ED_KEY.public_key(), label="sig1", alg="ed25519", now=STAMP)
    assert [item.value for item in verified.components] == ["@method", "@target-uri", "content-digest", "content-type"]
    assert dict(verified.params) == {"created": STAMP, "keyid": ED_KEY_ID, "alg": "ed25519"}
    rfc9421.verify_content_digest(headers["Content-Digest"], body)
    elsewhere = HttpMessage("POST", "https://peer.example/other", message.headers)
    for tampered, key in (
        (elsewhere, ED_KEY.public_key()),
        (message, ed25519.Ed25519PrivateKey.generate().public_key()),
    ):
        with pytest.raises(SignatureMismatch):
            rfc9421.verify(tampered, key, label="sig1", alg="ed25519", now=STAMP)


def test_signing_without_the_needed_key_or_an_aware_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="RSA"):
        signed_post("https://p.example/inbox", b"", "cavage", rsa_key=None)
    with pytest.raises(ValueError, match="Ed25519"):
        signed_post("https://p.example/inbox", b"", "rfc9421", ed25519_key_id=None)
    with pytest.raises(ValueError, match="timezone"):
        sign_get_headers("https://p.example/", key_id="k", private_key=RSA_KEY, now=datetime(2026, 1, 1), accept="*/*")
