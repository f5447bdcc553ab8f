"""`ping_when_idle` (bench/serve_app.py), the candidate replacement for `pool_pre_ping`: no ping
for a connection reused at once, a ping after it sat idle, and a broken idle connection replaced
without the caller seeing an error."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

SERVE_APP = Path(__file__).resolve().parents[2] / "bench" / "serve_app.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_serve_app", SERVE_APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_serve_app", module)
    spec.loader.exec_module(module)
    return module


serve_app = _load()


async def _scenario(database: Path) -> tuple[int, int, bool]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}", pool_size=1, max_overflow=0)
    serve_app.ping_when_idle(engine, idle_seconds=0.2)
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
