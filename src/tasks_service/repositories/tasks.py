"""Tasks, and the keyset pagination of their list.

A page is `ORDER BY <key>, id LIMIT n+1` continuing strictly after the last row of the previous
page (the cursor holds that row's key and id), so pages stay stable while tasks are added and
each page is one index range scan on `(owner_id, key, id)`; no OFFSET scans. The total is one
COUNT with the same filters. Tasks without a due date come last in both directions of `due_at`.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, bindparam, delete, func, or_, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tasks_service.orm.tables import TaskFields, TaskRow

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
    """Where the previous page ended: the sort it was for, that row's sort key and id.

    Its JSON payload is signed by the service (`core.security.CursorSigner`); `from_payload`
    still checks every member's type and value, so a cursor that verifies but is not one this
    code made (an old format, a key misused elsewhere) is refused rather than crashing a query.
    """

    sort: str
    key: str | None  # ISO datetime or title; None for a task without due date
    id: uuid.UUID

    def to_payload(self) -> bytes:
        data = {"s": self.sort, "k": self.key, "i": str(self.id)}
        return json.dumps(data, separators=(",", ":")).encode()

    @classmethod
    def from_payload(cls, payload: bytes, sort: str) -> Cursor:
        try:
            data: Any = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidCursorError("malformed cursor") from exc
        if not isinstance(data, dict) or set(data) != {"s", "k", "i"}:
            raise InvalidCursorError("malformed cursor")
        cursor_sort, key, ident = data["s"], data["k"], data["i"]
        if not isinstance(cursor_sort, str) or not isinstance(ident, str):
            raise InvalidCursorError("malformed cursor")
        if key is not None and not (isinstance(key, str) and _storable(key)):
            raise InvalidCursorError("malformed cursor")
        if cursor_sort != sort:
            raise InvalidCursorError(f"this cursor was issued for sort={cursor_sort}")
        field = sort.lstrip("-")
        if key is None and field != "due_at":
            raise InvalidCursorError("malformed cursor")
        try:
            cursor_id = uuid.UUID(ident)
            if key is not None and field != "title":
                instant = datetime.fromisoformat(key)
                if instant.tzinfo is None:
                    raise InvalidCursorError("malformed cursor")
                instant.astimezone(UTC)
        except (ValueError, OverflowError) as exc:
            raise InvalidCursorError("malformed cursor") from exc
        return cls(sort=cursor_sort, key=key, id=cursor_id)


def _storable(text: str) -> bool:
    """Text every backend can compare: no NUL (PostgreSQL) and no lone surrogate (UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _key_of(row: TaskFields, field: str) -> str | None:
    if field == "title":
        return row.title
    value: datetime | None = row.created_at if field == "created_at" else row.due_at
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class _Shape:
    """What a page's statements depend on besides parameter values: the sort, which filters
    are given, and whether (and how) the page continues after a cursor."""

    sort: str
    filters: frozenset[str]  # the filter parameters given: status, due_after, due_before, pattern
    after: Literal["none", "key", "null"]


def _filters(shape: _Shape) -> list[ColumnElement[bool]]:
    conditions = [TaskRow.owner_id == bindparam("owner_id"), TaskRow.deleted_at.is_(None)]
    if "status" in shape.filters:
        conditions.append(TaskRow.status == bindparam("status"))
    if "due_after" in shape.filters:
        conditions.append(TaskRow.due_at >= bindparam("due_after"))
    if "due_before" in shape.filters:
        conditions.append(TaskRow.due_at < bindparam("due_before"))
    if "pattern" in shape.filters:
        pattern: Any = bindparam("pattern")
        conditions.append(
            or_(
                TaskRow.title.ilike(pattern, escape="\\"),
                TaskRow.description.ilike(pattern, escape="\\"),
            )
        )
    return conditions


def _after(shape: _Shape) -> ColumnElement[bool]:
    """Rows strictly after the cursor in the order `(key, id)` (`due_at`: nulls last)."""
    field, descending = shape.sort.lstrip("-"), shape.sort.startswith("-")
    column: Any = getattr(TaskRow, field)
    after_id: Any = bindparam("after_id")
    tie_only = TaskRow.id < after_id if descending else TaskRow.id > after_id
    if shape.after == "null":  # only `due_at`: already among the tasks without due date
        return and_(TaskRow.due_at.is_(None), tie_only)
    key: Any = bindparam("after_key")
    beyond = (
        or_(column < key, and_(column == key, tie_only))
        if descending
        else or_(column > key, and_(column == key, tie_only))
    )
    if field != "due_at":
        return beyond
    return or_(and_(TaskRow.due_at.is_not(None), beyond), TaskRow.due_at.is_(None))


_TASK_COLUMNS = tuple(TaskRow.__table__.c)


@functools.cache
def _page_statements(shape: _Shape) -> tuple[Select[Any], Select[Any]]:
    """The page and count statements of one shape, built once: a statement object keeps its
    SQLAlchemy cache key, so a request neither rebuilds nor re-keys it (6 sorts x 16 filter
    combinations x 3 cursor kinds at most)."""
    field, descending = shape.sort.lstrip("-"), shape.sort.startswith("-")
    column: Any = getattr(TaskRow, field)
    order: list[Any] = []
    if field == "due_at":
        order.append(TaskRow.due_at.is_(None))
    order += [column.desc(), TaskRow.id.desc()] if descending else [column, TaskRow.id]
    conditions = _filters(shape)
    count = select(func.count()).select_from(TaskRow).where(*conditions)
    if shape.after != "none":
        conditions.append(_after(shape))
    rows = select(*_TASK_COLUMNS).where(*conditions).order_by(*order).limit(bindparam("limit"))
    return rows, count


async def page(
    connection: AsyncConnection, flt: TaskFilter, *, sort: str, limit: int, after: Cursor | None
) -> tuple[Sequence[TaskFields], int, Cursor | None]:
    """One page of tasks (read-only rows, not ORM objects: nothing of a page is written), the
    total matching the filters, and where the next page starts."""
    field = sort.lstrip("-")
    params: dict[str, Any] = {}
    if flt.status is not None:
        params["status"] = flt.status
    if flt.due_after is not None:
        params["due_after"] = flt.due_after
    if flt.due_before is not None:
        params["due_before"] = flt.due_before
    if flt.text:
        escaped = flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["pattern"] = f"%{escaped}%"
    shape = _Shape(
        sort=sort,
        filters=frozenset(params),  # derived, so the statements and the parameters agree
        after="none" if after is None else "null" if after.key is None else "key",
    )
    params["owner_id"] = flt.owner_id
    count_params = dict(params)
    if after is not None:
        params["after_id"] = after.id
        if after.key is not None:
            params["after_key"] = (
                after.key if field == "title" else datetime.fromisoformat(after.key).astimezone(UTC)
            )
    params["limit"] = limit + 1
    rows_statement, count_statement = _page_statements(shape)
    rows: Sequence[TaskFields] = (await connection.execute(rows_statement, params)).all()
    total = (await connection.execute(count_statement, count_params)).scalar_one()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = Cursor(sort=sort, key=_key_of(last, field), id=last.id)
    return rows, int(total or 0), next_cursor


def _get_statement(*, deleted_too: bool, for_update: bool) -> Select[TaskRow]:
    query = select(TaskRow).where(
        TaskRow.id == bindparam("task_id"), TaskRow.owner_id == bindparam("owner_id")
    )
    if not deleted_too:
        query = query.where(TaskRow.deleted_at.is_(None))
    if for_update:
        query = query.with_for_update()
    return query


_GET = {
    (deleted_too, for_update): _get_statement(deleted_too=deleted_too, for_update=for_update)
    for deleted_too in (False, True)
    for for_update in (False, True)
}


async def get(
    session: AsyncSession,
    owner_id: uuid.UUID,
    task_id: uuid.UUID,
    *,
    deleted_too: bool = False,
    for_update: bool = False,
) -> TaskRow | None:
    """The task if it exists and belongs to `owner_id` (anything else looks like absence).
    Deleted tasks count as absent unless `deleted_too`. `for_update` locks the row until the
    transaction ends (`SELECT … FOR UPDATE` on PostgreSQL; SQLite has one writer anyway)."""
    result = await session.execute(
        _GET[deleted_too, for_update], {"task_id": task_id, "owner_id": owner_id}
    )
    return result.scalar_one_or_none()


_READ = select(*_TASK_COLUMNS).where(
    TaskRow.id == bindparam("task_id"),
    TaskRow.owner_id == bindparam("owner_id"),
    TaskRow.deleted_at.is_(None),
)


async def read(
    connection: AsyncConnection, owner_id: uuid.UUID, task_id: uuid.UUID
) -> TaskFields | None:
    """`get` for reading only: the live task's fields as a plain result row (no ORM object,
    nothing to write back), in one statement built once."""
    result = await connection.execute(_READ, {"task_id": task_id, "owner_id": owner_id})
    row: TaskFields | None = result.first()
    return row


async def purge_deleted(session: AsyncSession, before: datetime) -> int:
    """Delete for good the tasks deleted before `before`."""
    result = await session.execute(
        delete(TaskRow)
        .where(TaskRow.deleted_at.is_not(None), TaskRow.deleted_at < before)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount if isinstance(result, CursorResult) else 0
