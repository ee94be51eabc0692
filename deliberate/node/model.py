"""The node's own identity: the keys its Application actor signs with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NodeKeys:
    rsa_private_pem: str
    ed25519_private_pem: str
    created_at: datetime
