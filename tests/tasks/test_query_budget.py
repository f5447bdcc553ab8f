"""Statements per request: revocation and the account are one query, so an authenticated GET
of a task costs two statements (verifier, task) and no Redis command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from .conftest import Api

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
    assert statements == ["SELECT", "SELECT"]
    with counted(api) as statements:
        assert (await api.client.get(ada.tasks_url(), headers=ada.auth)).is_success
    assert statements == ["SELECT", "SELECT", "SELECT"]  # verifier, page, count
    with counted(api) as statements:
        patched = await api.client.patch(
            ada.tasks_url(task["id"]), json={"title": "x"}, headers=ada.auth
        )
        assert patched.is_success
    assert statements == ["SELECT", "SELECT", "UPDATE"]  # verifier, row (locked), write
