"""Tasks over HTTP: every operation, concurrency (ETag/If-Match), lists, and who may see what."""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import pytest
from sqlalchemy import event

from .conftest import Api
from .test_api_auth import assert_problem

pytestmark = pytest.mark.anyio


async def test_create_get_replace_patch_delete(api: Api) -> None:
    ada = await api.account("ada@example.com")
    created = await api.client.post(
        ada.tasks_url(),
        json={"title": "Write notes", "due_at": "2026-11-28T17:00:00+01:00"},
        headers=ada.auth,
    )
    assert created.status_code == 201
    task = created.json()
    assert created.headers["location"] == ada.tasks_url(task["id"])
    assert created.headers["etag"] == '"1"'
    assert task["status"] == "pending"
    assert task["description"] == ""
    assert task["due_at"] == "2026-11-28T16:00:00Z"
    assert task["owner_id"] == ada.id
    assert task["version"] == 1

    got = await api.client.get(created.headers["location"], headers=ada.auth)
    assert got.status_code == 200
    assert got.json() == task
    assert got.headers["etag"] == '"1"'

    replaced = await api.client.put(
        ada.tasks_url(task["id"]),
        json={"title": "Publish notes", "description": "d", "status": "pending", "due_at": None},
        headers=ada.auth,
    )
    assert replaced.status_code == 200
    assert replaced.headers["etag"] == '"2"'
    body = replaced.json()
    assert (body["title"], body["description"], body["due_at"]) == ("Publish notes", "d", None)

    completed = await api.client.patch(
        ada.tasks_url(task["id"]), json={"status": "completed"}, headers=ada.auth
    )
    assert completed.status_code == 200
    assert completed.json()["status"] == "completed"
    assert completed.json()["completed_at"] is not None
    assert completed.json()["title"] == "Publish notes"  # absent fields keep their value

    reopened = await api.client.patch(
        ada.tasks_url(task["id"]), json={"status": "pending"}, headers=ada.auth
    )
    assert reopened.json()["completed_at"] is None
    assert reopened.headers["etag"] == '"4"'

    deleted = await api.client.delete(ada.tasks_url(task["id"]), headers=ada.auth)
    assert deleted.status_code == 204
    assert_problem(await api.client.get(ada.tasks_url(task["id"]), headers=ada.auth), 404)
    assert_problem(await api.client.delete(ada.tasks_url(task["id"]), headers=ada.auth), 404)


async def test_create_completed_task_and_validation(api: Api) -> None:
    ada = await api.account("ada@example.com")
    done = await api.create_task(ada, title="Done already", status="completed")
    assert done["completed_at"] is not None
    for bad in (
        {},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": "ok", "status": "archived"},
        {"title": "ok", "due_at": "tomorrow"},
        {"title": "ok", "due_at": "2026-11-28T17:00:00"},  # no offset
        {"title": "ok", "owner_id": ada.id},
        {"title": 5},
    ):
        response = await api.client.post(ada.tasks_url(), json=bad, headers=ada.auth)
        assert_problem(response, 422)
    malformed = await api.client.post(
        ada.tasks_url(),
        content=b'{"title": ',
        headers={**ada.auth, "content-type": "application/json"},
    )
    assert_problem(malformed, 400)
    assert_problem(
        await api.client.patch(ada.tasks_url(done["id"]), json={}, headers=ada.auth), 422
    )
    assert_problem(
        await api.client.put(ada.tasks_url(done["id"]), json={"title": "t"}, headers=ada.auth), 422
    )
    assert_problem(await api.client.get(ada.tasks_url("not-a-uuid"), headers=ada.auth), 422)
    assert_problem(await api.client.get(ada.tasks_url(str(uuid.uuid4())), headers=ada.auth), 404)


async def test_patch_clears_due_date_and_keeps_other_fields(api: Api) -> None:
    ada = await api.account("ada@example.com")
    task = await api.create_task(ada, title="T", description="D", due_at="2026-12-01T00:00:00Z")
    patched = await api.client.patch(
        ada.tasks_url(task["id"]), json={"due_at": None}, headers=ada.auth
    )
    assert patched.json()["due_at"] is None
    assert patched.json()["description"] == "D"
    assert_problem(
        await api.client.patch(ada.tasks_url(task["id"]), json={"title": None}, headers=ada.auth),
        422,
    )


