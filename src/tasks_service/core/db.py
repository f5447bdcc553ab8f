"""The async engine and session factories, built from Settings, with every wait bounded.

PostgreSQL (asyncpg): a connect timeout, a command timeout on every statement (the client gives
up on a frozen server) matched by the server's own `statement_timeout`, and a pool timeout for
a free connection. SQLite: the busy timeout. A dependency that does not answer within these
raises a driver error, which `tasks_service.errors` answers 503.

The pool is fixed (`database_pool_size` connections, `database_max_overflow` more, 0 by
default: no connections opened and closed under load) and fair (`core.pool`: connections are
handed out first come, first served, so no request is passed over while it waits). At checkout a pooled connection is
replaced when the driver knows it closed (asyncpg, no round trip) and pinged only when it sat
unused for over `IDLE_PING_SECONDS` (`ping_when_idle`), instead of on every checkout
(`pool_pre_ping` costs three round trips per checkout on asyncpg); a connection that breaks
while in use is caught by SQLAlchemy's disconnect handling, which invalidates the pool.

Reads (`create_read_sessionmaker`) run without a transaction on PostgreSQL: at the server's
READ COMMITTED every statement takes its own snapshot either way, so BEGIN and ROLLBACK would
only add two round trips. On SQLite the driver opens no transaction for a SELECT anyway.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from tasks_service.core.config import Settings
from tasks_service.core.pool import FairAsyncQueuePool

IDLE_PING_SECONDS = 1.0


def create_engine(settings: Settings, **overrides: Any) -> AsyncEngine:
    """An engine for `settings.database_url`; SQLite files get their folder created."""
    url = settings.sqlalchemy_url
    statement_timeout = settings.database_statement_timeout_seconds
    kwargs: dict[str, Any] = {"echo": settings.database_echo}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        memory = not path or path == ":memory:" or "mode=memory" in url
        if not memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["poolclass"] = FairAsyncQueuePool
            kwargs["pool_size"] = settings.database_pool_size
            kwargs["max_overflow"] = settings.database_max_overflow
            kwargs["pool_timeout"] = settings.database_pool_timeout_seconds
        kwargs["connect_args"] = {"timeout": statement_timeout}
    else:
        kwargs["poolclass"] = FairAsyncQueuePool
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
        _rollback_only_when_open(engine)
    ping_when_idle(engine)
    return engine


def ping_when_idle(engine: AsyncEngine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Ping a pooled connection at checkout only when it sat unused for over `idle_seconds` (a
    server restart or an idle cut may have broken it meanwhile); a failed ping makes the pool
    replace it (DisconnectionError), as `pool_pre_ping` does. Under load a connection is never
    idle that long, so the ping's round trips disappear from the hot path."""
    sync_engine = engine.sync_engine
    dialect = sync_engine.dialect

    def checkin(_dbapi_connection: DBAPIConnection | None, record: ConnectionPoolEntry) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    def checkout(
        dbapi_connection: DBAPIConnection,
        record: ConnectionPoolEntry,
        _proxy: PoolProxiedConnection,
    ) -> None:
        # A connection the server (or a proxy) closed is known to the driver without a round
        # trip (asyncpg saw the socket close while it sat in the pool): replace it at once.
        is_closed = getattr(record.driver_connection, "is_closed", None)
        if callable(is_closed) and is_closed():
            raise exc.DisconnectionError("the connection was closed while idle in the pool")
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since > idle_seconds:
            try:
                dialect.do_ping(dbapi_connection)
            except Exception as error:
                raise exc.DisconnectionError(str(error)) from error

    event.listen(sync_engine, "checkin", checkin)
    event.listen(sync_engine, "checkout", checkout)


def _rollback_only_when_open(engine: AsyncEngine) -> None:
    """SQLite: skip a ROLLBACK when the connection has no transaction open (its driver begins
    none for a SELECT). Each ROLLBACK is a hop to aiosqlite's thread even when there is nothing
    to undo, and ending a read session made two of them: a tenth of a GET's CPU time."""
    dialect = engine.sync_engine.dialect
    rollback = dialect.do_rollback

    def do_rollback(dbapi_connection: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)  # aiosqlite.Connection
        if driver is not None and not driver.in_transaction:
            return
        rollback(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for transactions (`async with sessions() as s, s.begin(): ...`)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def reads_of(engine: AsyncEngine) -> AsyncEngine:
    """The engine for reads only, on the same pool: no transaction on PostgreSQL (autocommit,
    no BEGIN or ROLLBACK round trip); SQLite's driver begins none for reads by itself."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def create_read_sessionmaker(read_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """ORM sessions for reads only, on `read_engine` (`reads_of(engine)`, built once by the
    caller so sessions and plain reads share one engine object)."""
    return async_sessionmaker(read_engine, expire_on_commit=False, autoflush=False)
