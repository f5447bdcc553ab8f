"""Fixtures of the fault-injection tier: the service behind proxies the tests control.

PostgreSQL and Redis are the machine's (or CI's) shared servers, reached only through a
`FaultProxy` per test, so stopping or freezing a dependency is the proxy's doing and never
touches the servers themselves. Each test gets a PostgreSQL schema and a Redis key prefix of
its own. Timeouts are shortened (the defaults are a few seconds) so the tier stays quick; the
bound each test asserts is derived from them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr
from redis import Redis, RedisError
from tasks.conftest import (
    PG_DSN,
    REDIS_URL,
    Api,
    make_settings,
    private_schema,
    service_missing,
)

from tasks_service import migrate
from tasks_service.app import build_app
from tasks_service.core.config import Settings
from tasks_service.core.db import create_engine
from tasks_service.deps import Deps

from .proxy import FaultProxy

# Short, so each outage test takes seconds; the bounds below follow from them.
TIMEOUTS: dict[str, object] = {
    "database_connect_timeout_seconds": 1.0,
    "database_statement_timeout_seconds": 1.0,
    "database_pool_timeout_seconds": 1.0,
    "redis_connect_timeout_seconds": 0.5,
    "redis_timeout_seconds": 0.5,
    "request_timeout_seconds": 3.0,
    "retry_after_seconds": 2,
}
# Small pools: the PostgreSQL server is shared, and a pool timeout is one more fault to meet.
POOL = {"database_pool_size": 2, "database_max_overflow": 2}
# Nothing may take longer than the request deadline, plus scheduling slack on a busy machine.
BOUND_SECONDS = 3.0 + 1.5


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host).geturl()


def _with_query(url: str, query: str) -> str:
    parts = urlsplit(url)
    return parts._replace(query=f"{parts.query}&{query}" if parts.query else query).geturl()


@pytest.fixture
def pg_schema() -> Iterator[str]:
    with private_schema(f"tasks_faults_{uuid.uuid4().hex[:12]}") as schema:
        yield schema


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"tasks-faults:{uuid.uuid4().hex}:"
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except RedisError as exc:
        client.close()
        service_missing(f"Redis at {REDIS_URL}", repr(exc))
    try:
        yield prefix
        forget(client, prefix)
    finally:
        client.close()


def forget(client: Redis, prefix: str) -> None:
    """Delete this test's keys: what a Redis restart without persistence does to them."""
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
async def pg_proxy() -> AsyncIterator[FaultProxy]:
    proxy = await FaultProxy(*_host_port(PG_DSN, 5432)).start()
    try:
        yield proxy
    finally:
        await proxy.close()


@pytest.fixture
async def redis_proxy() -> AsyncIterator[FaultProxy]:
    proxy = await FaultProxy(*_host_port(REDIS_URL, 6379)).start()
    try:
        yield proxy
    finally:
        await proxy.close()


@dataclass(frozen=True)
class Stack:
    """Where an instance of the service finds its dependencies (through the proxies)."""

    values: dict[str, object]

    def settings(self, **overrides: object) -> Settings:
        return make_settings(**{**self.values, **overrides})


@pytest.fixture
async def stack(
    pg_proxy: FaultProxy, redis_proxy: FaultProxy, pg_schema: str, redis_prefix: str
) -> Stack:
    built = Stack(
        {
            # No SSL negotiation: the local server has none, and a frozen proxy would leave
            # asyncpg's negotiation future failed and never awaited (an asyncio error log).
            "database_url": _with_query(_with_port(PG_DSN, pg_proxy.port), "ssl=disable"),
            "database_schema": pg_schema,
            "redis_url": _with_port(REDIS_URL, redis_proxy.port),
            "redis_key_prefix": redis_prefix,
            "jwt_secret": SecretStr("f" * 40),
            **TIMEOUTS,
            **POOL,
        }
    )
    # Migrate with the default (longer) timeouts: set-up is not what is under test.
    engine = create_engine(built.settings(**{key: _DEFAULTS[key] for key in TIMEOUTS}))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    return built


_DEFAULTS = {name: field.default for name, field in Settings.model_fields.items()}

InstanceFactory = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
def instance(stack: Stack) -> InstanceFactory:
    """`async with instance() as api`: one instance of the service (its own pools and clients)
    over the shared, proxied dependencies. Several may run at once, as several processes."""

    @asynccontextmanager
    async def build(**overrides: object) -> AsyncIterator[Api]:
        deps = Deps.from_settings(stack.settings(**overrides))
        transport = httpx.ASGITransport(app=build_app(deps), client=("198.51.100.9", 40000))
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://tasks.test", timeout=30
            ) as client:
                yield Api(client, deps)
        finally:
            await deps.close()

    return build
