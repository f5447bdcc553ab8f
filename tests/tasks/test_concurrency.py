"""Unconditional writes under contention: 30 concurrent writers, on SQLite and PostgreSQL.

A write without `If-Match` never answers 412 (row lock on PostgreSQL, retried compare-and-set
on SQLite); one with a stale `If-Match` always does; no update is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from tasks_service.app import build_app
from tasks_service.core.db import create_engine
from tasks_service.deps import Deps

from .conftest import Api, Database

pytestmark = pytest.mark.anyio
WRITERS = 30
# What is tested is who wins, not speed: on a loaded machine 30 writers queued on one row may
# take longer than the default timeouts, whose 503 is right but not the point here.
PATIENT = {
    "database_statement_timeout_seconds": 30.0,
    "database_pool_timeout_seconds": 30.0,
    "write_retry_seconds": 30.0,
    "request_timeout_seconds": 60.0,
}


@pytest.fixture
async def api(engine: AsyncEngine, database: Database) -> AsyncIterator[Api]:
    settings = database.settings(jwt_secret=SecretStr("c" * 40), **PATIENT)
    patient = create_engine(settings)
    deps = Deps.from_settings(settings, engine=patient)
    transport = httpx.ASGITransport(app=build_app(deps))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://tasks.test") as client:
            yield Api(client, deps)
    finally:
        await deps.close()


async def test_unconditional_patches_all_win(api: Api) -> None:
    ada = await api.account("ada@example.com")
    task = await api.create_task(ada, title="start")
    url = ada.tasks_url(task["id"])
    responses = await asyncio.gather(
        *(
            api.client.patch(url, json={"title": f"writer {n}"}, headers=ada.auth)
            for n in range(WRITERS)
        )
    )
    assert sorted({r.status_code for r in responses}) == [200], [r.text for r in responses]
    versions = sorted(r.json()["version"] for r in responses)
    assert versions == list(range(2, WRITERS + 2))  # each write applied once, none lost
    final = await api.client.get(url, headers=ada.auth)
    assert final.json()["version"] == WRITERS + 1


async def test_conditional_patches_one_wins_the_rest_412(api: Api) -> None:
    ada = await api.account("ada@example.com")
    task = await api.create_task(ada, title="start")
    url = ada.tasks_url(task["id"])
    headers = {**ada.auth, "If-Match": '"1"'}
    responses = await asyncio.gather(
        *(api.client.patch(url, json={"title": f"w{n}"}, headers=headers) for n in range(WRITERS))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * (WRITERS - 1)


async def test_unconditional_deletes_and_patches_never_412(api: Api) -> None:
    ada = await api.account("ada@example.com")
    task = await api.create_task(ada, title="start")
    url = ada.tasks_url(task["id"])
    calls = [
        api.client.delete(url, headers=ada.auth)
        if n % 3 == 0
        else api.client.patch(url, json={"status": "completed"}, headers=ada.auth)
        for n in range(WRITERS)
    ]
    responses = await asyncio.gather(*calls)
    statuses = [r.status_code for r in responses]
    assert 412 not in statuses, statuses
    assert 500 not in statuses, statuses
    assert 204 in statuses  # the first delete wins; later writers find the task gone (404)
    assert set(statuses) <= {200, 204, 404}
