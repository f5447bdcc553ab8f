"""Tasks of one account, as the path's `user_id` names it.

Only the account itself (the token's subject) or an admin may reach `/api/{user_id}/tasks`;
anyone else gets 404, exactly as for an account or task that does not exist, so nothing about
other accounts can be learned. Writes honour `If-Match` and are compare-and-set on `version`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from tasks_api import models, responses
from tasks_api.security import Principal
from tasks_service.db.tables import TaskRow
from tasks_service.db.types import utcnow
from tasks_service.repositories import tasks as task_repo
from tasks_service.repositories import users
from tasks_service.services.convert import (
    etag,
    if_match_ok,
    if_none_match_hit,
    not_found,
    problem,
    task_out,
)
from tasks_service.services.deps import Deps

RESTORE_WINDOW = timedelta(days=30)  # the contract promises 30 days
Sort = Literal["created_at", "-created_at", "due_at", "-due_at", "title", "-title"]
_WRITE_ATTEMPTS = 3  # unconditional writes retry a lost compare-and-set this often


async def may_access(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> bool:
    """Whether the caller may see `user_id`'s tasks (its own, or any existing account if admin)."""
    if principal.subject == str(user_id):
        return True
    return "admin" in principal.scopes and await users.get(session, user_id) is not None


def _stale() -> models.Problem:
    return problem(
        412,
        "Precondition Failed",
        "The task was changed since you read it; fetch it again and retry.",
        "precondition-failed",
    )


class _OutOfRangeError(ValueError):
    """A timestamp whose UTC equivalent falls outside years 1-9999."""


def _utc(value: datetime | None) -> datetime | None:
    """Due dates are stored and returned in UTC, whatever offset the client sent."""
    try:
        return value.astimezone(UTC) if value is not None else None
    except OverflowError:
        raise _OutOfRangeError from None


def _out_of_range() -> models.Problem:
    return problem(
        422,
        "Unprocessable Content",
        "A timestamp is outside the supported range (years 1 to 9999 in UTC).",
    )


def _set_status(row: TaskRow, status: models.TaskStatus, now: datetime) -> None:
    if status.value == row.status:
        return
    row.status = status.value
    row.completed_at = now if status is models.TaskStatus.completed else None


