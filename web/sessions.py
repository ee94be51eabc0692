"""Server-side sessions in Redis.

The browser holds only a random session id (cookie `sid`: HttpOnly, SameSite=Lax, Secure on https). Redis holds
`session:<sha256(id)>` → account id, so a leaked Redis dump does not yield usable cookies. Each account's session
hashes are kept in a set so a password change can end every other session. A new id is issued at log-in (no
session fixation). When Redis is down, `load` answers None and pages render as for a visitor.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from redis.asyncio import Redis
from redis.exceptions import RedisError

SESSION_COOKIE = "sid"
SESSION_TTL = 14 * 24 * 3600

log = logging.getLogger(__name__)


def _key(session_hash: str) -> str:
    return f"session:{session_hash}"


def _account_key(account_id: int) -> str:
    return f"account-sessions:{account_id}"


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def create(self, account_id: int) -> str:
        """A new session for `account_id`; returns the id for the cookie. Raises RedisError when Redis is down."""
        session_id = secrets.token_urlsafe(32)
        digest = _hash(session_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(_key(digest), str(account_id), ex=SESSION_TTL)
            pipe.sadd(_account_key(account_id), digest)
            pipe.expire(_account_key(account_id), SESSION_TTL)
            await pipe.execute()
        return session_id

    async def load(self, session_id: str) -> int | None:
        """The account of a live session (sliding expiry), or None: unknown, expired, or Redis unavailable."""
        try:
            value = await self.redis.getex(_key(_hash(session_id)), ex=SESSION_TTL)
        except RedisError as exc:
            log.warning("session store unavailable", extra={"fields": {"error": str(exc)}})
            return None
        return int(value) if value is not None else None

    async def end(self, session_id: str) -> None:
        digest = _hash(session_id)
        account = await self.redis.get(_key(digest))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(_key(digest))
            if account is not None:
                pipe.srem(_account_key(int(account)), digest)
            await pipe.execute()

    async def end_others(self, account_id: int, keep_session_id: str | None) -> None:
        keep = _hash(keep_session_id) if keep_session_id else None
        members = await self.redis.smembers(_account_key(account_id))
        others = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
        others = [digest for digest in others if digest != keep]
        if others:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.delete(*[_key(digest) for digest in others])
                pipe.srem(_account_key(account_id), *others)
                await pipe.execute()
