"""Tasks of one account, as the path's `user_id` names it (access rules in `services.access`).

Writes honour `If-Match` and are compare-and-set on `version`. A write without `If-Match` never
answers 412: on PostgreSQL the row is locked (`SELECT … FOR UPDATE`) from the read to the write,
so nothing can change in between; on SQLite, which has no row locks, a compare-and-set lost to
a concurrent writer is retried until it wins or `write_retry_seconds` pass (then 503).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from sqlalchemy.orm.exc import StaleDataError

from tasks_api import models, responses
from tasks_api.security import Principal
from tasks_service.core.security import InvalidSignatureError
from tasks_service.deps import Deps
from tasks_service.errors import (
    ConflictError,
    InvalidCursorError,
    NotFoundError,
    PreconditionFailedError,
    UnavailableError,
    UnprocessableError,
)
from tasks_service.orm.tables import TaskRow
from tasks_service.orm.types import utcnow
from tasks_service.repositories import tasks as task_repo
from tasks_service.services.access import ensure_access, task_of, task_to_read
from tasks_service.services.convert import etag, if_match_ok, if_none_match_hit, task_out

RESTORE_WINDOW = timedelta(days=30)  # the contract promises 30 days
Sort = Literal["created_at", "-created_at", "due_at", "-due_at", "title", "-title"]
T = TypeVar("T")


def _utc(value: datetime | None) -> datetime | None:
    """Due dates are stored and returned in UTC, whatever offset the client sent."""
    try:
        return value.astimezone(UTC) if value is not None else None
    except OverflowError:
        raise UnprocessableError(
            "A timestamp is outside the supported range (years 1 to 9999 in UTC)."
        ) from None


def _set_status(row: TaskRow, status: models.TaskStatus, now: datetime) -> None:
    if status.value == row.status:
        return
    row.status = status.value
    row.completed_at = now if status is models.TaskStatus.completed else None


class TasksService:
    """Implements `tasks_api.services.TasksService`."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def _until_written(self, if_match: str | None, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run one write transaction; a lost compare-and-set is 412 under `If-Match`, else the
        write is tried again (after a short random pause) until it wins or the deadline passes."""
        deadline = time.monotonic() + self._deps.settings.write_retry_seconds
        pause = 0.005
        while True:
            try:
                return await attempt()
            except StaleDataError:
                if if_match is not None:
                    raise PreconditionFailedError() from None
                if time.monotonic() + pause > deadline:
                    raise UnavailableError(
                        "Too many concurrent writes to this task; retry.", "write-contention"
                    ) from None
            await asyncio.sleep(random.uniform(0, pause))
            pause = min(pause * 2, 0.2)

    async def list_tasks(
        self,
        *,
        user_id: uuid.UUID,
        principal: Principal,
        limit: int = 20,
        cursor: str | None = None,
        status: models.TaskStatus | None = None,
        due_after: datetime | None = None,
        due_before: datetime | None = None,
        q: str | None = None,
        sort: Sort = "-created_at",
    ) -> models.TaskPage:
        flt = task_repo.TaskFilter(
            owner_id=user_id,
            status=status.value if status else None,
            due_after=_utc(due_after),
            due_before=_utc(due_before),
            text=q,
        )
        after = None
        if cursor is not None:
            try:
                after = task_repo.Cursor.from_payload(self._deps.cursors.open(cursor), sort)
            except (InvalidSignatureError, task_repo.InvalidCursorError) as exc:
                raise InvalidCursorError(str(exc)) from None
        async with self._deps.read_connection() as connection:
            await ensure_access(connection, principal, user_id)
            rows, total, next_at = await task_repo.page(
                connection, flt, sort=sort, limit=limit, after=after
            )
        return models.TaskPage(
            items=[task_out(row) for row in rows],
            total=total,
            limit=limit,
            next_cursor=self._deps.cursors.sign(next_at.to_payload()) if next_at else None,
        )

    async def create_task(
        self, *, user_id: uuid.UUID, body: models.TaskCreate, principal: Principal
    ) -> responses.CreateTask201Response:
        now = utcnow()
        status = body.status if isinstance(body.status, models.TaskStatus) else None
        status = status or models.TaskStatus.pending
        due_at = _utc(body.due_at) if isinstance(body.due_at, datetime) else None
        async with self._deps.transaction() as session:
            await ensure_access(await session.connection(), principal, user_id)
            row = TaskRow(
                id=uuid.uuid4(),
                owner_id=user_id,
                title=body.title,
                description=body.description or "",
                status=status.value,
                due_at=due_at,
                completed_at=now if status is models.TaskStatus.completed else None,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
        return responses.CreateTask201Response(
            body=task_out(row), location=f"/api/{user_id}/tasks/{row.id}", etag=etag(row)
        )

    async def get_task(
        self,
        *,
        user_id: uuid.UUID,
        task_id: uuid.UUID,
        principal: Principal,
        if_none_match: str | None = None,
    ) -> responses.GetTask200Response | responses.GetTask304Response:
        async with self._deps.read_connection() as connection:
            row = await task_to_read(connection, principal, user_id, task_id)
        if if_none_match_hit(if_none_match, row):
            return responses.GetTask304Response(etag=etag(row))
        return responses.GetTask200Response(body=task_out(row), etag=etag(row))

    async def _write(
        self,
        user_id: uuid.UUID,
        task_id: uuid.UUID,
        principal: Principal,
        if_match: str | None,
        change: models.TaskReplace | models.TaskPatch,
    ) -> TaskRow:
        fields = change.model_dump(exclude_unset=True)
        due_at = _utc(fields.get("due_at"))

        async def attempt() -> TaskRow:
            async with self._deps.transaction() as session:
                row = await task_of(session, principal, user_id, task_id, for_update=True)
                if not if_match_ok(if_match, row):
                    raise PreconditionFailedError()
                now = utcnow()
                if "title" in fields:
                    row.title = fields["title"]
                if "description" in fields:
                    row.description = fields["description"]
                if "due_at" in fields:
                    row.due_at = due_at
                if isinstance(change.status, models.TaskStatus):
                    _set_status(row, change.status, now)
                row.updated_at = now
                await session.flush()
            return row

        return await self._until_written(if_match, attempt)

    async def replace_task(
        self,
        *,
        user_id: uuid.UUID,
        task_id: uuid.UUID,
        body: models.TaskReplace,
        principal: Principal,
        if_match: str | None = None,
    ) -> responses.ReplaceTask200Response:
        row = await self._write(user_id, task_id, principal, if_match, body)
        return responses.ReplaceTask200Response(body=task_out(row), etag=etag(row))

    async def update_task(
        self,
        *,
        user_id: uuid.UUID,
        task_id: uuid.UUID,
        body: models.TaskPatch,
        principal: Principal,
        if_match: str | None = None,
    ) -> responses.UpdateTask200Response:
        if not body.model_fields_set:
            # The contract says `minProperties: 1`; the generated model does not enforce it.
            raise UnprocessableError("The body must name at least one field.")
        row = await self._write(user_id, task_id, principal, if_match, body)
        return responses.UpdateTask200Response(body=task_out(row), etag=etag(row))

    async def delete_task(
        self,
        *,
        user_id: uuid.UUID,
        task_id: uuid.UUID,
        principal: Principal,
        if_match: str | None = None,
    ) -> None:
        async def attempt() -> None:
            async with self._deps.transaction() as session:
                row = await task_of(session, principal, user_id, task_id, for_update=True)
                if not if_match_ok(if_match, row):
                    raise PreconditionFailedError()
                row.deleted_at = row.updated_at = utcnow()
                await session.flush()

        await self._until_written(if_match, attempt)

    async def restore_task(
        self, *, user_id: uuid.UUID, task_id: uuid.UUID, principal: Principal
    ) -> responses.RestoreTask200Response:
        now = utcnow()
        try:
            async with self._deps.transaction() as session:
                row = await task_of(
                    session, principal, user_id, task_id, deleted_too=True, for_update=True
                )
                if row.deleted_at is not None and row.deleted_at < now - RESTORE_WINDOW:
                    raise NotFoundError()
                if row.deleted_at is None:
                    raise ConflictError("The task is not deleted.", "not-deleted")
                row.deleted_at = None
                row.updated_at = now
                await session.flush()
        except StaleDataError:  # restored (or purged) concurrently: say what is true now
            raise ConflictError("The task was changed meanwhile.", "not-deleted") from None
        return responses.RestoreTask200Response(body=task_out(row), etag=etag(row))
