"""The hardened HTTP client: every request this node makes to a peer goes through one ``Fetcher``.

Any URL we fetch was named by a stranger (a key id, an ``inReplyTo``, a WebFinger handle), so the client is a
server-side request forgery surface and is built to refuse before it connects:

- **Scheme**: https only; plain http only with the development switch ``dev_allow_private_network``.
- **Addresses**: every non-public range is refused (``refusal_reason``): loopback, RFC 1918, link-local with the
  cloud metadata address, CGNAT (RFC 6598), multicast, unspecified, reserved and documentation ranges, IPv6 ULA,
  and the IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by the address inside.
  Literal IPs are checked here because aiohttp never asks a resolver about them; names are resolved by
  ``GuardedResolver``, which hands the connector only the addresses it checked, so a DNS answer cannot change
  between the check and the connect (no rebinding). A name with any non-public address is refused outright.
- **Redirects** are followed by hand, at most ``max_redirects`` hops, and every hop is checked again.
- **Time and size**: connect and read timeouts plus a total cap (a slow drip cannot hold a worker); bodies are
  read in chunks and abandoned past ``max_bytes``, counted after decompression.
- **Documents**: only AS2 media types; the ``id`` must be the URL the document came from after redirects, so a
  server can only speak for its own URLs (the same-origin rule of FEP-fe34).
- **Budget**: a ``FetchBudget`` caps how many fetches one incoming activity can cause.

One ``aiohttp.ClientSession`` is shared by the resolver, the inbox and the delivery worker so connections to a
busy peer are reused. Cookies are never kept: a peer must not be able to set state that we replay to another.
Every failure is a ``FetchError`` subclass with a readable message. This module does no retries and no database
work; the delivery policy and the resolver decide what a failure means.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from yarl import URL

from federation.discovery import AS2_MEDIA_TYPES, actor_link
from federation.http_signing import sign_get_headers

AS2_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
JRD_TYPES = frozenset({"application/jrd+json", "application/json"})  # RFC 7033 §10.2; many servers send json
REDIRECTS = frozenset({301, 302, 303, 307, 308})
POST_READ_LIMIT = 16 * 1024  # enough of an inbox's answer to explain a refusal, small enough to ignore abuse
POST_EXCERPT = 500
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]*))*$", re.IGNORECASE)
_NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
_HANDLE_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$")


class FetchError(Exception):
    """A request to a peer was refused by our rules or failed; ``str()`` explains which."""


class ForbiddenAddress(FetchError): ...  # the host is, or resolves to, a non-public address


class ForbiddenScheme(FetchError): ...  # not https (or http in development), or credentials in the URL


class TooLarge(FetchError): ...


class BadContentType(FetchError): ...


class IdMismatch(FetchError): ...  # the document's id is not the URL it was served from


class TooManyRedirects(FetchError): ...


class FetchFailed(FetchError):
    """Timeout, connection error or a non-2xx answer (``status`` is set for the latter)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class BudgetExhausted(FetchError): ...


class NotJson(FetchError): ...


@dataclass(frozen=True)
class FetchPolicy:
    allow_private: bool
    connect_timeout: float = 10.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 1_048_576
    max_redirects: int = 1
    user_agent: str = "deliberate/0.1 (ActivityPub)"


@dataclass(frozen=True)
class GetSigner:
    """Who signs our GETs (authorized fetch): usually the node's Application actor."""

    key_id: str
    private_key: RSAPrivateKey


@dataclass
class FetchBudget:
    """How many more fetches one unit of work may cause; every ``fetch_document`` spends one."""

    limit: int
    spent: int = 0

    def spend(self) -> None:
        if self.spent >= self.limit:
            raise BudgetExhausted(f"this activity already caused {self.limit} fetches")
        self.spent += 1


@dataclass(frozen=True)
class PostOutcome:
    status: int
    retry_after: str | None
    body_excerpt: str


# Checked in order; the first match names the reason. RFC 6890 and the IANA special-purpose registries.
_REFUSED_V4 = tuple(
    (ip_network(network), reason)
    for network, reason in (
        ("0.0.0.0/8", "unspecified / this network"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "shared CGNAT space (RFC 6598)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local, cloud metadata (RFC 3927)"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay anycast (RFC 7526)"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("198.18.0.0/15", "benchmarking (RFC 2544)"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved, broadcast"),
    )
)
_REFUSED_V6 = tuple(
    (ip_network(network), reason)
    for network, reason in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible, deprecated (RFC 4291 §2.5.5.1)"),
        ("64:ff9b:1::/48", "local-use NAT64 (RFC 8215)"),
        ("100::/64", "discard-only (RFC 6666)"),
        ("2001::/32", "Teredo (RFC 4380)"),
        ("2001:db8::/32", "documentation (RFC 3849)"),
        ("fc00::/7", "unique local (RFC 4193)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local, deprecated (RFC 3879)"),
        ("ff00::/8", "multicast"),
    )
)
_NAT64 = ip_network("64:ff9b::/96")  # RFC 6052 §2.1: the IPv4 address is the last 32 bits


