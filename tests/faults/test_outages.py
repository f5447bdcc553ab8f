"""PostgreSQL and Redis stopped, frozen and back, under two instances of the service.

What must hold: every answer during an outage is a 503 problem with `Retry-After`, within
`BOUND_SECONDS`; nothing hangs; once the dependency is back the same instances serve again
(no restart) and everything acknowledged before or during the outage is there.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from tasks.conftest import Account, Api

from .conftest import BOUND_SECONDS, InstanceFactory
from .proxy import FaultProxy, Mode

pytestmark = [pytest.mark.anyio, pytest.mark.faults]


def assert_unavailable(response: httpx.Response, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.json()["status"] == 503
    assert response.json()["title"] == "Service Unavailable"
    assert elapsed < BOUND_SECONDS, f"answered after {elapsed:.2f}s"


async def timed(request: asyncio.Future[httpx.Response] | object) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    response = await request  # type: ignore[misc]
    return response, time.monotonic() - began


def database_requests(api: Api, ada: Account, task_id: str) -> list[object]:
    """One request of each kind that needs the database."""
    client = api.client
    return [
        client.get(ada.tasks_url(task_id), headers=ada.auth),
        client.get(ada.tasks_url(), headers=ada.auth),
        client.post(ada.tasks_url(), json={"title": "during"}, headers=ada.auth),
        client.patch(ada.tasks_url(task_id), json={"title": "x"}, headers=ada.auth),
        client.get("/api/me", headers=ada.auth),
        api.login(ada.email),
    ]


@pytest.mark.parametrize("outage", ["refuse", "freeze"])
async def test_database_outage_is_503_then_recovers(
    instance: InstanceFactory, pg_proxy: FaultProxy, outage: Mode
) -> None:
    async with instance() as one, instance() as two:
        ada = await one.account("ada@example.com")
        kept = await one.create_task(ada, title="acknowledged before")
        assert (await two.client.get(ada.tasks_url(kept["id"]), headers=ada.auth)).is_success

        await pg_proxy.set_mode(outage)
        began = time.monotonic()
        calls = database_requests(one, ada, kept["id"]) + database_requests(two, ada, kept["id"])
        results = await asyncio.gather(*(timed(call) for call in calls))
        for response, elapsed in results:
            assert_unavailable(response, elapsed)
        assert time.monotonic() - began < BOUND_SECONDS  # concurrently, not one after another
        ready, elapsed = await timed(one.client.get("/readyz"))
        assert_unavailable(ready, elapsed)
        assert (await one.client.get("/healthz")).status_code == 200  # the process is alive

        await pg_proxy.set_mode("pass")
        for api in (one, two):  # the same instances serve again: no restart
            got = await api.client.get(ada.tasks_url(kept["id"]), headers=ada.auth)
            assert got.status_code == 200, got.text
            assert got.json()["title"] == "acknowledged before"
            assert (await api.client.get("/readyz")).status_code == 200
        after = await two.create_task(ada, title="after")
        listed = await one.client.get(ada.tasks_url(), headers=ada.auth)
        titles = {task["title"] for task in listed.json()["items"]}
        assert titles == {"acknowledged before", "after"}  # the 503 create wrote nothing
        assert after["id"]


async def test_database_that_comes_back_during_load(
    instance: InstanceFactory, pg_proxy: FaultProxy
) -> None:
    """Writes under a database that goes away and returns: each is either acknowledged (and
    then kept) or refused with 503; none is lost, none is a 500."""
    async with instance() as one, instance() as two:
        ada = await one.account("ada@example.com")

        async def writer(api: Api, n: int) -> tuple[int, str]:
            response = await api.client.post(
                ada.tasks_url(), json={"title": f"t{n}"}, headers=ada.auth
            )
            assert response.status_code in (201, 503), response.text
            return response.status_code, f"t{n}"

        async def flap() -> None:
            for mode in ("freeze", "pass", "refuse", "pass"):
                await asyncio.sleep(0.3)
                await pg_proxy.set_mode(mode)  # type: ignore[arg-type]

        flapping = asyncio.create_task(flap())
        outcomes: list[tuple[int, str]] = []
        for wave in range(8):
            outcomes += await asyncio.gather(
                *(writer((one, two)[n % 2], wave * 10 + n) for n in range(10))
            )
        await flapping
        await pg_proxy.set_mode("pass")
        acknowledged = {title for status, title in outcomes if status == 201}
        stored: set[str] = set()
        cursor = None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = await two.client.get(ada.tasks_url(), params=params, headers=ada.auth)
            assert page.status_code == 200, page.text
            stored |= {task["title"] for task in page.json()["items"]}
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert acknowledged <= stored  # nothing acknowledged is lost
        assert acknowledged  # the load did get through around the outage


@pytest.mark.parametrize("outage", ["refuse", "freeze"])
async def test_redis_outage_limits_only_rate_limited_operations(
    instance: InstanceFactory, redis_proxy: FaultProxy, outage: Mode
) -> None:
    async with instance() as one, instance() as two:
        ada = await one.account("ada@example.com")
        task = await one.create_task(ada)

        await redis_proxy.set_mode(outage)
        for call in (one.login(ada.email), two.register("bob@example.com")):
            response, elapsed = await timed(call)
            assert_unavailable(response, elapsed)
        refreshed, elapsed = await timed(
            two.client.post("/api/auth/refresh", json={"refresh_token": ada.refresh})
        )
        assert_unavailable(refreshed, elapsed)
        # Authenticated requests do not need Redis: revocations live in the database.
        got = await two.client.get(ada.tasks_url(task["id"]), headers=ada.auth)
        assert got.status_code == 200, got.text
        ready, elapsed = await timed(two.client.get("/readyz"))
        assert_unavailable(ready, elapsed)

        await redis_proxy.set_mode("pass")
        assert (await two.login(ada.email)).status_code == 200
        assert (await one.client.get("/readyz")).status_code == 200


async def test_revocation_survives_a_redis_restart_without_persistence(
    instance: InstanceFactory, redis_proxy: FaultProxy, redis_prefix: str
) -> None:
    from redis import Redis
    from tasks.conftest import REDIS_URL

    from .conftest import forget

    async with instance() as one, instance() as two:
        ada = await one.account("ada@example.com")
        bye = await one.client.post(
            "/api/auth/logout", json={"refresh_token": ada.refresh}, headers=ada.auth
        )
        assert bye.status_code == 204
        # Redis restarts empty: the connections drop and every key of ours is gone.
        await redis_proxy.set_mode("refuse")
        client = Redis.from_url(REDIS_URL)
        try:
            forget(client, redis_prefix)
        finally:
            client.close()
        await redis_proxy.set_mode("pass")
        for api in (one, two):
            refused = await api.client.get("/api/me", headers=ada.auth)
            assert refused.status_code == 401, refused.text
            again = await api.client.post("/api/auth/refresh", json={"refresh_token": ada.refresh})
            assert again.status_code == 401, again.text


async def test_request_deadline_bounds_what_timeouts_do_not(
    instance: InstanceFactory, pg_proxy: FaultProxy
) -> None:
    """With driver timeouts longer than the request deadline, the deadline answers: the work is
    cancelled, the worker is free, and the instance recovers once the database thaws."""
    patient_driver = {
        "database_connect_timeout_seconds": 30.0,
        "database_statement_timeout_seconds": 30.0,
        "database_pool_timeout_seconds": 30.0,
        "request_timeout_seconds": 1.5,
    }
    async with instance(**patient_driver) as api:
        ada = await api.account("ada@example.com")
        task = await api.create_task(ada)
        await pg_proxy.set_mode("freeze")
        results = await asyncio.gather(
            *(timed(api.client.get(ada.tasks_url(task["id"]), headers=ada.auth)) for _ in range(6))
        )
        for response, elapsed in results:
            assert_unavailable(response, elapsed)
            assert elapsed < 1.5 + 1.5
            assert "within 1.5 seconds" in response.json()["detail"]
        await pg_proxy.set_mode("pass")
        for _ in range(3):  # every pooled connection is usable again, or replaced
            got = await api.client.get(ada.tasks_url(task["id"]), headers=ada.auth)
            assert got.status_code == 200, got.text
