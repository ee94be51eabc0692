"""Node identity: generated once, on the first start, and kept in PostgreSQL with the rest of the node's truth.

Two processes starting together may both generate keys; `ON CONFLICT DO NOTHING` keeps the first and both read it
back, so a node never has two identities.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Literal

import asyncpg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from deliberate.clock import Clock
from deliberate.node import queries
from deliberate.node.model import ActorKeys, NodeKeys


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key (what Mastodon verifies); run in a thread: it takes from tens to hundreds of ms."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


async def ensure_node_keys(conn: asyncpg.Connection, *, clock: Clock) -> NodeKeys:
    existing = await queries.get_node_keys(conn)
    if existing is not None:
        return existing
    rsa_key = await asyncio.to_thread(new_rsa_key)
    await queries.insert_node_keys_if_absent(
        conn,
        rsa_private_pem=_pem(rsa_key),
        ed25519_private_pem=_pem(ed25519.Ed25519PrivateKey.generate()),
        now=clock.now(),
    )
    keys = await queries.get_node_keys(conn)
    assert keys is not None
    return keys


ActorKind = Literal["person", "organization", "group"]


async def ensure_actor_keys(conn: asyncpg.Connection, *, clock: Clock, kind: ActorKind, actor_id: int) -> ActorKeys:
    """The actor's keys, made on first use (concurrent first uses agree: the first insert wins)."""
    existing = await queries.get_actor_keys(conn, kind=kind, actor_id=actor_id)
    if existing is not None:
        return existing
    rsa_key = await asyncio.to_thread(new_rsa_key)
    await queries.insert_actor_keys_if_absent(
        conn,
        kind=kind,
        actor_id=actor_id,
        rsa_private_pem=_pem(rsa_key),
        ed25519_private_pem=_pem(ed25519.Ed25519PrivateKey.generate()),
        now=clock.now(),
    )
    keys = await queries.get_actor_keys(conn, kind=kind, actor_id=actor_id)
    assert keys is not None
    return keys


async def rotate_keys(conn: asyncpg.Connection, *, clock: Clock, kind: ActorKind | Literal["application"],
                      actor_id: int) -> None:  # fmt: skip
    """New key pairs for an actor (or the node itself); the old ones are gone. Peers learn the new public keys
    from the actor's Update (sent by the federation layer) or when a signature fails and they fetch the actor."""
    rsa_key = await asyncio.to_thread(new_rsa_key)
    pems = {"rsa_private_pem": _pem(rsa_key), "ed25519_private_pem": _pem(ed25519.Ed25519PrivateKey.generate())}
    if kind == "application":
        await ensure_node_keys(conn, clock=clock)
        await queries.replace_node_keys(conn, now=clock.now(), **pems)
    else:
        await queries.replace_actor_keys(conn, kind=kind, actor_id=actor_id, now=clock.now(), **pems)


async def usage(conn: asyncpg.Connection, *, clock: Clock) -> dict[str, int]:
    now = clock.now()
    return await queries.count_usage(conn, month_ago=now - timedelta(days=30), halfyear_ago=now - timedelta(days=180))
