"""Administration over HTTP: listing and deactivating accounts, and who may do it."""

from __future__ import annotations

import uuid

import pytest

from .conftest import Api
from .test_api_auth import assert_problem

pytestmark = pytest.mark.anyio


async def test_list_users_pages_oldest_first(api: Api) -> None:
    root = await api.account("root@example.com", admin=True)
    for name in ("a", "b", "c"):
        await api.register(f"{name}@example.com")
    first = await api.client.get(
        "/api/admin/users", params={"limit": 2, "offset": 0}, headers=root.auth
    )
    assert first.status_code == 200
    body = first.json()
    assert body["total"] == 4
    assert [u["email"] for u in body["items"]] == ["root@example.com", "a@example.com"]
    second = await api.client.get(
        "/api/admin/users", params={"limit": 2, "offset": 2}, headers=root.auth
    )
    assert [u["email"] for u in second.json()["items"]] == ["b@example.com", "c@example.com"]
    assert "password" not in second.text
    assert_problem(
        await api.client.get("/api/admin/users", params={"limit": 500}, headers=root.auth), 422
    )


async def test_admin_operations_need_admin_scope(api: Api) -> None:
    ada = await api.account("ada@example.com")
    root = await api.account("root@example.com", admin=True)
    assert_problem(await api.client.get("/api/admin/users", headers=ada.auth), 403)
    assert_problem(
        await api.client.post(f"/api/admin/users/{root.id}/deactivate", headers=ada.auth), 403
    )
    assert_problem(await api.client.get("/api/admin/users"), 401)
    assert_problem(await api.client.post(f"/api/admin/users/{ada.id}/deactivate"), 401)
    # An admin who asked only for `tasks` has no admin powers with that token.
    narrowed = await api.login("root@example.com", scope="tasks")
    auth = {"Authorization": f"Bearer {narrowed.json()['access_token']}"}
    assert_problem(await api.client.get("/api/admin/users", headers=auth), 403)


async def test_demoted_admin_loses_admin_at_once(api: Api) -> None:
    from tasks_service.orm.tables import UserRow

    root = await api.account("root@example.com", admin=True)
    assert (await api.client.get("/api/admin/users", headers=root.auth)).status_code == 200
    async with api.deps.sessions() as session, session.begin():
        row = await session.get(UserRow, uuid.UUID(root.id))
        assert row is not None
        row.role = "user"
    assert_problem(await api.client.get("/api/admin/users", headers=root.auth), 403)


async def test_deactivate(api: Api) -> None:
    ada = await api.account("ada@example.com")
    root = await api.account("root@example.com", admin=True)
    url = f"/api/admin/users/{ada.id}/deactivate"
    first = await api.client.post(url, headers=root.auth)
    assert first.status_code == 200
    assert first.json()["is_active"] is False
    again = await api.client.post(url, headers=root.auth)  # idempotent
    assert again.status_code == 200
    assert_problem(
        await api.client.post(f"/api/admin/users/{root.id}/deactivate", headers=root.auth),
        409,
        "self-deactivation",
    )
    assert_problem(
        await api.client.post(f"/api/admin/users/{uuid.uuid4()}/deactivate", headers=root.auth),
        404,
    )
    assert_problem(
        await api.client.post("/api/admin/users/nope/deactivate", headers=root.auth), 422
    )
    users = (await api.client.get("/api/admin/users", headers=root.auth)).json()["items"]
    assert {u["email"]: u["is_active"] for u in users} == {
        "ada@example.com": False,
        "root@example.com": True,
    }