def refusal_reason(address: IPv4Address | IPv6Address) -> str | None:
    """Why ``address`` is not a public unicast address we may connect to, or ``None`` when it is."""
    if isinstance(address, IPv6Address):
        # These forms reach an IPv4 host (RFC 4291 §2.5.5.2, RFC 6052, RFC 3056), so that host is what we judge.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = refusal_reason(embedded)
            return None if inner is None else f"embeds {embedded}: {inner}"
        refused = _REFUSED_V6
    else:
        refused = _REFUSED_V4
    for network, reason in refused:
        if address in network:
            return reason
    # The explicit tables come first because is_global's ranges changed between Python releases.
    return None if address.is_global else "not globally routable"


def check_address(address: str, *, allow_private: bool) -> None:
    """Raise ``ForbiddenAddress`` unless ``address`` (an IP literal) may be connected to."""
    if allow_private:
        return
    reason = refusal_reason(ip_address(address))
    if reason is not None:
        raise ForbiddenAddress(f"{address} is not a public address ({reason})")


def check_url(url: str | URL, *, allow_private: bool) -> URL:
    """Check scheme and literal host before any connection; return the URL in the form that is sent."""
    try:
        parsed = URL(url).with_fragment(None)
    except (ValueError, TypeError) as exc:
        raise ForbiddenScheme(f"{url!s} is not a URL") from exc
    allowed = ("https", "http") if allow_private else ("https",)
    if parsed.scheme not in allowed:
        raise ForbiddenScheme(f"{parsed.scheme or 'a relative URL'} is refused; only {' or '.join(allowed)}")
    if parsed.user is not None or parsed.password is not None:
        raise ForbiddenScheme("URLs with credentials are refused")
    host = parsed.host
    if not host:
        raise ForbiddenAddress(f"{url!s} names no host")
    try:
        ip_address(host)
    except ValueError:
        # 2130706433, 0x7f.1, 127.1: inet_aton spellings of an address that ip_address does not parse.
        if not allow_private and _NUMERIC_HOST.match(host.rstrip(".")):
            raise ForbiddenAddress(f"{host} is a numeric address in a non-canonical form") from None
    else:
        check_address(host, allow_private=allow_private)  # aiohttp never asks the resolver about a literal
    return parsed


def redirect_target(current: URL, location: str, *, allow_private: bool) -> URL:
    """The next hop, checked like the first: Location may be relative to the current URL (RFC 9110 §10.2.2)."""
    try:
        joined = current.join(URL(location))
    except ValueError as exc:
        raise FetchFailed(f"{current} redirected to an unusable Location {location!r}") from exc
    return check_url(joined, allow_private=allow_private)


class GuardedResolver(AbstractResolver):
    """Resolves with the loop's getaddrinfo and returns only addresses that passed ``refusal_reason``.

    The connector connects to exactly what this returns, so there is no second lookup an attacker's DNS
    server could answer differently (DNS rebinding).
    """

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
        results: list[ResolveResult] = []
        for fam, _, proto, _, sockaddr in infos:
            if fam not in (socket.AF_INET, socket.AF_INET6):
                continue
            address = str(sockaddr[0])
            # A name with even one non-public address is refused: mixing them is how rebinding attacks look.
            check_address(address, allow_private=self.allow_private)
            results.append(
                ResolveResult(hostname=host, host=address, port=port, family=fam, proto=proto, flags=_NUMERIC)
            )
        if not results:
            raise OSError(f"{host} has no IPv4 or IPv6 address")
        return results

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class _Reply:
    url: str
    status: int
    retry_after: str | None
    body: bytes


