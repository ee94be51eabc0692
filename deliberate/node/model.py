"""The node's own identity: the keys its Application actor signs with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ActorKeys:
    """An actor's key pair in PEM: RSA-2048 for draft-cavage signatures, Ed25519 for RFC 9421 and FEP-8b32."""

    rsa_private_pem: str
    ed25519_private_pem: str


@dataclass(frozen=True)
class NodeKeys:
    rsa_private_pem: str
    ed25519_private_pem: str
    created_at: datetime
