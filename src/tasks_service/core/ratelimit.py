"""Rate limits: fixed windows counted by the `limits` library, in Redis or in this process.

With `REDIS_URL` every instance counts in the same Redis (keys under `<prefix>rl:`); without it
each process counts alone, which is right for one instance and for tests. Redis calls are
bounded by the connect and command timeouts in the settings and are not retried, so a Redis
that is down or frozen makes a limited operation answer 503 within about a second.
"""

from __future__ import annotations

import math
import time
from typing import Any

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from tasks_service.core.config import Settings


class RateLimiter:
    """Counts attempts per key; says how long to wait once a key is over its limit."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._limiter = FixedWindowRateLimiter(storage)

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        if not settings.redis_url:
            return cls(MemoryStorage())
        storage = RedisStorage(
            "async+" + settings.redis_url,
            implementation="redispy",
            key_prefix=settings.redis_key_prefix + "rl",
            wrap_exceptions=True,
            socket_connect_timeout=settings.redis_connect_timeout_seconds,
            socket_timeout=settings.redis_timeout_seconds,
            retry=Retry(NoBackoff(), 0),  # type: ignore[arg-type]  # passed on to redis-py
        )
        return cls(storage)

    async def hit(self, key: str, limit: int, window: int) -> int | None:
        """Count one attempt; the seconds to wait if this one is over `limit` per `window`."""
        item = RateLimitItemPerSecond(limit, window)
        if await self._limiter.hit(item, key):
            return None
        reset_at, _ = await self._limiter.get_window_stats(item, key)
        return max(1, math.ceil(reset_at - time.time()))

    async def reset(self, key: str, limit: int, window: int) -> None:
        await self._limiter.clear(RateLimitItemPerSecond(limit, window), key)

    async def ping(self) -> bool:
        return await self._storage.check()

    async def close(self) -> None:
        if isinstance(self._storage, RedisStorage):
            client: Any = getattr(self._storage.bridge, "storage", None)  # redis-py's client
            if client is not None:
                await client.aclose()
