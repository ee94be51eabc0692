"""A stand-in for a Mastodon or Lemmy server on loopback, speaking the documents those programs really send.

Every document comes from ../shared/fixtures/activitypub/<program> (captured from the real programs) and is rewritten
only where it must be to live here (`rehost`): the program's URLs move to this server's base, the URLs it points at
move to the node under test, the key becomes a fresh RSA key and dates become now. Everything else (contexts,
`toot:` extensions, `contentMap`, `tag`, `conversation`, `atomUri`, Lemmy's `audience`, `language`, `distinguished`…)
stays as the program sends it, so the node's parser and processing meet the real shapes.

The server serves its actor's document (and any other document a test hands to `serve`, such as a Lemmy community
from `group` with its outbox and posts, found by WebFinger as `!name@host`), records every POST to any of its inboxes
after checking its draft-cavage signature with the key published by the signer's own actor document (fetched from the
node, as Mastodon does), and sends activities signed as Mastodon and Lemmy sign them: rsa-sha256 over
`(request-target) host date digest`.
"""

from __future__ import annotations

import json
import re
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.crypto import cavage
from federation.crypto.errors import SignatureError
from federation.crypto.message import HttpMessage
from federation.crypto.multikey import PublicKey, load_public_key_pem, public_key_to_pem
from federation.http_signing import POST_COVERED, sign_post_headers

AS2 = "application/activity+json"


def rehost(document: Any, mapping: dict[str, str]) -> Any:
    """The document with every occurrence of a mapping key (a URL or URL prefix) in any string replaced; the
    longest key wins, and a replaced text is never replaced again."""
    pattern = re.compile("|".join(re.escape(key) for key in sorted(mapping, key=len, reverse=True)))

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(lambda match: mapping[match[0]], value)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {name: walk(item) for name, item in value.items()}
        return value

    return walk(document)


def dated_now(document: Any) -> Any:
    """The document with every `published` and `updated` set to now: the activity is being sent now."""
    if isinstance(document, list):
        return [dated_now(item) for item in document]
    if not isinstance(document, dict):
        return document
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {name: now if name in ("published", "updated") else dated_now(v) for name, v in document.items()}


def origins(uri: str) -> list[str]:
    """Both schemes of a URL's origin: the fixtures mix http and https for the same Lemmy host."""
    host = urlsplit(uri).netloc
    return [f"https://{host}", f"http://{host}"]


@dataclass
class Received:
    """One POST that reached an inbox here; `error` is None when its signature and digest verified."""

    path: str
    body: dict[str, Any]
    key_id: str | None
    error: str | None