async def test_if_none_match_gives_304(api: Api) -> None:
    ada = await api.account("ada@example.com")
    task = await api.create_task(ada)
    url = ada.tasks_url(task["id"])
    not_modified = await api.client.get(url, headers={**ada.auth, "If-None-Match": '"1"'})
    assert not_modified.status_code == 304
    assert not_modified.headers["etag"] == '"1"'
    assert not_modified.content == b""
    weak = await api.client.get(url, headers={**ada.auth, "If-None-Match": 'W/"1", "7"'})
    assert weak.status_code == 304
    changed = await api.client.get(url, headers={**ada.auth, "If-None-Match": '"0"'})
    assert changed.status_code == 200


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
async def test_stale_if_match_is_412_and_changes_nothing(api: Api, method: str) -> None:
    ada = await api.account("ada@example.com")
    task = await api.create_task(ada, title="Original")
    url = ada.tasks_url(task["id"])
    bump = await api.client.patch(url, json={"description": "v2"}, headers=ada.auth)
    assert bump.headers["etag"] == '"2"'
    stale = {**ada.auth, "If-Match": '"1"'}
    body = {"title": "Lost", "description": "", "status": "completed", "due_at": None}
    if method == "delete":
        response = await api.client.delete(url, headers=stale)
    elif method == "put":
        response = await api.client.put(url, json=body, headers=stale)
    else:
        response = await api.client.patch(url, json={"title": "Lost"}, headers=stale)
    assert_problem(response, 412, "precondition-failed")
    after = await api.client.get(url, headers=ada.auth)
    assert after.json()["title"] == "Original"
    assert after.json()["version"] == 2
    # The current tag (or `*`, or a list naming it) lets the write through.
    current = '"2"'
    for form in ("{}", '"1", {}', "*"):
        tag = form.format(current)
        ok = await api.client.patch(
            url, json={"description": tag}, headers={**ada.auth, "If-Match": tag}
        )
        assert ok.status_code == 200, tag
        current = ok.headers["etag"]
    weak = await api.client.patch(
        url, json={"description": "w"}, headers={**ada.auth, "If-Match": 'W/"5"'}
    )
    assert_problem(weak, 412)  # If-Match compares strongly


async def test_concurrent_writes_with_same_tag_lose_nothing(api: Api) -> None:
    ada = await api.account("ada@example.com")
    task = await api.create_task(ada)
    url = ada.tasks_url(task["id"])
    statuses: list[int] = []

    async def write(title: str) -> None:
        response = await api.client.patch(
            url, json={"title": title}, headers={**ada.auth, "If-Match": '"1"'}
        )
        statuses.append(response.status_code)

    async with anyio.create_task_group() as group:
        for index in range(4):
            group.start_soon(write, f"writer {index}")
    assert sorted(statuses) == [200, 412, 412, 412]
    final = (await api.client.get(url, headers=ada.auth)).json()
    assert final["version"] == 2


async def test_other_accounts_tasks_are_invisible(api: Api) -> None:
    ada = await api.account("ada@example.com")
    bob = await api.account("bob@example.com")
    task = await api.create_task(ada, title="Ada's secret")
    ada_url = ada.tasks_url(task["id"])
    via_bob = bob.tasks_url(task["id"])  # Ada's task id under Bob's own path
    patch = {"title": "pwned"}
    put = {"title": "pwned", "description": "", "status": "pending", "due_at": None}
    attempts = [
        api.client.get(ada.tasks_url(), headers=bob.auth),
        api.client.post(ada.tasks_url(), json={"title": "x"}, headers=bob.auth),
        api.client.get(ada_url, headers=bob.auth),
        api.client.put(ada_url, json=put, headers=bob.auth),
        api.client.patch(ada_url, json=patch, headers=bob.auth),
        api.client.delete(ada_url, headers=bob.auth),
        api.client.get(via_bob, headers=bob.auth),
        api.client.patch(via_bob, json=patch, headers=bob.auth),
        api.client.delete(via_bob, headers=bob.auth),
    ]
    bodies = []
    for attempt in attempts:
        bodies.append(assert_problem(await attempt, 404))
    # A task that does not exist at all looks exactly the same.
    missing = assert_problem(
        await api.client.get(ada.tasks_url(str(uuid.uuid4())), headers=ada.auth), 404
    )
    assert {k: v for k, v in bodies[2].items() if k != "instance"} == {
        k: v for k, v in missing.items() if k != "instance"
    }
    # And a user that does not exist looks like one that does.
    nobody = assert_problem(
        await api.client.get(f"/api/{uuid.uuid4()}/tasks", headers=bob.auth), 404
    )
    assert nobody["detail"] == bodies[0]["detail"]
    after = (await api.client.get(ada_url, headers=ada.auth)).json()
    assert after["title"] == "Ada's secret"
    assert after["version"] == 1
    assert (await api.client.get(bob.tasks_url(), headers=bob.auth)).json()["total"] == 0


