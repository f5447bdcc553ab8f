"""Rate-limit counters and revocations, in process and in Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tasks_service.stores import MemoryStore, RedisStore, Store

from .conftest import REDIS_URL

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    prefix: str = request.getfixturevalue("redis_prefix")
    redis_store = RedisStore(REDIS_URL, prefix=prefix)
    try:
        yield redis_store
    finally:
        await redis_store.close()


async def test_limit_allows_then_refuses_with_wait(store: Store) -> None:
    assert await store.hit("k", limit=2, window=60) is None
    assert await store.hit("k", limit=2, window=60) is None
    wait = await store.hit("k", limit=2, window=60)
    assert wait is not None
    assert 1 <= wait <= 60
    assert await store.hit("other", limit=2, window=60) is None
    await store.reset("k")
    assert await store.hit("k", limit=2, window=60) is None


async def test_revocation(store: Store) -> None:
    assert not await store.is_revoked("jti:a", "sid:b")
    await store.revoke("sid:b", ttl=60)
    assert await store.is_revoked("jti:a", "sid:b")
    assert not await store.is_revoked("jti:a")
    assert await store.ping()
