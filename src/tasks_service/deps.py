"""What the services share, built once per app: settings, database, credentials, rate limits.

Database access goes through `reading()` (one session per request, shared by the token verifier
and the service, without a transaction on PostgreSQL) and `transaction()` (a write transaction
of its own, on the same pool). A request therefore holds at most one pooled connection at a
time, and an authenticated GET costs one checkout and no BEGIN/ROLLBACK.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from tasks_service.core import context
from tasks_service.core.config import Settings
from tasks_service.core.db import (
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
    reads_of,
)
from tasks_service.core.ratelimit import RateLimiter
from tasks_service.core.security import CursorSigner, Passwords, Tokens


@dataclass(frozen=True)
class Deps:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    read_engine: AsyncEngine
    readers: async_sessionmaker[AsyncSession]
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
        read_engine = reads_of(engine)
        return cls(
            settings=settings,
            engine=engine,
            sessions=create_sessionmaker(engine),
            read_engine=read_engine,
            readers=create_read_sessionmaker(read_engine),
            passwords=Passwords(settings),
            tokens=Tokens(settings),
            limiter=limiter or RateLimiter.from_settings(settings),
            cursors=CursorSigner(settings.cursor_keys),
        )

    @asynccontextmanager
    async def read_connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection for plain (Core) reads: the request's own (opened here on first use,
        given back by the request middleware when the response starts), or outside a request
        one closed on leaving. The hot path (verifier, GET of a task, a list page) reads only through it: no
        ORM session is made for them."""
        scope = context.request_session.get()
        if scope is None:
            async with self.read_engine.connect() as connection:
                yield connection
            return
        yield await self._request_connection(scope)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """An ORM session for reads, on the request's read connection (or outside a request a
        session of its own, closed on leaving)."""
        scope = context.request_session.get()
        if scope is None:
            async with self.readers() as session:
                yield session
            return
        if scope.session is None:
            scope.session = self.readers(bind=await self._request_connection(scope))
        yield scope.session

    async def _request_connection(self, scope: context.RequestSession) -> AsyncConnection:
        """The request's read connection, opened on first use."""
        if scope.connection is None:
            scope.connection = await self.read_engine.connect()
        return scope.connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction, committed on leaving (rolled back on an error). The
        request's read session gives its connection back first, so a request never holds two
        (which could exhaust the pool with every request waiting for a second one)."""
        scope = context.request_session.get()
        if scope is not None:
            await scope.close()
        async with self.sessions() as session, session.begin():
            yield session

    async def close(self) -> None:
        await self.limiter.close()
        await self.engine.dispose()