async def test_admin_manages_any_accounts_tasks(api: Api) -> None:
    ada = await api.account("ada@example.com")
    root = await api.account("root@example.com", admin=True)
    task = await api.create_task(ada)
    listed = await api.client.get(ada.tasks_url(), headers=root.auth)
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()["items"]] == [task["id"]]
    patched = await api.client.patch(
        ada.tasks_url(task["id"]), json={"status": "completed"}, headers=root.auth
    )
    assert patched.status_code == 200
    created = await api.client.post(
        ada.tasks_url(), json={"title": "From admin"}, headers=root.auth
    )
    assert created.json()["owner_id"] == ada.id
    assert_problem(await api.client.get(f"/api/{uuid.uuid4()}/tasks", headers=root.auth), 404)


async def test_token_without_tasks_scope_is_403(api: Api) -> None:
    await api.account("root@example.com", admin=True)
    login = await api.login("root@example.com", scope="admin")
    assert login.json()["scope"] == "admin"
    token = login.json()["access_token"]
    me = (await api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})).json()
    response = await api.client.get(
        f"/api/{me['id']}/tasks", headers={"Authorization": f"Bearer {token}"}
    )
    assert_problem(response, 403)


async def test_deactivated_account_cannot_use_tokens_or_log_in(api: Api) -> None:
    ada = await api.account("ada@example.com")
    root = await api.account("root@example.com", admin=True)
    response = await api.client.post(f"/api/admin/users/{ada.id}/deactivate", headers=root.auth)
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert_problem(await api.client.get(ada.tasks_url(), headers=ada.auth), 401)
    assert_problem(await api.login("ada@example.com"), 403, "account-deactivated")
    refreshed = await api.client.post("/api/auth/refresh", json={"refresh_token": ada.refresh})
    assert_problem(refreshed, 401)


async def test_list_requires_credentials(api: Api) -> None:
    ada = await api.account("ada@example.com")
    response = await api.client.get(ada.tasks_url())
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


# -- lists -----------------------------------------------------------------------------------


async def _seed(api: Api) -> tuple[Any, list[dict[str, Any]]]:
    ada = await api.account("ada@example.com")
    specs = [
        ("banana", "2026-12-03T00:00:00Z", "pending"),
        ("apple", None, "completed"),
        ("cherry", "2026-12-01T00:00:00Z", "pending"),
        ("date", "2026-12-03T00:00:00Z", "completed"),  # same due as banana: ties by id
        ("elder", None, "pending"),
        ("fig release", "2026-12-02T00:00:00Z", "pending"),
        ("grape", "2026-11-30T00:00:00Z", "pending"),
    ]
    tasks = [
        await api.create_task(ada, title=t, due_at=d, status=s, description=f"about {t}")
        for t, d, s in specs
    ]
    return ada, tasks


async def _all_pages(api: Api, ada: Any, **params: object) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):
        query: dict[str, Any] = {"limit": 2, **params}
        if cursor:
            query["cursor"] = cursor
        page = await api.client.get(ada.tasks_url(), params=query, headers=ada.auth)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= 2
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            assert body["total"] == len(seen)
            return seen
    raise AssertionError("pagination did not end")


def _expected(tasks: list[dict[str, Any]], sort: str) -> list[str]:
    field, desc = sort.lstrip("-"), sort.startswith("-")
    present = [t for t in tasks if t[field] is not None]
    absent = [t for t in tasks if t[field] is None]
    present.sort(key=lambda t: (t[field], uuid.UUID(t["id"])), reverse=desc)
    absent.sort(key=lambda t: uuid.UUID(t["id"]), reverse=desc)
    return [t["id"] for t in present + absent]


@pytest.mark.parametrize(
    "sort", ["created_at", "-created_at", "due_at", "-due_at", "title", "-title"]
)
async def test_pages_cover_every_task_once_in_order(api: Api, sort: str) -> None:
    ada, tasks = await _seed(api)
    seen = await _all_pages(api, ada, sort=sort)
    ids = [t["id"] for t in seen]
    assert len(set(ids)) == len(tasks)
    if sort.lstrip("-") == "created_at":
        created = [t["created_at"] for t in seen]
        assert created == sorted(created, reverse=sort.startswith("-"))
    else:
        assert ids == _expected(tasks, sort)