class TasksService:
    """Implements `tasks_api.services.TasksService`."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

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
    ) -> models.TaskPage | responses.BadRequest | responses.NotFound:
        try:
            flt = task_repo.TaskFilter(
                owner_id=user_id,
                status=status.value if status else None,
                due_after=_utc(due_after),
                due_before=_utc(due_before),
                text=q,
            )
        except _OutOfRangeError:
            raise responses.UnprocessableContent(body=_out_of_range()) from None
        async with self._deps.sessions() as session:
            if not await may_access(session, principal, user_id):
                return responses.NotFound(body=not_found("account"))
            try:
                rows, total, next_cursor = await task_repo.page(
                    session, flt, sort=sort, limit=limit, cursor=cursor
                )
            except task_repo.InvalidCursorError as exc:
                return responses.BadRequest(
                    body=problem(400, "Bad Request", f"Invalid cursor: {exc}", "invalid-cursor")
                )
        return models.TaskPage(
            items=[task_out(row) for row in rows],
            total=total,
            limit=limit,
            next_cursor=next_cursor,
        )

    async def create_task(
        self, *, user_id: uuid.UUID, body: models.TaskCreate, principal: Principal
    ) -> responses.CreateTask201Response | responses.NotFound:
        now = utcnow()
        status = body.status if isinstance(body.status, models.TaskStatus) else None
        status = status or models.TaskStatus.pending
        try:
            due_at = _utc(body.due_at) if isinstance(body.due_at, datetime) else None
        except _OutOfRangeError:
            raise responses.UnprocessableContent(body=_out_of_range()) from None
        async with self._deps.sessions() as session, session.begin():
            if not await may_access(session, principal, user_id):
                return responses.NotFound(body=not_found("account"))
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
    ) -> responses.GetTask200Response | responses.GetTask304Response | responses.NotFound:
        async with self._deps.sessions() as session:
            allowed = await may_access(session, principal, user_id)
            row = await task_repo.get(session, user_id, task_id) if allowed else None
        if row is None:
            return responses.NotFound(body=not_found())
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
    ) -> TaskRow | Literal[404, 412, 422]:
        fields = change.model_dump(exclude_unset=True)
        try:
            due_at = _utc(fields.get("due_at"))
        except _OutOfRangeError:
            return 422
        for _ in range(_WRITE_ATTEMPTS):
            try:
                async with self._deps.sessions() as session, session.begin():
                    allowed = await may_access(session, principal, user_id)
                    row = await task_repo.get(session, user_id, task_id) if allowed else None
                    if row is None:
                        return 404
                    if not if_match_ok(if_match, row):
                        return 412
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
            except StaleDataError:
                if if_match is not None:
                    return 412  # changed between our read and our write
        return 412

    async def replace_task(
        self,
        *,
        user_id: uuid.UUID,
        task_id: uuid.UUID,
        body: models.TaskReplace,
        principal: Principal,
        if_match: str | None = None,
    ) -> responses.ReplaceTask200Response | responses.NotFound | responses.PreconditionFailed:
        result = await self._write(user_id, task_id, principal, if_match, body)
        if result == 404:
            return responses.NotFound(body=not_found())
        if result == 412:
            return responses.PreconditionFailed(body=_stale())
        if result == 422:
            raise responses.UnprocessableContent(body=_out_of_range()) from None
        assert isinstance(result, TaskRow)
        return responses.ReplaceTask200Response(body=task_out(result), etag=etag(result))

    async def update_task(
        self,
        *,
        user_id: uuid.UUID,
        task_id: uuid.UUID,
        body: models.TaskPatch,
        principal: Principal,
        if_match: str | None = None,
    ) -> responses.UpdateTask200Response | responses.NotFound | responses.PreconditionFailed:
        if not body.model_fields_set:
            # The contract says `minProperties: 1`; the generated model does not enforce it.
            raise responses.UnprocessableContent(
                body=problem(422, "Unprocessable Content", "The body must name at least one field.")
            )
        result = await self._write(user_id, task_id, principal, if_match, body)
        if result == 404:
            return responses.NotFound(body=not_found())
        if result == 412:
            return responses.PreconditionFailed(body=_stale())
        if result == 422:
            raise responses.UnprocessableContent(body=_out_of_range()) from None
        assert isinstance(result, TaskRow)
        return responses.UpdateTask200Response(body=task_out(result), etag=etag(result))

    async def delete_task(
        self,
        *,
        user_id: uuid.UUID,
        task_id: uuid.UUID,
        principal: Principal,
        if_match: str | None = None,
    ) -> responses.NotFound | responses.PreconditionFailed | None:
        for _ in range(_WRITE_ATTEMPTS):
            try:
                async with self._deps.sessions() as session, session.begin():
                    allowed = await may_access(session, principal, user_id)
                    row = await task_repo.get(session, user_id, task_id) if allowed else None
                    if row is None:
                        return responses.NotFound(body=not_found())
                    if not if_match_ok(if_match, row):
                        return responses.PreconditionFailed(body=_stale())
                    row.deleted_at = row.updated_at = utcnow()
                    await session.flush()
                return None
            except StaleDataError:
                if if_match is not None:
                    return responses.PreconditionFailed(body=_stale())
        return responses.PreconditionFailed(body=_stale())

    async def restore_task(
        self, *, user_id: uuid.UUID, task_id: uuid.UUID, principal: Principal
    ) -> responses.RestoreTask200Response | responses.NotFound | responses.Conflict:
        now = utcnow()
        try:
            async with self._deps.sessions() as session, session.begin():
                allowed = await may_access(session, principal, user_id)
                row = (
                    await task_repo.get(session, user_id, task_id, deleted_too=True)
                    if allowed
                    else None
                )
                if row is None or (
                    row.deleted_at is not None and row.deleted_at < now - RESTORE_WINDOW
                ):
                    return responses.NotFound(body=not_found())
                if row.deleted_at is None:
                    return responses.Conflict(
                        body=problem(409, "Conflict", "The task is not deleted.", "not-deleted")
                    )
                row.deleted_at = None
                row.updated_at = now
                await session.flush()
        except StaleDataError:  # restored (or purged) concurrently: say what is true now
            return responses.Conflict(
                body=problem(409, "Conflict", "The task was changed meanwhile.", "not-deleted")
            )
        return responses.RestoreTask200Response(body=task_out(row), etag=etag(row))
