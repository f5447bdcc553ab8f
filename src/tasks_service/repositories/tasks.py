"""Tasks, and the keyset pagination of their list.

A page is `ORDER BY <key>, id LIMIT n+1` continuing strictly after the last row of the previous
page (the cursor holds that row's key and id), so pages stay stable while tasks are added and
each page is one index range scan on `(owner_id, key, id)`; no OFFSET scans. The total is one
COUNT with the same filters. Tasks without a due date come last in both directions of `due_at`.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from tasks_service.db.tables import TaskRow

SORTS = ("created_at", "-created_at", "due_at", "-due_at", "title", "-title")


class InvalidCursorError(ValueError):
    """A cursor that is not one this service issued for the requested sort."""


@dataclass(frozen=True)
class TaskFilter:
    owner_id: uuid.UUID
    status: str | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None
    text: str | None = None


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended: the sort it was for, that row's sort key and id."""

    sort: str
    key: str | None  # ISO datetime or title; None for a task without due date
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps({"s": self.sort, "k": self.key, "i": str(self.id)}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, sort: str) -> Cursor:
        try:
            padded = text + "=" * (-len(text) % 4)
            data: Any = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            cursor = cls(sort=data["s"], key=data["k"], id=uuid.UUID(data["i"]))
            if cursor.sort != sort:
                raise InvalidCursorError(f"this cursor was issued for sort={cursor.sort}")
            if cursor.key is not None and not isinstance(cursor.key, str):
                raise InvalidCursorError("malformed cursor")
            if cursor.sort.lstrip("-") != "due_at" and cursor.key is None:
                raise InvalidCursorError("malformed cursor")
            if cursor.sort.lstrip("-") != "title" and cursor.key is not None:
                instant = datetime.fromisoformat(cursor.key)
                if instant.tzinfo is None:
                    raise InvalidCursorError("malformed cursor")
                instant.astimezone(UTC)
        except InvalidCursorError:
            raise
        except (
            ValueError,
            KeyError,
            TypeError,
            UnicodeError,
            OverflowError,
            binascii.Error,
        ) as exc:
            raise InvalidCursorError("malformed cursor") from exc
        return cursor


def _key_of(row: TaskRow, field: str) -> str | None:
    if field == "title":
        return row.title
    value: datetime | None = row.created_at if field == "created_at" else row.due_at
    return value.isoformat() if value is not None else None


def _filtered(query: Select[Any], flt: TaskFilter) -> Select[Any]:
    query = query.where(TaskRow.owner_id == flt.owner_id, TaskRow.deleted_at.is_(None))
    if flt.status is not None:
        query = query.where(TaskRow.status == flt.status)
    if flt.due_after is not None:
        query = query.where(TaskRow.due_at >= flt.due_after)
    if flt.due_before is not None:
        query = query.where(TaskRow.due_at < flt.due_before)
    if flt.text:
        escaped = flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                TaskRow.title.ilike(pattern, escape="\\"),
                TaskRow.description.ilike(pattern, escape="\\"),
            )
        )
    return query


def _after(cursor: Cursor, field: str, descending: bool) -> ColumnElement[bool]:
    """Rows strictly after the cursor in the order `(key, id)` (`due_at`: nulls last)."""
    column: Any = getattr(TaskRow, field)
    key: Any = cursor.key
    if field != "title" and key is not None:
        key = datetime.fromisoformat(key).astimezone(UTC)
    tie_only = TaskRow.id < cursor.id if descending else TaskRow.id > cursor.id
    if key is None:  # only `due_at`: already among the tasks without due date, which come last
        return and_(TaskRow.due_at.is_(None), tie_only)
    beyond = (
        or_(column < key, and_(column == key, tie_only))
        if descending
        else or_(column > key, and_(column == key, tie_only))
    )
    if field != "due_at":
        return beyond
    return or_(and_(TaskRow.due_at.is_not(None), beyond), TaskRow.due_at.is_(None))


async def page(
    session: AsyncSession, flt: TaskFilter, *, sort: str, limit: int, cursor: str | None
) -> tuple[list[TaskRow], int, str | None]:
    """One page of tasks, the total matching the filters, and the next page's cursor."""
    field, descending = sort.lstrip("-"), sort.startswith("-")
    column: Any = getattr(TaskRow, field)
    order: list[Any] = []
    if field == "due_at":
        order.append(TaskRow.due_at.is_(None))
    order += [column.desc(), TaskRow.id.desc()] if descending else [column, TaskRow.id]
    query = _filtered(select(TaskRow), flt).order_by(*order).limit(limit + 1)
    if cursor is not None:
        query = query.where(_after(Cursor.decode(cursor, sort), field, descending))
    rows = list(await session.scalars(query))
    total = await session.scalar(_filtered(select(func.count()).select_from(TaskRow), flt))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = Cursor(sort=sort, key=_key_of(last, field), id=last.id).encode()
    return rows, int(total or 0), next_cursor


async def get(
    session: AsyncSession,
    owner_id: uuid.UUID,
    task_id: uuid.UUID,
    *,
    deleted_too: bool = False,
) -> TaskRow | None:
    """The task if it exists and belongs to `owner_id` (anything else looks like absence).
    Deleted tasks count as absent unless `deleted_too`."""
    query = select(TaskRow).where(TaskRow.id == task_id, TaskRow.owner_id == owner_id)
    if not deleted_too:
        query = query.where(TaskRow.deleted_at.is_(None))
    result = await session.execute(query)
    return result.scalar_one_or_none()


async def purge_deleted(session: AsyncSession, before: datetime) -> int:
    """Delete for good the tasks deleted before `before`."""
    result = await session.execute(
        delete(TaskRow)
        .where(TaskRow.deleted_at.is_not(None), TaskRow.deleted_at < before)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount if isinstance(result, CursorResult) else 0