async def test_filters(api: Api) -> None:
    ada, _ = await _seed(api)

    async def titles(**params: object) -> list[str]:
        seen = await _all_pages(api, ada, sort="title", **params)
        return [t["title"] for t in seen]

    assert await titles(status="completed") == ["apple", "date"]
    assert await titles(due_after="2026-12-01T00:00:00Z", due_before="2026-12-03T00:00:00Z") == [
        "cherry",
        "fig release",
    ]
    assert await titles(due_before="2026-12-01T00:00:00Z") == ["grape"]
    assert await titles(q="RELEASE") == ["fig release"]
    assert await titles(q="about e") == ["elder"]
    assert await titles(q="%") == []  # LIKE wildcards are literal
    assert await titles(status="pending", q="an") == ["banana"]


async def test_list_defaults_and_bad_parameters(api: Api) -> None:
    ada, tasks = await _seed(api)
    page = (await api.client.get(ada.tasks_url(), headers=ada.auth)).json()
    assert page["limit"] == 20
    assert page["total"] == len(tasks)
    assert page["next_cursor"] is None
    assert [t["id"] for t in page["items"]] == [t["id"] for t in reversed(tasks)]
    for params in ({"limit": 0}, {"limit": 101}, {"sort": "owner"}, {"status": "x"}):
        response = await api.client.get(ada.tasks_url(), params=params, headers=ada.auth)
        assert_problem(response, 422)
    assert_problem(
        await api.client.get(ada.tasks_url(), params={"cursor": "garbage!"}, headers=ada.auth),
        422,  # not even the cursor alphabet
    )
    forgeries = (
        "A" * 20,
        "eyJzIjoidGl0bGUiLCJrIjpudWxsLCJpIjoiMSJ9",  # title cursor without key
        # due_at cursors: beyond UTC range, without offset, not a string
        "eyJzIjoiZHVlX2F0IiwiayI6Ijk5OTktMTItMzFUMjM6NTk6NTktMjM6NTkiLCJpIjoiNmMyY2JkOTQtNWNhNy00OWRlLTkwM2QtMjk1ZDIyZWYxNTgwIn0",
        "eyJzIjoiZHVlX2F0IiwiayI6IjIwMjYtMDEtMDFUMDA6MDA6MDAiLCJpIjoiNmMyY2JkOTQtNWNhNy00OWRlLTkwM2QtMjk1ZDIyZWYxNTgwIn0",
        "eyJzIjoiZHVlX2F0IiwiayI6NSwiaSI6IjZjMmNiZDk0LTVjYTctNDlkZS05MDNkLTI5NWQyMmVmMTU4MCJ9",
    )
    for forged in forgeries:
        sort = (
            "title" if forged.startswith("eyJzIjoidGl0bGUi") or forged.startswith("A") else "due_at"
        )
        assert_problem(
            await api.client.get(
                ada.tasks_url(), params={"cursor": forged, "sort": sort}, headers=ada.auth
            ),
            400,
            "invalid-cursor",
        )
    first = await api.client.get(
        ada.tasks_url(), params={"limit": 1, "sort": "title"}, headers=ada.auth
    )
    other_sort = await api.client.get(
        ada.tasks_url(),
        params={"cursor": first.json()["next_cursor"], "sort": "due_at"},
        headers=ada.auth,
    )
    assert_problem(other_sort, 400, "invalid-cursor")


async def test_list_runs_a_fixed_number_of_queries(api: Api) -> None:
    ada = await api.account("ada@example.com")
    for index in range(30):
        await api.create_task(ada, title=f"task {index}")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    sync_engine = api.deps.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        page = await api.client.get(ada.tasks_url(), params={"limit": 30}, headers=ada.auth)
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    assert len(page.json()["items"]) == 30
    # the verifier's account lookup, the page, the total: no query per task
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 3


async def test_nul_characters_are_refused_not_stored(api: Api) -> None:
    """PostgreSQL cannot store NUL in text; the contract forbids it, so it is a 422, not a 500."""
    ada = await api.account("ada@example.com")
    task = await api.create_task(ada)
    for body in ({"title": "a\u0000b"}, {"title": "ok", "description": "x\u0000"}):
        assert_problem(await api.client.post(ada.tasks_url(), json=body, headers=ada.auth), 422)
        assert_problem(
            await api.client.patch(ada.tasks_url(task["id"]), json=body, headers=ada.auth), 422
        )
    listed = await api.client.get(ada.tasks_url(), params={"q": "a\u0000"}, headers=ada.auth)
    assert_problem(listed, 422)
    registered = await api.client.post(
        "/api/auth/register", json={"email": "a\u0000@b.example", "password": "p" * 12}
    )
    assert_problem(registered, 422)
    assert_problem(await api.login("a\u0000@b.example"), 422)


