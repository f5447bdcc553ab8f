"""Who may reach `/api/{user_id}/tasks…`, and the lookup of a task behind that check.

Only the account itself (the token's subject) or an admin may; anyone else gets 404, exactly as
for an account or task that does not exist, so nothing about other accounts can be learned.

A GET of one of the caller's own tasks (`getTask` with the token's subject as `user_id`) reads
the task in the verifier's statement (`task_read_ahead`, `BearerVerifier`): one statement, one
round trip (or one hop to SQLite's driver thread) per request instead of two. The service finds
it in the request's `RequestSession.read_ahead` under the same account and task ids, after the
same access check, so what it answers is what reading it again would answer.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tasks_api.security import Principal
from tasks_service.core import context
from tasks_service.errors import NotFoundError
from tasks_service.orm.tables import TaskFields, TaskRow
from tasks_service.repositories import tasks as task_repo
from tasks_service.repositories import users


async def ensure_access(
    connection: AsyncConnection, principal: Principal, user_id: uuid.UUID
) -> None:
    """Raise NotFoundError unless the caller may see `user_id`'s tasks (its own; any account if admin).

    The caller's own path costs no query; an admin's costs one primary-key lookup."""
    if principal.subject == str(user_id):
        return
    if "admin" in principal.scopes and await users.exists(connection, user_id):
        return
    raise NotFoundError("account")


async def _ensure_task_access(
    connection: AsyncConnection, principal: Principal, user_id: uuid.UUID
) -> None:
    """`ensure_access`, answering "No such task." rather than naming the account."""
    try:
        await ensure_access(connection, principal, user_id)
    except NotFoundError:
        raise NotFoundError() from None


READ_AHEAD_OPERATION = "getTask"  # the contract's operationId of GET /api/{user_id}/tasks/{task_id}


def task_read_ahead(subject: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(account id, task id) when the request being served is `getTask` of the account
    `subject` names (the token's subject): the task the verifier can read in its statement."""
    request = context.request_session.get()
    scope = request.scope if request is not None else None
    if scope is None or scope.get("method") != "GET":
        return None
    route: Any = scope.get("route")
    params: Any = scope.get("path_params")
    if getattr(route, "operation_id", None) != READ_AHEAD_OPERATION or not params:
        return None
    try:
        user_id, task_id = uuid.UUID(params["user_id"]), uuid.UUID(params["task_id"])
    except (KeyError, TypeError, ValueError):
        return None  # the route's own validation answers
    return (user_id, task_id) if str(user_id) == subject else None


def keep_read_ahead(user_id: uuid.UUID, task_id: uuid.UUID, row: TaskFields | None) -> None:
    """Keep the task the verifier read (None: no such live task) for `task_to_read`."""
    request = context.request_session.get()
    if request is not None:
        request.read_ahead["task", user_id, task_id] = row


_NOT_READ = object()


async def task_to_read(
    connection: AsyncConnection, principal: Principal, user_id: uuid.UUID, task_id: uuid.UUID
) -> TaskFields:
    """`task_of` for reading only (the live task's fields, no ORM object); the task the
    verifier read ahead for this request, when it did."""
    await _ensure_task_access(connection, principal, user_id)
    request = context.request_session.get()
    ahead: Any = (
        _NOT_READ
        if request is None
        else request.read_ahead.get(("task", user_id, task_id), _NOT_READ)
    )
    row = await task_repo.read(connection, user_id, task_id) if ahead is _NOT_READ else ahead
    if row is None:
        raise NotFoundError()
    return row


async def task_of(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    task_id: uuid.UUID,
    *,
    deleted_too: bool = False,
    for_update: bool = False,
) -> TaskRow:
    """The task, when the caller may see it; NotFoundError ("No such task.") for anything else."""
    await _ensure_task_access(await session.connection(), principal, user_id)
    row = await task_repo.get(
        session, user_id, task_id, deleted_too=deleted_too, for_update=for_update
    )
    if row is None:
        raise NotFoundError()
    return row
