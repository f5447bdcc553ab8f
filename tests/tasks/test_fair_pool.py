"""The fair pool (`core.pool`): a connection given back goes to the longest waiting request,
never to one that came later; a waiter that gives up passes on what it was handed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tasks_service.core.config import Settings
from tasks_service.core.db import create_engine
from tasks_service.core.pool import FairAsyncQueuePool, FairQueue

pytestmark = pytest.mark.anyio


async def test_an_item_put_back_goes_to_the_first_waiter_not_a_newcomer() -> None:
    queue: FairQueue[str] = FairQueue(2)
    first = asyncio.ensure_future(queue.get())
    second = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)  # both wait, in this order
    queue.put_nowait("a")
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()  # a newcomer finds nothing idle: "a" is the first waiter's
    queue.put_nowait("b")
    assert await first == "a"
    assert await second == "b"
    queue.put_nowait("c")  # nobody waits: idle until asked for
    assert queue.qsize() == 1
    assert await queue.get() == "c"


async def test_a_waiter_that_gives_up_passes_its_item_on() -> None:
    queue: FairQueue[str] = FairQueue(1)
    quitter = asyncio.ensure_future(queue.get())
    patient = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("a")  # handed to the quitter ...
    quitter.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await quitter
    assert await patient == "a"
    timed_out = asyncio.ensure_future(asyncio.wait_for(queue.get(), 0.01))
    with pytest.raises(TimeoutError):
        await timed_out
    assert not queue._waiters  # the timed-out waiter left the line
    queue.put_nowait("b")
    assert queue.get_nowait() == "b"


def _engine(path: Path, **overrides: object) -> AsyncEngine:
    settings = Settings.model_validate(
        {
            "environment": "test",
            "database_url": f"sqlite+aiosqlite:///{path}",
            "database_pool_size": 1,
            **overrides,
        }
    )
    return create_engine(settings)


async def test_the_engine_hands_its_connections_out_first_come_first_served(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path / "fair.db")
    assert isinstance(engine.pool, FairAsyncQueuePool)
    order: list[str] = []
    try:
        holder = await engine.connect()
        await holder.execute(text("SELECT 1"))

        async def use(name: str) -> None:
            async with engine.connect() as conn:
                order.append(name)
                await conn.execute(text("SELECT 1"))

        waiter = asyncio.ensure_future(use("waiter"))
        await asyncio.sleep(0.05)  # the waiter is in line for the one connection
        await holder.close()  # wakes the waiter ...
        await use("newcomer")  # ... and a newcomer asks before the waiter ran: it waits
        await waiter
    finally:
        await engine.dispose()
    assert order == ["waiter", "newcomer"]


async def test_the_pool_wait_stays_bounded(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "bounded.db", database_pool_timeout_seconds=0.05)
    try:
        holder: AsyncConnection = await engine.connect()
        with pytest.raises(exc.TimeoutError):
            await engine.connect()
        await holder.close()
        async with engine.connect() as conn:  # the timed-out waiter left no hole behind
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