async def test_malformed_preconditions_are_422(api: Api) -> None:
    ada = await api.account("ada@example.com")
    task = await api.create_task(ada)
    url = ada.tasks_url(task["id"])
    for header in ("If-Match", "If-None-Match"):
        for value in ("3", "garbage", '"unterminated', '"1",,'):
            response = await api.client.request(
                "PATCH" if header == "If-Match" else "GET",
                url,
                json={"title": "x"} if header == "If-Match" else None,
                headers={**ada.auth, header: value},
            )
            assert_problem(response, 422)
    both = await api.client.get(url, headers={**ada.auth, "If-None-Match": 'W/"0", "1"'})
    assert both.status_code == 304


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
async def test_instants_beyond_utc_range_are_422(api: Api, instant: str) -> None:
    ada = await api.account("ada@example.com")
    task = await api.create_task(ada)
    url = ada.tasks_url(task["id"])
    replace = {"title": "t", "description": "", "status": "pending", "due_at": instant}
    responses = [
        await api.client.post(
            ada.tasks_url(), json={"title": "t", "due_at": instant}, headers=ada.auth
        ),
        await api.client.put(url, json=replace, headers=ada.auth),
        await api.client.patch(url, json={"due_at": instant}, headers=ada.auth),
        await api.client.get(ada.tasks_url(), params={"due_after": instant}, headers=ada.auth),
        await api.client.get(ada.tasks_url(), params={"due_before": instant}, headers=ada.auth),
    ]
    for response in responses:
        assert_problem(response, 422)
    edge = await api.create_task(ada, title="edge", due_at="9999-12-31T23:59:59Z")
    assert edge["due_at"] == "9999-12-31T23:59:59Z"


async def test_delete_is_undoable_for_30_days(api: Api) -> None:
    ada = await api.account("ada@example.com")
    task = await api.create_task(ada, title="Oops")
    url = ada.tasks_url(task["id"])
    assert (await api.client.delete(url, headers=ada.auth)).status_code == 204
    assert_problem(await api.client.get(url, headers=ada.auth), 404)
    assert_problem(await api.client.patch(url, json={"title": "x"}, headers=ada.auth), 404)
    listed = (await api.client.get(ada.tasks_url(), headers=ada.auth)).json()
    assert listed["total"] == 0
    assert listed["items"] == []

    restored = await api.client.post(f"{url}/restore", headers=ada.auth)
    assert restored.status_code == 200
    assert restored.json()["title"] == "Oops"
    assert restored.headers["etag"] == '"3"'  # created 1, deleted 2, restored 3
    assert (await api.client.get(url, headers=ada.auth)).status_code == 200
    assert_problem(await api.client.post(f"{url}/restore", headers=ada.auth), 409, "not-deleted")
    assert_problem(
        await api.client.post(f"{ada.tasks_url(str(uuid.uuid4()))}/restore", headers=ada.auth),
        404,
    )


async def test_restore_respects_privacy_and_window(api: Api) -> None:
    from datetime import timedelta

    from tasks_service.orm.tables import TaskRow
    from tasks_service.orm.types import utcnow
    from tasks_service.repositories import tasks as task_repo

    ada = await api.account("ada@example.com")
    bob = await api.account("bob@example.com")
    root = await api.account("root@example.com", admin=True)
    task = await api.create_task(ada)
    url = ada.tasks_url(task["id"])
    await api.client.delete(url, headers=ada.auth)
    assert_problem(await api.client.post(f"{url}/restore", headers=bob.auth), 404)
    assert_problem(
        await api.client.post(f"{bob.tasks_url(task['id'])}/restore", headers=bob.auth), 404
    )
    assert (await api.client.post(f"{url}/restore", headers=root.auth)).status_code == 200

    await api.client.delete(url, headers=ada.auth)
    async with api.deps.sessions() as session, session.begin():
        row = await session.get(TaskRow, uuid.UUID(task["id"]))
        assert row is not None
        row.deleted_at = utcnow() - timedelta(days=31)
    assert_problem(await api.client.post(f"{url}/restore", headers=ada.auth), 404)
    async with api.deps.sessions() as session, session.begin():
        assert await task_repo.purge_deleted(session, utcnow() - timedelta(days=30)) == 1
        assert await session.get(TaskRow, uuid.UUID(task["id"])) is None
