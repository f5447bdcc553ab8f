"""Rate-limit counters (the `limits` library), in process and in Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tasks_service.core.ratelimit import RateLimiter

from .conftest import REDIS_URL, make_settings

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        yield RateLimiter.from_settings(make_settings())
        return
    prefix: str = request.getfixturevalue("redis_prefix")
    redis_limiter = RateLimiter.from_settings(
        make_settings(redis_url=REDIS_URL, redis_key_prefix=prefix)
    )
    try:
        yield redis_limiter
    finally:
        await redis_limiter.close()


async def test_limit_allows_then_refuses_with_wait(limiter: RateLimiter) -> None:
    assert await limiter.hit("k", limit=2, window=60) is None
    assert await limiter.hit("k", limit=2, window=60) is None
    wait = await limiter.hit("k", limit=2, window=60)
    assert wait is not None
    assert 1 <= wait <= 60
    assert await limiter.hit("other", limit=2, window=60) is None
    await limiter.reset("k", limit=2, window=60)
    assert await limiter.hit("k", limit=2, window=60) is None
    assert await limiter.ping()
