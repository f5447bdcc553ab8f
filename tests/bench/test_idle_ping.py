"""`ping_when_idle` (tasks_service.core.db), the Tasks API's replacement for `pool_pre_ping`: no
ping for a connection reused at once, a ping after it sat idle, and a broken idle connection
replaced without the caller seeing an error. Also how the engine is configured with it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tasks_service.core.config import Settings
from tasks_service.core.db import create_engine, ping_when_idle


async def _scenario(database: Path) -> tuple[int, int, bool]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}", pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_seconds=0.2)
    pings: list[Any] = []
    dialect = engine.sync_engine.dialect
    real_ping = dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return bool(real_ping(dbapi_connection))

    dialect.do_ping = counting_ping  # type: ignore[method-assign]
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            first = (await conn.get_raw_connection()).driver_connection
        async with engine.connect() as conn:  # reused at once: no ping
            await conn.execute(text("SELECT 1"))
        quick = len(pings)
        await first.close()  # broken behind the pool's back
        await asyncio.sleep(0.3)
        async with engine.connect() as conn:  # idle: pinged, found broken, replaced
            answer = (await conn.execute(text("SELECT 42"))).scalar_one()
            now = (await conn.get_raw_connection()).driver_connection
        return quick, len(pings), answer == 42 and now is not first
    finally:
        await engine.dispose()


def test_idle_connections_are_pinged_and_broken_ones_replaced(tmp_path: Path) -> None:
    quick, after_idle, replaced = asyncio.run(_scenario(tmp_path / "ping.db"))
    assert quick == 0
    assert after_idle == 1
    assert replaced


def test_the_engine_pings_only_idle_connections_and_keeps_a_fixed_pool(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"environment": "test", "database_url": f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}"}
    )
    engine = create_engine(settings)
    try:
        pool: Any = engine.sync_engine.pool
        assert not pool._pre_ping
        assert pool.size() == settings.database_pool_size == 20
        assert pool._max_overflow == settings.database_max_overflow == 0
    finally:
        asyncio.run(engine.dispose())
