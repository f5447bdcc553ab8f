"""Accounts."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tasks_service.orm.tables import UserRow
from tasks_service.orm.types import utcnow


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def get(session: AsyncSession, user_id: uuid.UUID) -> UserRow | None:
    return await session.get(UserRow, user_id)


_EXISTS = select(UserRow.id).where(UserRow.id == bindparam("user_id"))


async def exists(connection: AsyncConnection, user_id: uuid.UUID) -> bool:
    """Whether the account exists (one primary-key lookup, no ORM object)."""
    result = await connection.execute(_EXISTS, {"user_id": user_id})
    return result.first() is not None


async def get_by_email(session: AsyncSession, email: str) -> UserRow | None:
    result = await session.execute(select(UserRow).where(UserRow.email == normalise_email(email)))
    return result.scalar_one_or_none()


async def add(
    session: AsyncSession, *, email: str, password_hash: str, display_name: str, role: str = "user"
) -> UserRow:
    now = utcnow()
    row = UserRow(
        id=uuid.uuid4(),
        email=normalise_email(email),
        password_hash=password_hash,
        display_name=display_name,
        role=role,
        is_active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def page(session: AsyncSession, *, limit: int, offset: int) -> tuple[list[UserRow], int]:
    total = await session.scalar(select(func.count()).select_from(UserRow))
    rows = await session.scalars(
        select(UserRow).order_by(UserRow.created_at, UserRow.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)
