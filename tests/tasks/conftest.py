"""Fixtures for the Tasks service: a migrated database per backend, fresh tables per test.

`database` is parametrized over SQLite and PostgreSQL. PostgreSQL tests carry the `postgres`
marker; they skip when the server at 127.0.0.1:5432 does not answer, unless
SPECFIRST_REQUIRE_SERVICES=1 (CI), where they fail. Each run uses its own PostgreSQL schema,
dropped at the end, so concurrent runs do not collide.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from redis import Redis, RedisError
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from tasks_service import migrate
from tasks_service.app import build_app
from tasks_service.core.config import Settings
from tasks_service.core.db import create_engine
from tasks_service.core.ratelimit import RateLimiter
from tasks_service.deps import Deps
from tasks_service.orm.tables import Base, UserRow

# The machine's services; overridable for other set-ups.
PG_DSN = os.environ.get("TASKS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TASKS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("SPECFIRST_REQUIRE_SERVICES") == "1"


def service_missing(what: str, why: str) -> None:
    """Skip (locally) or fail (CI) a test whose real service is not there."""
    message = f"{what} not available: {why}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (SPECFIRST_REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"tasks-test:{uuid.uuid4().hex}:"
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except RedisError as exc:
        client.close()
        service_missing(f"Redis at {REDIS_URL}", repr(exc))
    try:
        yield prefix
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Fast Argon2 parameters for tests; production defaults are in Settings.
FAST_HASH = {"argon2_time_cost": 1, "argon2_memory_cost_kib": 1024, "argon2_parallelism": 1}


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"environment": "test", "json_logs": True, **FAST_HASH}
    values.update(overrides)
    return Settings.model_validate(values)


@dataclass(frozen=True)
class Database:
    kind: str
    url: str
    schema: str | None

    def settings(self, **overrides: object) -> Settings:
        return make_settings(database_url=self.url, database_schema=self.schema, **overrides)


@contextmanager
def private_schema(name: str) -> Iterator[str]:
    """A PostgreSQL schema named `name` on the shared server, dropped on leaving (skips, or
    fails in CI, when the server does not answer). The tasks and faults tiers both use it."""
    import psycopg

    try:
        conn = psycopg.connect(PG_DSN, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        service_missing(f"PostgreSQL at {PG_DSN}", str(exc).strip())
    with conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A schema of its own for this test run, dropped afterwards."""
    with private_schema(f"tasks_test_{os.getpid()}_{uuid.uuid4().hex[:8]}") as schema:
        yield schema


def _migrate(settings: Settings) -> None:
    async def run() -> None:
        engine = create_engine(settings)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Database:
    path: Path = tmp_path_factory.mktemp("sqlite") / "tasks.db"
    database = Database("sqlite", f"sqlite+aiosqlite:///{path}", None)
    _migrate(database.settings())
    return database


@pytest.fixture(scope="session")
def postgres_database(pg_schema: str) -> Database:
    database = Database("postgres", PG_DSN, pg_schema)
    _migrate(database.settings())
    return database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Database:
    """A migrated database of each kind; tests get empty tables (see `engine`)."""
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    db: Database = request.getfixturevalue(fixture)
    return db


@pytest.fixture
async def engine(database: Database) -> AsyncIterator[AsyncEngine]:
    """An engine on the test database, whose tables are emptied before the test."""
    eng = create_engine(database.settings())
    async with eng.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(delete(table))
    try:
        yield eng
    finally:
        await eng.dispose()


# -- the app over HTTP ---------------------------------------------------------------------------

PASSWORD = "correct-horse-battery-staple"


@dataclass
class Account:
    id: str
    email: str
    access: str
    refresh: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}

    def tasks_url(self, task_id: str | None = None) -> str:
        return f"/api/{self.id}/tasks" + (f"/{task_id}" if task_id else "")


class Api:
    """An httpx client on the app (in process, over ASGI) and shortcuts for common steps."""

    def __init__(self, client: httpx.AsyncClient, deps: Deps) -> None:
        self.client = client
        self.deps = deps

    async def register(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.client.post(
            "/api/auth/register", json={"email": email, "password": password}
        )

    async def login(
        self, email: str, password: str = PASSWORD, scope: str | None = None
    ) -> httpx.Response:
        form = {"grant_type": "password", "username": email, "password": password}
        if scope is not None:
            form["scope"] = scope
        return await self.client.post("/api/auth/token", data=form)

    async def account(self, email: str, *, admin: bool = False) -> Account:
        registered = await self.register(email)
        assert registered.status_code == 201, registered.text
        user_id = registered.json()["id"]
        if admin:
            async with self.deps.sessions() as session, session.begin():
                row = await session.get(UserRow, uuid.UUID(user_id))
                assert row is not None
                row.role = "admin"
        tokens = await self.login(email)
        assert tokens.status_code == 200, tokens.text
        body = tokens.json()
        return Account(user_id, email, body["access_token"], body["refresh_token"])

    async def create_task(self, owner: Account, **fields: object) -> dict[str, Any]:
        fields.setdefault("title", "A task")
        response = await self.client.post(owner.tasks_url(), json=fields, headers=owner.auth)
        assert response.status_code == 201, response.text
        task: dict[str, Any] = response.json()
        return task


ApiFactory = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
def api_factory(engine: AsyncEngine, database: Database) -> ApiFactory:
    """Build the app on the test database with settings overrides (`async with factory(...)`)."""

    @asynccontextmanager
    async def factory(
        limiter: RateLimiter | None = None, **overrides: object
    ) -> AsyncIterator[Api]:
        settings = database.settings(jwt_secret=SecretStr("t" * 40), **overrides)
        deps = Deps.from_settings(settings, engine=engine, limiter=limiter)
        app = build_app(deps)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://tasks.test") as client:
            yield Api(client, deps)

    return factory


@pytest.fixture
async def api(api_factory: ApiFactory) -> AsyncIterator[Api]:
    async with api_factory() as built:
        yield built
