"""Alembic: upgrading an empty database gives exactly the ORM's schema, and downgrade undoes it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from tasks_service import migrate
from tasks_service.core.config import Settings
from tasks_service.core.db import create_engine
from tasks_service.orm.tables import Base

from .conftest import PG_DSN, make_settings, service_missing

pytestmark = pytest.mark.anyio


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _check(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            assert await conn.run_sync(_tables) == {*Base.metadata.tables, "alembic_version"}
        assert await migrate.is_up_to_date(engine)
        await migrate.downgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == {"alembic_version"}
        assert not await migrate.is_up_to_date(engine)
    finally:
        await engine.dispose()


async def test_sqlite_upgrade_matches_models(tmp_path: Path) -> None:
    await _check(make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"))


@pytest.mark.postgres
async def test_postgres_upgrade_matches_models() -> None:
    psycopg = pytest.importorskip("psycopg")
    schema = f"tasks_mig_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_DSN, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        service_missing(f"PostgreSQL at {PG_DSN}", str(exc).strip())
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        await _check(make_settings(database_url=PG_DSN, database_schema=schema))
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
