"""Revoked access tokens, and the verifier's one query: the account and whether it is revoked."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from tasks_service.orm.tables import RefreshTokenRow, RevokedTokenRow, UserRow


async def revoke(session: AsyncSession, jti: str, expires_at: datetime) -> None:
    """Record `jti` as revoked (idempotent: a second logout with the same token is harmless)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(RevokedTokenRow)
        .values(jti=jti, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["jti"])
    )


async def account_unless_revoked(
    session: AsyncSession, user_id: uuid.UUID, jti: str, session_id: uuid.UUID | None
) -> UserRow | None:
    """The account, unless the token (`jti`) or its login session (`session_id`, a refresh
    token family revoked by logout, reuse or deactivation) is revoked. One statement."""
    query = select(UserRow).where(
        UserRow.id == user_id, ~exists().where(RevokedTokenRow.jti == jti)
    )
    if session_id is not None:  # sessions are refresh-token families, named by a UUID
        query = query.where(
            ~exists().where(
                RefreshTokenRow.family_id == session_id, RefreshTokenRow.revoked_at.is_not(None)
            )
        )
    result = await session.execute(query)
    return result.scalar_one_or_none()


async def delete_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(RevokedTokenRow)
        .where(RevokedTokenRow.expires_at < now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount if isinstance(result, CursorResult) else 0
