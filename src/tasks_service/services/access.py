"""Who may reach `/api/{user_id}/tasks…`, and the lookup of a task behind that check.

Only the account itself (the token's subject) or an admin may; anyone else gets 404, exactly as
for an account or task that does not exist, so nothing about other accounts can be learned.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tasks_api.security import Principal
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


async def task_to_read(
    connection: AsyncConnection, principal: Principal, user_id: uuid.UUID, task_id: uuid.UUID
) -> TaskFields:
    """`task_of` for reading only (the live task's fields, no ORM object)."""
    await _ensure_task_access(connection, principal, user_id)
    row = await task_repo.read(connection, user_id, task_id)
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
