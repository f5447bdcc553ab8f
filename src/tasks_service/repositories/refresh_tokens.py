"""Refresh tokens: rotation within a family (one login session) and revocation of a family."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from tasks_service.orm.tables import RefreshTokenRow


async def add(
    session: AsyncSession,
    *,
    token_hash: str,
    family_id: uuid.UUID,
    user_id: uuid.UUID,
    scope: str,
    issued_at: datetime,
    expires_at: datetime,
) -> RefreshTokenRow:
    row = RefreshTokenRow(
        id=uuid.uuid4(),
        token_hash=token_hash,
        family_id=family_id,
        user_id=user_id,
        scope=scope,
        issued_at=issued_at,
        expires_at=expires_at,
        used_at=None,
        revoked_at=None,
    )
    session.add(row)
    await session.flush()
    return row


async def get_by_hash(session: AsyncSession, token_hash: str) -> RefreshTokenRow | None:
    result = await session.execute(
        select(RefreshTokenRow).where(RefreshTokenRow.token_hash == token_hash)
    )
    return result.scalar_one_or_none()


async def mark_used(session: AsyncSession, token_id: uuid.UUID, when: datetime) -> bool:
    """Spend a token; False when a concurrent request spent it first (a compare-and-set)."""
    result = await session.execute(
        update(RefreshTokenRow)
        .where(
            RefreshTokenRow.id == token_id,
            RefreshTokenRow.used_at.is_(None),
            RefreshTokenRow.revoked_at.is_(None),
        )
        .values(used_at=when)
        .execution_options(synchronize_session=False)
    )
    return isinstance(result, CursorResult) and result.rowcount == 1


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, when: datetime) -> None:
    await session.execute(
        update(RefreshTokenRow)
        .where(RefreshTokenRow.family_id == family_id, RefreshTokenRow.revoked_at.is_(None))
        .values(revoked_at=when)
        .execution_options(synchronize_session=False)
    )


async def revoke_user(session: AsyncSession, user_id: uuid.UUID, when: datetime) -> None:
    await session.execute(
        update(RefreshTokenRow)
        .where(RefreshTokenRow.user_id == user_id, RefreshTokenRow.revoked_at.is_(None))
        .values(revoked_at=when)
        .execution_options(synchronize_session=False)
    )


async def delete_expired(session: AsyncSession, now: datetime) -> int:
    """Forget expired tokens. Spent and revoked ones are kept until they expire, so reuse of a
    stolen token is recognised for as long as the token could have been valid."""
    result = await session.execute(
        delete(RefreshTokenRow)
        .where(RefreshTokenRow.expires_at < now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount if isinstance(result, CursorResult) else 0
