"""Server-side sessions in Redis.

The browser holds only a random session id (cookie `sid`: HttpOnly, SameSite=Lax, Secure on https). Redis holds
`session:<sha256(id)>` → account id, so a leaked Redis dump does not yield usable cookies. Each account's session
hashes are kept in a set so a password change can end every other session. A new id is issued at log-in (no
session fixation). When Redis is down, `load` answers None and pages render as for a visitor.

Kiosk computers (web/handlers/kiosk.py): a session used on a shared computer also gets `session-idle:<hash>`, the
time of its last request by the node's clock, and ends once KIOSK_IDLE_SECONDS pass without one. The check is here,
on the server, so a browser left open or a copied cookie does not outlive the person who walked away; both keys also
expire in Redis after the same idle time, so nothing is left behind.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from deliberate.clock import Clock, SystemClock

SESSION_COOKIE = "sid"
SESSION_TTL = 14 * 24 * 3600
# Shared computers at ICT centres: a session there ends after ten minutes without a request.
KIOSK_IDLE_SECONDS = 10 * 60
# The browser of a kiosk computer carries this cookie, set by an operator; it names no one and lasts for years.
KIOSK_COOKIE = "kiosk"
KIOSK_COOKIE_AGE = 5 * 365 * 24 * 3600
# Set by the session middleware: this request comes from a kiosk computer.
KIOSK = web.RequestKey("kiosk", bool)

log = logging.getLogger(__name__)


def _key(session_hash: str) -> str:
    return f"session:{session_hash}"


def _account_key(account_id: int) -> str:
    return f"account-sessions:{account_id}"


def _idle_key(session_hash: str) -> str:
    return f"session-idle:{session_hash}"


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _kiosk_signature(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), f"kiosk:{nonce}".encode(), hashlib.sha256).hexdigest()


def new_kiosk_cookie(secret: str) -> str:
    """A value for the kiosk cookie: a random nonce and its HMAC under the node's secret, so nobody can make a
    browser a kiosk, or forge a kiosk for someone else's node, without an operator."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_kiosk_signature(secret, nonce)}"


def is_kiosk_cookie(secret: str, value: str | None) -> bool:
    if not value or value.count(".") != 1 or len(value) > 200:
        return False
    nonce, signature = value.split(".")
    return hmac.compare_digest(signature, _kiosk_signature(secret, nonce))


class SessionStore:
    def __init__(self, redis: Redis, clock: Clock | None = None) -> None:
        self.redis = redis
        self.clock = clock or SystemClock()

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

    async def load(self, session_id: str, *, kiosk: bool = False, activity: bool = True) -> int | None:
        """The account of a live session (sliding expiry), or None: unknown, expired, or Redis unavailable.

        A session with an idle limit (see `limit_idle`) that has gone unused for longer ends here. `kiosk`: the
        request comes from a kiosk computer, so a session without the limit yet (one begun before the computer was
        made a kiosk) gets it now. `activity=False`: a request the page makes by itself (a live-update stream
        reconnecting), which must not keep an abandoned kiosk session alive."""
        digest = _hash(session_id)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:  # one round trip, as for any session
                pipe.getex(_key(digest), ex=SESSION_TTL)
                pipe.get(_idle_key(digest))
                value, last_seen = await pipe.execute()
            if value is None:
                return None
            now = self.clock.now().timestamp()
            if last_seen is not None:
                idle = now - float(last_seen)
                if idle > KIOSK_IDLE_SECONDS:
                    await self.end(session_id)
                    return None
                if activity:
                    await self._touch_idle(digest, now)
                else:  # the idle time keeps running: give back the expiry the GETEX above pushed away
                    await self.redis.expire(_key(digest), max(1, math.ceil(KIOSK_IDLE_SECONDS - idle)))
            elif kiosk:
                await self._touch_idle(digest, now)
        except RedisError as exc:
            log.warning("session store unavailable", extra={"fields": {"error": str(exc)}})
            return None
        return int(value)

    async def limit_idle(self, session_id: str) -> None:
        """From now on the session ends after KIOSK_IDLE_SECONDS without a request (a kiosk computer's session)."""
        await self._touch_idle(_hash(session_id), self.clock.now().timestamp())

    async def _touch_idle(self, digest: str, now: float) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(_idle_key(digest), repr(now), ex=KIOSK_IDLE_SECONDS)
            pipe.expire(_key(digest), KIOSK_IDLE_SECONDS)
            await pipe.execute()

    async def end(self, session_id: str) -> None:
        digest = _hash(session_id)
        account = await self.redis.get(_key(digest))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(_key(digest), _idle_key(digest))
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
                pipe.delete(*[_key(digest) for digest in others], *[_idle_key(digest) for digest in others])
                pipe.srem(_account_key(account_id), *others)
                await pipe.execute()
