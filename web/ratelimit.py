"""Log-in rate limiting in Redis: a fixed window per (client address, username) and a wider one per address.

Counting per pair stops password guessing against one member without letting a stranger lock that member out from
another address; the per-address limit stops spraying many usernames. Counters are single Redis commands, so
several web processes share them.
"""

from __future__ import annotations

import math

from redis.asyncio import Redis

from deliberate.errors import RateLimited

PER_ADDRESS_FACTOR = 4


class LoginLimiter:
    def __init__(self, redis: Redis, *, attempts: int, window_seconds: int) -> None:
        self.redis = redis
        self.attempts = attempts
        self.window = window_seconds

    def _keys(self, address: str, username: str) -> tuple[str, str]:
        return f"login-fail:{address}:{username.lower()}", f"login-fail:{address}"

    async def check(self, address: str, username: str) -> None:
        """Raise RateLimited when too many recent failures; RedisError propagates (the caller answers 503)."""
        pair, wide = self._keys(address, username)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(pair)
            pipe.get(wide)
            pipe.ttl(pair)
            pipe.ttl(wide)
            pair_count, wide_count, pair_ttl, wide_ttl = await pipe.execute()
        blocked_ttl = []
        if int(pair_count or 0) >= self.attempts:
            blocked_ttl.append(pair_ttl)
        if int(wide_count or 0) >= self.attempts * PER_ADDRESS_FACTOR:
            blocked_ttl.append(wide_ttl)
        if blocked_ttl:
            raise RateLimited(minutes=max(1, math.ceil(max(int(t) for t in blocked_ttl) / 60)))

    async def failed(self, address: str, username: str) -> None:
        for key in self._keys(address, username):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.ttl(key)
                _, ttl = await pipe.execute()
            if int(ttl) < 0:  # first failure in the window starts the window
                await self.redis.expire(key, self.window)

    async def succeeded(self, address: str, username: str) -> None:
        await self.redis.delete(self._keys(address, username)[0])