@dataclass
class FakeServer:
    fixtures: Path
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    base: str = ""
    actor: dict[str, Any] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None
    _keys: dict[str, PublicKey] = field(default_factory=dict)

    async def start(self, person: str) -> FakeServer:
        """Listen on a free loopback port and serve the person of fixture `person` (e.g. objects/person.json)."""
        app = web.Application()
        app.router.add_get("/{path:.*}", self._serve)
        app.router.add_post("/{path:.*}", self._inbox)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._session = aiohttp.ClientSession()
        document = self.load(person)
        document = rehost(document, dict.fromkeys(origins(document["id"]), self.base))
        document["publicKey"]["publicKeyPem"] = public_key_to_pem(self.key.public_key())
        self.actor = document
        return self

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def actor_id(self) -> str:
        return str(self.actor["id"])

    @property
    def handle(self) -> str:
        return f"{self.actor['preferredUsername']}@{urlsplit(self.base).netloc}"

    def load(self, name: str) -> dict[str, Any]:
        data = json.loads((self.fixtures / name).read_text())
        assert isinstance(data, dict)
        return data

    def serve(self, document: dict[str, Any]) -> None:
        """Serve `document` at its id (a URL of this server), as the program answers a GET of it."""
        assert str(document["id"]).startswith(self.base + "/"), document["id"]
        self.documents[document["id"]] = document

    def group(self, name: str) -> dict[str, Any]:
        """The Group of fixture `name` (Lemmy's objects/group.json, a community) living here: served, found by
        WebFinger, and holding our key, so that what it sends can be signed by it (`send(..., signer=group)`)."""
        document = self.load(name)
        document = rehost(document, dict.fromkeys(origins(document["id"]), self.base))
        document["publicKey"]["publicKeyPem"] = public_key_to_pem(self.key.public_key())
        self.serve(document)
        return document

    def activity(self, name: str, targets: dict[str, str], *, embed: str | None = None) -> dict[str, Any]:
        """The activity of fixture `name` as our person sends it now: its actor (and an embedded object's author)
        become our person, URLs on their servers move here, and `targets` (fixture URL → node URL) say where what
        it points at lives. `embed` replaces the embedded object by the object of that fixture first (Lemmy's
        comment.json inside the Create of create_or_update/create_comment.json)."""
        document = self.load(name)
        if embed is not None:
            document["object"] = {k: v for k, v in self.load(embed).items() if k != "@context"}  # one, at the top
        people = [document["actor"]]
        if isinstance(document["object"], dict):
            people += [document["object"].get("attributedTo"), document["object"].get("actor")]
        mapping: dict[str, str] = {}
        for uri in [document["id"], *[p for p in people if isinstance(p, str)]]:
            mapping |= dict.fromkeys(origins(uri), self.base)
        mapping |= {person: self.actor_id for person in people if isinstance(person, str)}
        sent: dict[str, Any] = dated_now(rehost(document, mapping | targets))
        return sent

    async def send(self, url: str, activity: dict[str, Any], *,
                   signer: dict[str, Any] | None = None) -> tuple[int, str]:  # fmt: skip
        """POST the activity to an inbox of the node, signed by our person's key (draft-cavage rsa-sha256), or by
        the key of `signer` (a `group` of ours)."""
        assert self._session is not None
        body = json.dumps(activity).encode()
        key_id = (signer or self.actor)["publicKey"]["id"]
        headers = sign_post_headers(url, body, key_id=key_id, rsa_key=self.key,
                                    ed25519_key=None, ed25519_key_id=None, scheme="cavage",
                                    now=datetime.now(UTC))  # fmt: skip
        async with self._session.post(url, data=body, headers=headers) as response:
            return response.status, await response.text()

    async def fetch(self, url: str) -> dict[str, Any] | None:
        """A document of the node as Mastodon would fetch it (None when it does not serve one)."""
        assert self._session is not None
        async with self._session.get(url, headers={"Accept": AS2}) as response:
            if response.status != 200 or response.content_type != AS2:
                return None
            document: dict[str, Any] = await response.json()
            return document

    def received_of(self, kind: str) -> list[Received]:
        return [item for item in self.received if item.body.get("type") == kind]

    async def _serve(self, request: web.Request) -> web.Response:
        url = self.base + request.path
        self.fetched.append(self.base + request.path_qs)
        if url == self.actor_id:
            return web.Response(text=json.dumps(self.actor), content_type=AS2)
        if self.base + request.path_qs in self.documents:  # with its query: Mastodon's `?page=true`
            return web.Response(text=json.dumps(self.documents[self.base + request.path_qs]), content_type=AS2)
        if request.path == "/.well-known/webfinger":
            return self._webfinger(request.query.get("resource", ""))
        raise web.HTTPNotFound()

    def _webfinger(self, resource: str) -> web.Response:
        """RFC 7033 for `acct:name@host`, answered as Lemmy does: the actor's `self` link."""
        name, _, host = resource.removeprefix("acct:").partition("@")
        for actor in (self.actor, *self.documents.values()):
            if "inbox" in actor and actor.get("preferredUsername") == name and host == urlsplit(self.base).netloc:
                links = [{"rel": "self", "type": AS2, "href": actor["id"]}]
                return web.json_response({"subject": resource, "links": links}, content_type="application/jrd+json")
        raise web.HTTPNotFound()

    async def _inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        message = HttpMessage(method="POST", url=self.base + request.path_qs, headers=tuple(request.headers.items()))
        key_id: str | None = None
        try:
            key_id = cavage.parse_signature_header(request.headers.get("Signature", "")).key_id
            cavage.verify_request(
                message, await self._public_key(key_id), now=int(datetime.now(UTC).timestamp()), required=POST_COVERED
            )
            cavage.verify_digest(request.headers.get("Digest", ""), body)
            error = None
        except (SignatureError, aiohttp.ClientError, KeyError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        self.received.append(Received(request.path, json.loads(body), key_id, error))
        return web.Response(status=202 if error is None else 401)

    async def _public_key(self, key_id: str) -> PublicKey:
        if key_id not in self._keys:
            assert self._session is not None
            async with self._session.get(urldefrag(key_id).url, headers={"Accept": AS2}) as response:
                document = await response.json(content_type=None)
            if document["publicKey"]["id"] != key_id:
                raise ValueError(f"{key_id} is not the key its actor publishes")
            self._keys[key_id] = load_public_key_pem(document["publicKey"]["publicKeyPem"])
        return self._keys[key_id]