class Fetcher:
    """``async with Fetcher(policy) as fetcher``: one guarded session for every request to peers."""

    def __init__(self, policy: FetchPolicy, *, now: Callable[[], datetime] | None = None) -> None:
        self.policy = policy
        self._now = now or (lambda: datetime.now(UTC))
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        self._client()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            policy = self.policy
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(allow_private=policy.allow_private), use_dns_cache=False
            )
            timeout = aiohttp.ClientTimeout(
                total=policy.total_timeout, sock_connect=policy.connect_timeout, sock_read=policy.read_timeout
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=timeout,
                headers={"User-Agent": policy.user_agent},
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,  # an environment proxy would connect for us, past the address checks
            )
        return self._session

    async def fetch_document(
        self, url: str, *, signer: GetSigner | None = None, budget: FetchBudget | None = None
    ) -> dict[str, Any]:
        """GET an ActivityStreams document whose ``id`` is the URL it was served from."""
        if budget is not None:
            budget.spend()

        def headers_for(target: str) -> dict[str, str]:
            if signer is None:
                return {"Accept": AS2_ACCEPT}
            return sign_get_headers(
                target, key_id=signer.key_id, private_key=signer.private_key, now=self._now(), accept=AS2_ACCEPT
            )

        reply = await self._exchange("GET", url, headers_for, None, types=AS2_MEDIA_TYPES)
        document = _json_object(reply)
        claimed = document.get("id")
        if not isinstance(claimed, str) or not _same_url(claimed, reply.url):
            raise IdMismatch(f"the document served at {reply.url} claims the id {claimed!r}")
        return document

    async def webfinger(self, handle: str, *, prefer: Collection[str] = ()) -> str:
        """The ActivityPub actor URI of ``name@host`` (RFC 7033, the ``self`` link Mastodon publishes): of the actor
        of a type in ``prefer`` when the server lists several under that name (`discovery.actor_link`)."""
        name, _, host = handle.removeprefix("@").rpartition("@")
        if not name or not _HANDLE_HOST.match(host):
            raise FetchFailed(f"{handle!r} is not a name@host handle")
        scheme = "http" if self.policy.allow_private else "https"
        url = URL.build(
            scheme=scheme, authority=host, path="/.well-known/webfinger", query={"resource": f"acct:{name}@{host}"}
        )
        accept = {"Accept": "application/jrd+json, application/json;q=0.5"}
        reply = await self._exchange("GET", str(url), lambda _: accept, None, types=JRD_TYPES)
        href = actor_link(_json_object(reply), prefer=prefer)
        if href is not None:
            return href
        raise FetchFailed(f"WebFinger for {name}@{host} has no ActivityPub self link")

    async def post_signed(self, url: str, body: bytes, headers: dict[str, str]) -> PostOutcome:
        """POST an already signed body; any answer is an outcome, only network failures raise."""
        reply = await self._exchange("POST", url, lambda _: headers, body, types=None)
        excerpt = reply.body.decode("utf-8", errors="replace")[:POST_EXCERPT]
        return PostOutcome(reply.status, reply.retry_after, excerpt)

    async def _exchange(
        self,
        method: str,
        url: str,
        headers_for: Callable[[str], dict[str, str]],
        body: bytes | None,
        *,
        types: frozenset[str] | None,
    ) -> _Reply:
        """One request, plus redirects for documents (``types`` set); POSTs return whatever was answered."""
        follow = self.policy.max_redirects if types is not None else 0
        target = check_url(url, allow_private=self.policy.allow_private)
        for hop in range(follow + 1):
            try:
                async with self._client().request(
                    method, target, headers=headers_for(str(target)), data=body, allow_redirects=False
                ) as response:
                    status = response.status
                    if types is None:
                        data = await _read_capped(response, POST_READ_LIMIT, strict=False)
                        return _Reply(str(target), status, response.headers.get("Retry-After"), data)
                    if status in REDIRECTS:
                        location = response.headers.get("Location")
                        if location is None:
                            raise FetchFailed(f"{target} redirected without a Location", status=status)
                        if hop == follow:
                            raise TooManyRedirects(f"{target} redirected again; at most {follow} redirects")
                        target = redirect_target(target, location, allow_private=self.policy.allow_private)
                        continue
                    if not 200 <= status < 300:
                        raise FetchFailed(f"{target} answered HTTP {status}", status=status)
                    if response.content_type not in types:
                        raise BadContentType(f"{target} served {response.content_type}, not {' or '.join(types)}")
                    data = await _read_capped(response, self.policy.max_bytes, strict=True)
                    return _Reply(str(target), status, response.headers.get("Retry-After"), data)
            except TimeoutError:
                raise FetchFailed(f"{target} timed out") from None
            except aiohttp.ClientError as exc:
                raise FetchFailed(f"{target}: {type(exc).__name__}: {exc}") from None
        raise AssertionError("the loop returns or raises on its last hop")


async def _read_capped(response: aiohttp.ClientResponse, limit: int, *, strict: bool) -> bytes:
    """At most ``limit`` bytes of the (decompressed) body; ``strict`` raises ``TooLarge`` instead of truncating."""
    if strict and response.content_length is not None and response.content_length > limit:
        raise TooLarge(f"{response.url} announces {response.content_length} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            if strict:
                raise TooLarge(f"{response.url} sent more than {limit} bytes")
            chunks.append(chunk[: len(chunk) - (size - limit)])
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _json_object(reply: _Reply) -> dict[str, Any]:
    try:
        data = json.loads(reply.body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # deep nesting fits in a capped body
        raise NotJson(f"{reply.url} did not send valid JSON") from exc
    if not isinstance(data, dict):
        raise NotJson(f"{reply.url} sent JSON that is not an object")
    return data


def _same_url(claimed: str, served: str) -> bool:
    """Whether an ``id`` names the URL it was served from, compared in the encoded form aiohttp sent."""
    try:
        return str(URL(claimed)) == served
    except ValueError:
        return False
