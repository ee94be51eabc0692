"""Who signs: the node's actors as URIs with their private keys.

Every activity leaves signed by its actor (a member, an organization, a forum Group or the node's Application
actor): the HTTP signature with the RSA key (`#main-key`, what Mastodon verifies) or Ed25519 for RFC 9421 peers,
and object proofs with the Ed25519 key (`#ed25519-key`, listed in the actor's assertionMethod).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from deliberate.accounts import service as accounts
from deliberate.clock import Clock
from deliberate.forums import service as forums
from deliberate.node import service as node
from deliberate.organizations import service as orgs
from deliberate.peers.service import Signer
from federation.crypto.multikey import own_private_key

NODE = Signer("application", 0)


@dataclass(frozen=True)
class Identity:
    actor: str
    rsa_key: rsa.RSAPrivateKey
    ed25519_key: ed25519.Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return f"{self.actor}#main-key"

    @property
    def proof_key_id(self) -> str:
        return f"{self.actor}#ed25519-key"


def actor_uri(base_url: str, kind: str, name: str) -> str:
    path = {"person": "u", "organization": "o", "group": "f"}[kind]
    return f"{base_url}/{path}/{name}"


async def load(conn: asyncpg.Connection, base_url: str, signer: Signer, *, clock: Clock) -> Identity:
    if signer.kind == "application":
        keys = await node.ensure_node_keys(conn, clock=clock)
        uri = f"{base_url}/actor"
        rsa_pem, ed_pem = keys.rsa_private_pem, keys.ed25519_private_pem
    else:
        if signer.kind == "person":
            name = (await accounts.access_account(conn, signer.id)).username
        elif signer.kind == "organization":
            name = (await orgs.access_organization_by_id(conn, signer.id)).slug
        else:
            name = (await forums.forum_by_id(conn, signer.id)).slug
        actor_keys = await node.ensure_actor_keys(conn, clock=clock, kind=signer.kind, actor_id=signer.id)
        uri = actor_uri(base_url, signer.kind, name)
        rsa_pem, ed_pem = actor_keys.rsa_private_pem, actor_keys.ed25519_private_pem
    rsa_key, ed_key = own_private_key(rsa_pem), own_private_key(ed_pem)
    assert isinstance(rsa_key, rsa.RSAPrivateKey) and isinstance(ed_key, ed25519.Ed25519PrivateKey)
    return Identity(uri, rsa_key, ed_key)
