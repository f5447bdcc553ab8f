"""State several instances must share: rate-limit counters and revoked tokens.

`RedisStore` keeps it in Redis (set `REDIS_URL`); `MemoryStore` keeps it in this process, which
is right for one instance and for tests. Both expire entries by themselves.
"""

from __future__ import annotations

import math
import time
from typing import Protocol

from redis.asyncio import Redis


class Store(Protocol):
    async def hit(self, key: str, limit: int, window: int) -> int | None:
        """Count one attempt; the seconds to wait if this exceeds `limit` per `window`."""
        ...

    async def reset(self, key: str) -> None: ...

    async def revoke(self, key: str, ttl: int) -> None:
        """Remember `key` as revoked for `ttl` seconds (as long as what it names stays valid)."""
        ...

    async def is_revoked(self, *keys: str) -> bool: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class MemoryStore:
    """In-process store: fixed windows and revocations that expire on a monotonic clock."""

    def __init__(self) -> None:
        self._counters: dict[str, tuple[float, int]] = {}
        self._revoked: dict[str, float] = {}

    def _sweep(self, now: float) -> None:
        if len(self._counters) > 10_000:
            self._counters = {k: v for k, v in self._counters.items() if v[0] > now}
        if len(self._revoked) > 10_000:
            self._revoked = {k: v for k, v in self._revoked.items() if v > now}

    async def hit(self, key: str, limit: int, window: int) -> int | None:
        now = time.monotonic()
        self._sweep(now)
        ends, count = self._counters.get(key, (now + window, 0))
        if ends <= now:
            ends, count = now + window, 0
        count += 1
        self._counters[key] = (ends, count)
        return max(1, math.ceil(ends - now)) if count > limit else None

    async def reset(self, key: str) -> None:
        self._counters.pop(key, None)

    async def revoke(self, key: str, ttl: int) -> None:
        now = time.monotonic()
        self._sweep(now)
        self._revoked[key] = now + max(ttl, 1)

    async def is_revoked(self, *keys: str) -> bool:
        now = time.monotonic()
        return any(self._revoked.get(key, 0.0) > now for key in keys)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class RedisStore:
    """Redis store: `SET NX EX` opens a window, `INCR` counts in it, its TTL is the wait."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis: Redis = Redis.from_url(url)
        self._prefix = prefix

    async def hit(self, key: str, limit: int, window: int) -> int | None:
        name = f"{self._prefix}rl:{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(name, 0, ex=window, nx=True)
            pipe.incr(name)
            pipe.ttl(name)
            _, count, ttl = await pipe.execute()
        return max(1, int(ttl)) if int(count) > limit else None

    async def reset(self, key: str) -> None:
        await self._redis.delete(f"{self._prefix}rl:{key}")

    async def revoke(self, key: str, ttl: int) -> None:
        await self._redis.set(f"{self._prefix}revoked:{key}", 1, ex=max(ttl, 1))

    async def is_revoked(self, *keys: str) -> bool:
        if not keys:
            return False
        count = await self._redis.exists(*(f"{self._prefix}revoked:{key}" for key in keys))
        return int(count) > 0

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()
