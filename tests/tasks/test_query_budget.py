"""Statements per request: revocation and the account are one query, and a GET of one of the
caller's own tasks reads the task in that query too, so it costs one statement and no Redis
command; what the read-ahead answers is what reading the task again would."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tasks_service.orm.tables import UserRow

from .conftest import Account, Api

pytestmark = pytest.mark.anyio


@contextmanager
def counted(api: Api) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    engine = api.deps.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_statements_per_request(api: Api) -> None:
    ada = await api.account("ada@example.com")
    task = await api.create_task(ada)
    with counted(api) as statements:
        assert (await api.client.get(ada.tasks_url(task["id"]), headers=ada.auth)).is_success
    assert statements == ["SELECT"]  # verifier and task in one
    with counted(api) as statements:
        assert (await api.client.get(ada.tasks_url(), headers=ada.auth)).is_success
    assert statements == ["SELECT", "SELECT", "SELECT"]  # verifier, page, count
    with counted(api) as statements:
        patched = await api.client.patch(
            ada.tasks_url(task["id"]), json={"title": "x"}, headers=ada.auth
        )
        assert patched.is_success
    assert statements == ["SELECT", "SELECT", "UPDATE"]  # verifier, row (locked), write


async def test_a_task_read_ahead_answers_as_a_second_read(api: Api) -> None:
    ada = await api.account("ada@example.com")
    bob = await api.account("bob@example.com")
    boss = await api.account("boss@example.com", admin=True)
    task = await api.create_task(ada, title="Mine")
    gone = await api.create_task(ada, title="Deleted")
    assert (await api.client.delete(ada.tasks_url(gone["id"]), headers=ada.auth)).status_code == 204
    bobs = await api.create_task(bob, title="Bob's")

    async def get(who: Account, url: str, **headers: str) -> tuple[int, Any, list[str]]:
        with counted(api) as statements:
            response = await api.client.get(url, headers=who.auth | headers)
        body = response.json() if response.content else None
        return response.status_code, body, statements

    status, body, statements = await get(ada, ada.tasks_url(task["id"]))
    assert (status, body, statements) == (200, task, ["SELECT"])
    status, _, statements = await get(
        ada, ada.tasks_url(task["id"]), **{"If-None-Match": f'"{task["version"]}"'}
    )
    assert (status, statements) == (304, ["SELECT"])
    # No such live task of the caller's: 404 from the read-ahead, as from a read.
    for url in (
        ada.tasks_url(gone["id"]),
        ada.tasks_url(bobs["id"]),
        ada.tasks_url(str(uuid.uuid4())),
    ):
        status, body, statements = await get(ada, url)
        assert (status, body["title"], statements) == (404, "Not Found", ["SELECT"])
    # Another account's path: no read-ahead; the access check and the read as before.
    status, _, statements = await get(bob, ada.tasks_url(task["id"]))
    assert (status, statements) == (404, ["SELECT"])
    status, body, statements = await get(boss, ada.tasks_url(task["id"]))
    assert (status, body, statements) == (200, task, ["SELECT", "SELECT", "SELECT"])
    # A path the route refuses: the verifier's plain query, then the route's 422.
    status, _, statements = await get(ada, f"/api/{ada.id}/tasks/not-a-uuid")
    assert (status, statements) == (422, ["SELECT"])


async def test_getting_a_task_still_checks_revocation_and_account_state(api: Api) -> None:
    """The read-ahead path of the verifier refuses what the plain one refuses: a logged-out
    token, a deactivated account (and answers nothing of the task)."""
    ada = await api.account("ada@example.com")
    bob = await api.account("bob@example.com")
    for who in (ada, bob):
        task = await api.create_task(who, title="secret-title")
        assert (await api.client.get(who.tasks_url(task["id"]), headers=who.auth)).is_success
        if who is ada:
            logout = await api.client.post(
                "/api/auth/logout", json={"refresh_token": ada.refresh}, headers=ada.auth
            )
            assert logout.status_code == 204, logout.text
        else:
            async with api.deps.sessions() as session, session.begin():
                row = await session.get(UserRow, uuid.UUID(bob.id))
                assert row is not None
                row.is_active = False
        response = await api.client.get(who.tasks_url(task["id"]), headers=who.auth)
        assert response.status_code == 401
        assert "secret-title" not in response.text
