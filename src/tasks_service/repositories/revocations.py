"""Revoked access tokens, and the verifier's one query: the account and whether it is revoked
(and, for a GET of one of the caller's own tasks, that task in the same statement)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tasks_service.orm.tables import RefreshTokenRow, RevokedTokenRow, TaskFields, TaskRow, UserRow


async def revoke(session: AsyncSession, jti: str, expires_at: datetime) -> None:
    """Record `jti` as revoked (idempotent: a second logout with the same token is harmless)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(RevokedTokenRow)
        .values(jti=jti, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["jti"])
    )


@dataclass(frozen=True)
class AccountState:
    """What the verifier needs of an account on every request."""

    role: str
    is_active: bool


_TASK_COLUMNS = tuple(TaskRow.__table__.c)  # no name among them is `role` or `is_active`


def _account_query(*, with_session: bool, with_task: bool = False) -> Select[Any]:
    """The account's role and state, when neither the token (`jti`) nor (`with_session`) its
    login session is revoked; `with_task`: and the account's live task `task_id`, outer-joined
    (its columns are NULL when there is no such task)."""
    if with_task:
        query = (
            select(UserRow.role, UserRow.is_active, *_TASK_COLUMNS)
            .select_from(UserRow)
            .outerjoin(
                TaskRow,
                and_(
                    TaskRow.owner_id == UserRow.id,
                    TaskRow.id == bindparam("task_id"),
                    TaskRow.deleted_at.is_(None),
                ),
            )
        )
    else:
        query = select(UserRow.role, UserRow.is_active)
    query = query.where(
        UserRow.id == bindparam("user_id"), ~exists().where(RevokedTokenRow.jti == bindparam("jti"))
    )
    if with_session:
        query = query.where(
            ~exists().where(
                RefreshTokenRow.family_id == bindparam("session_id"),
                RefreshTokenRow.revoked_at.is_not(None),
            )
        )
    return query


# Built once: a statement object keeps its SQLAlchemy cache key, so a request neither rebuilds
# nor re-keys it (measured: statement building was a tenth of a GET's CPU time).
_ACCOUNT = {
    (with_session, with_task): _account_query(with_session=with_session, with_task=with_task)
    for with_session in (False, True)
    for with_task in (False, True)
}


def _params(user_id: uuid.UUID, jti: str, session_id: uuid.UUID | None) -> dict[str, Any]:
    params: dict[str, Any] = {"user_id": user_id, "jti": jti}
    if session_id is not None:  # sessions are refresh-token families, named by a UUID
        params["session_id"] = session_id
    return params


async def account_unless_revoked(
    connection: AsyncConnection, user_id: uuid.UUID, jti: str, session_id: uuid.UUID | None
) -> AccountState | None:
    """The account's role and state, unless the token (`jti`) or its login session
    (`session_id`, a refresh token family revoked by logout, reuse or deactivation) is revoked.
    One statement, read as plain columns (no ORM object)."""
    statement = _ACCOUNT[session_id is not None, False]
    row = (await connection.execute(statement, _params(user_id, jti, session_id))).first()
    return AccountState(role=row.role, is_active=row.is_active) if row is not None else None


async def account_and_task_unless_revoked(
    connection: AsyncConnection,
    user_id: uuid.UUID,
    jti: str,
    session_id: uuid.UUID | None,
    task_id: uuid.UUID,
) -> tuple[AccountState | None, TaskFields | None]:
    """`account_unless_revoked`, and in the same statement the account's own live task
    `task_id` (what `tasks.read(connection, user_id, task_id)` reads), None when there is none.
    Without an account (or with a revoked token) there is no row, so no task either."""
    statement = _ACCOUNT[session_id is not None, True]
    params = _params(user_id, jti, session_id) | {"task_id": task_id}
    row = (await connection.execute(statement, params)).first()
    if row is None:
        return None, None
    task: TaskFields | None = row if row.id is not None else None
    return AccountState(role=row.role, is_active=row.is_active), task


async def delete_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(RevokedTokenRow)
        .where(RevokedTokenRow.expires_at < now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount if isinstance(result, CursorResult) else 0
