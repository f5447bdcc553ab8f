"""What the services share: settings, the session factory, credentials, the shared store."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tasks_service.auth import Passwords, Tokens
from tasks_service.settings import Settings
from tasks_service.stores import Store


@dataclass(frozen=True)
class Deps:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    passwords: Passwords
    tokens: Tokens
    store: Store
