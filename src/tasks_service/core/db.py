"""The async engine and session factory, built from Settings, with every wait bounded.

PostgreSQL (asyncpg): a connect timeout, a command timeout on every statement (the client gives
up on a frozen server) matched by the server's own `statement_timeout`, and a pool timeout for
a free connection. SQLite: the busy timeout. A dependency that does not answer within these
raises a driver error, which `tasks_service.errors` answers 503.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from tasks_service.core.config import Settings


def create_engine(settings: Settings, **overrides: Any) -> AsyncEngine:
    """An engine for `settings.database_url`; SQLite files get their folder created."""
    url = settings.sqlalchemy_url
    statement_timeout = settings.database_statement_timeout_seconds
    kwargs: dict[str, Any] = {"echo": settings.database_echo, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": statement_timeout}
    else:
        kwargs["pool_size"] = settings.database_pool_size
        kwargs["max_overflow"] = settings.database_max_overflow
        kwargs["pool_timeout"] = settings.database_pool_timeout_seconds
        if url.startswith("postgresql+asyncpg"):
            server_settings = {"statement_timeout": str(int(statement_timeout * 1000))}
            if settings.database_schema:
                server_settings["search_path"] = settings.database_schema
            kwargs["connect_args"] = {
                "timeout": settings.database_connect_timeout_seconds,
                "command_timeout": statement_timeout,
                "server_settings": server_settings,
            }
    kwargs.update(overrides)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        busy_ms = int(statement_timeout * 1000)

        def sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            # Foreign keys are off by default in SQLite; WAL lets readers run beside the writer
            # and busy_timeout makes a second writer wait (boundedly) instead of failing at once.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.close()

        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
