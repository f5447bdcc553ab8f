"""The one-hop SQLite cursor (bench/one_hop_sqlite.py, a candidate the benchmark measures): one
call on aiosqlite's thread per statement, and the same results as SQLAlchemy's stock cursor."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tasks_service.core.config import Settings
from tasks_service.core.db import create_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from one_hop_sqlite import OneHopCursor, one_hop_dbapi

pytestmark = pytest.mark.anyio

SCHEMA = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, n INTEGER)"


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Calls queued on aiosqlite's connection threads, by function name."""
    counts: Counter[str] = Counter()
    queue = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counts[getattr(fn, "__name__", "?")] += 1
        return await queue(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return counts


def _settings(path: Path) -> Settings:
    return Settings.model_validate(
        {"environment": "test", "database_url": f"sqlite+aiosqlite:///{path}"}
    )


@pytest.fixture
async def engines(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """The service's engine with the one-hop cursor, and a stock aiosqlite engine, each on a
    database of its own."""
    ours = create_engine(_settings(tmp_path / "ours.db"), module=one_hop_dbapi())
    stock = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'stock.db'}")
    for engine in (ours, stock):
        async with engine.begin() as conn:
            await conn.execute(text(SCHEMA))
    try:
        yield ours, stock
    finally:
        await ours.dispose()
        await stock.dispose()


async def _insert_twice(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name, n) VALUES ('d', 4)"))
        await conn.execute(text("INSERT INTO t (name, n) VALUES ('a', 5)"))  # name is unique


async def _select_missing_column(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT nope FROM t"))


async def _scenario(engine: AsyncEngine) -> list[Any]:
    """What a caller can observe of a mix of statements: rows, columns, counts, ids, errors."""
    seen: list[Any] = []
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))
        seen.append(("lastrowid", inserted.lastrowid, inserted.rowcount))
        many = await conn.execute(
            text("INSERT INTO t (name, n) VALUES (:name, :n)"),
            [{"name": "b", "n": 2}, {"name": "c", "n": 3}],
        )
        seen.append(("executemany", many.rowcount))
        updated = await conn.execute(text("UPDATE t SET n = n + 10 WHERE n >= 2"))
        seen.append(("update", updated.rowcount))
    async with engine.connect() as conn:
        result = await conn.execute(
            text("SELECT id, name, n FROM t WHERE n > :low ORDER BY id"), {"low": 0}
        )
        seen.append(("columns", list(result.keys())))
        seen.append(("rows", [tuple(row) for row in result]))
        seen.append(("empty", (await conn.execute(text("SELECT name FROM t WHERE 0"))).all()))
        seen.append(("scalar", (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()))
    with pytest.raises(exc.IntegrityError):
        await _insert_twice(engine)
    with pytest.raises(exc.OperationalError):
        await _select_missing_column(engine)
    async with engine.connect() as conn:
        names = (await conn.execute(text("SELECT name FROM t ORDER BY name"))).scalars().all()
        seen.append(("after rollback", names))  # 'd' was rolled back with the failed insert
    return seen


async def test_the_one_hop_cursor_answers_as_the_stock_one(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    ours, stock = engines
    ours_seen = await _scenario(ours)
    assert ours_seen == await _scenario(stock)
    assert ("rows", [(1, "a", 1), (2, "b", 12), (3, "c", 13)]) in ours_seen


async def test_a_statement_is_one_hop_to_the_driver_thread(
    engines: tuple[AsyncEngine, AsyncEngine], hops: Counter[str]
) -> None:
    ours, stock = engines
    for engine in (ours, stock):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))  # connected and warmed up
            hops.clear()
            for _ in range(3):
                assert (await conn.execute(text("SELECT name FROM t"))).all() == []
            counted = sum(hops.values())
        if engine is ours:
            assert counted == 3
        else:
            assert counted >= 9  # cursor, execute, fetchall (and close): the stock adapter
    async with ours.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection.cursor(), OneHopCursor)  # type: ignore[union-attr]
