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
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from tasks_service import migrate
from tasks_service.db.engine import create_engine
from tasks_service.db.tables import Base
from tasks_service.settings import Settings

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
REQUIRE_SERVICES = os.environ.get("SPECFIRST_REQUIRE_SERVICES") == "1"


def service_missing(what: str, why: str) -> None:
    """Skip (locally) or fail (CI) a test whose real service is not there."""
    message = f"{what} not available: {why}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (SPECFIRST_REQUIRE_SERVICES=1)")
    pytest.skip(message)


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


def _pg_connect() -> object:
    import psycopg

    return psycopg.connect(PG_DSN, connect_timeout=3, autocommit=True)


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A schema of its own for this test run, dropped afterwards."""
    import psycopg

    try:
        conn = psycopg.connect(PG_DSN, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        service_missing("PostgreSQL at 127.0.0.1:5432", str(exc).strip())
    schema = f"tasks_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


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
