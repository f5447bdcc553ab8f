"""What the services share, built once per app: settings, database, credentials, rate limits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tasks_service.core.config import Settings
from tasks_service.core.db import create_engine, create_sessionmaker
from tasks_service.core.ratelimit import RateLimiter
from tasks_service.core.security import CursorSigner, Passwords, Tokens


@dataclass(frozen=True)
class Deps:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    passwords: Passwords
    tokens: Tokens
    limiter: RateLimiter
    cursors: CursorSigner

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        engine: AsyncEngine | None = None,
        limiter: RateLimiter | None = None,
    ) -> Deps:
        engine = engine or create_engine(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessions=create_sessionmaker(engine),
            passwords=Passwords(settings),
            tokens=Tokens(settings),
            limiter=limiter or RateLimiter.from_settings(settings),
            cursors=CursorSigner(settings.cursor_keys),
        )

    async def close(self) -> None:
        await self.limiter.close()
        await self.engine.dispose()
