"""Serve one app of `bench_service.py` with uvicorn, as `python -m tasks_service serve` does (one
worker, uvloop when installed, no uvicorn access log, proxy headers; the Tasks API with `serve`'s
own server options, h11 among them, the others with httptools when installed), optionally with
round-trip counters or a candidate optimisation patched in.

    python bench/serve_app.py {tasks,lean,bare} --port N [--count] [--patch NAME ...]

`--count` installs counters (SQLAlchemy pool and statement events, pre-pings, asyncpg round
trips by kind, Redis commands) and answers `GET /__counts` with them (`?reset=1` zeroes them).
`--patch` applies a candidate fix to the Tasks API without editing it, so each can be measured
on its own (see PATCHES). Counting and patches are for measuring only: the timed baseline of the
Tasks API is `python -m tasks_service serve` itself.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import logging
import sys
import types
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

HERE = Path(__file__).resolve().parent
FACTORIES = {
    "tasks": "tasks_service.app:create_app",
    "lean": "lean_app:create_app",
    "bare": "bare_app:create_app",
}
COUNTS: Counter[str] = Counter()


# -- counters ----------------------------------------------------------------------------------


def _counted(name: str, fn: Callable[..., Any], key: Callable[..., str | None]) -> Any:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        kind = key(*args, **kwargs)
        if kind:
            COUNTS[kind] += 1
        return await fn(*args, **kwargs)

    return wrapper


def _sql_kind(prefix: str) -> Callable[..., str]:
    def kind(_self: Any, query: Any = "", *args: Any, **kwargs: Any) -> str:
        text = str(query).strip().upper()
        if text in ("", ";"):
            return f"{prefix}ping ';'"
        word = text.split(None, 1)[0]
        return f"{prefix}{word}" if word in ("BEGIN", "ROLLBACK", "COMMIT") else f"{prefix}query"

    return kind


def install_counters() -> None:
    """Count what one request costs in database and Redis round trips."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.engine.default import DefaultDialect
    from sqlalchemy.pool import Pool

    def on(name: str) -> Callable[..., None]:
        def bump(*_args: Any, **_kwargs: Any) -> None:
            COUNTS[name] += 1

        return bump

    event.listen(Pool, "connect", on("pool: new connection"))
    event.listen(Pool, "checkout", on("pool: checkout"))
    event.listen(Engine, "before_cursor_execute", on("sqlalchemy: statement"))
    event.listen(Engine, "begin", on("sqlalchemy: begin"))
    event.listen(Engine, "rollback", on("sqlalchemy: rollback"))
    event.listen(Engine, "commit", on("sqlalchemy: commit"))
    ping = DefaultDialect._do_ping_w_event

    def counted_ping(self: Any, dbapi_connection: Any) -> bool:
        COUNTS["pool: pre-ping"] += 1
        return ping(self, dbapi_connection)

    DefaultDialect._do_ping_w_event = counted_ping  # type: ignore[method-assign]
    try:
        import asyncpg  # type: ignore[import-untyped]
        from asyncpg.prepared_stmt import PreparedStatement  # type: ignore[import-untyped]
    except ImportError:
        pass
    else:
        conn = asyncpg.Connection
        for method in ("execute", "fetch", "fetchrow", "fetchval"):
            setattr(conn, method, _counted(method, getattr(conn, method), _sql_kind("pg: ")))
        conn.prepare = _counted("prepare", conn.prepare, lambda *a, **k: "pg: prepare")
        for method in ("fetch", "fetchrow", "fetchval"):
            setattr(
                PreparedStatement,
                method,
                _counted(method, getattr(PreparedStatement, method), lambda *a, **k: "pg: query"),
            )
    try:
        from redis.asyncio.client import Pipeline, Redis
    except ImportError:
        return
    Redis.execute_command = _counted(  # type: ignore[method-assign]
        "execute_command", Redis.execute_command, lambda _s, *a, **k: f"redis: {a[0]}"
    )
    Pipeline.execute = _counted(  # type: ignore[method-assign]
        "execute", Pipeline.execute, lambda *a, **k: "redis: pipeline"
    )


def with_counts_endpoint(app: Any) -> Any:
    async def counted_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/__counts":
            body = json.dumps(dict(COUNTS)).encode()
            if b"reset" in scope.get("query_string", b""):
                COUNTS.clear()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] == "http":
            COUNTS["http: request"] += 1
        await app(scope, receive, send)

    return counted_app


# -- candidate fixes ---------------------------------------------------------------------------


def _engine_kwargs(**extra: Any) -> None:
    """Add keyword arguments to every `create_async_engine` call the Tasks API makes, wherever
    its engine module lives (the module that imported the name is patched)."""
    import sqlalchemy.ext.asyncio

    original = sqlalchemy.ext.asyncio.create_async_engine

    def patched(url: Any, **kwargs: Any) -> Any:
        kwargs.update(extra)
        return original(url, **kwargs)

    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if name.startswith("tasks_service") and hasattr(module, "create_async_engine"):
            target: Any = module
            target.create_async_engine = patched


def _no_access_log(_app: Any) -> None:
    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith("tasks_service") and name.endswith("access"):
            logging.getLogger(name).disabled = True


def _no_middleware(app: Any) -> None:
    app.user_middleware.clear()


def _no_gzip(app: Any) -> None:
    app.user_middleware[:] = [m for m in app.user_middleware if "GZip" not in repr(m.cls)]


def _no_account_lookup(_app: Any) -> None:
    """Upper bound (NOT a fix): the verifier's account-state lookup answered without the
    database. What folding it into the task's own query can save at most."""

    async def active(_session: Any, user_id: Any, *_args: Any, **_kwargs: Any) -> Any:
        return types.SimpleNamespace(id=user_id, is_active=True, role="user")

    try:  # the verifier's one query of revocations and account state, where that exists
        revocations: Any = importlib.import_module("tasks_service.repositories.revocations")
        revocations.account_unless_revoked = active
        if hasattr(revocations, "account_and_task_unless_revoked"):  # with a task read ahead
            tasks = importlib.import_module("tasks_service.repositories.tasks")

            async def active_and_task(
                connection: Any, user_id: Any, _jti: Any, _sid: Any, task_id: Any
            ) -> Any:
                return await active(connection, user_id), await tasks.read(
                    connection, user_id, task_id
                )

            revocations.account_and_task_unless_revoked = active_and_task
    except ImportError:
        users: Any = importlib.import_module("tasks_service.repositories.users")
        users.get = active


def _session_per_read() -> None:
    """Contrast (NOT a fix): a session per read block instead of one per request, so the
    connection goes back to the pool as soon as each read is done."""
    import contextlib

    from tasks_service import deps

    @contextlib.asynccontextmanager
    async def reading(self: Any) -> Any:
        async with self.readers() as session:
            yield session

    deps.Deps.reading = reading  # type: ignore[method-assign,assignment]


def _module_attr(module_name: str, attr: str, value: Any) -> Callable[[], None]:
    def patch() -> None:
        setattr(importlib.import_module(module_name), attr, value)

    return patch


def _one_hop_sqlite() -> None:
    """Candidate (measured, not adopted): SQLite statements in one hop to aiosqlite's thread
    (bench/one_hop_sqlite.py) instead of SQLAlchemy's four."""
    sys.path.insert(0, str(HERE))
    from one_hop_sqlite import one_hop_dbapi

    db: Any = importlib.import_module("tasks_service.core.db")
    original = db.create_async_engine

    def patched(url: Any, **kwargs: Any) -> Any:
        if str(url).startswith("sqlite+aiosqlite"):
            kwargs["module"] = one_hop_dbapi()
        return original(url, **kwargs)

    db.create_async_engine = patched


def _unfair_pool() -> None:
    """Contrast (NOT a fix): SQLAlchemy's stock pool, where a request arriving as a connection
    comes back takes it before the longest waiting one."""
    from sqlalchemy.pool import AsyncAdaptedQueuePool

    db: Any = importlib.import_module("tasks_service.core.db")
    db.FairAsyncQueuePool = AsyncAdaptedQueuePool


# name -> (before the app is built, after it is built)
PATCHES: dict[str, tuple[Callable[[], None] | None, Callable[[Any], None] | None]] = {
    "recycle": (lambda: _engine_kwargs(pool_pre_ping=False, pool_recycle=1800), None),
    "autocommit-reads": (lambda: _engine_kwargs(isolation_level="AUTOCOMMIT"), None),
    "no-access-log": (None, _no_access_log),
    "no-middleware": (None, _no_middleware),
    "no-gzip": (None, _no_gzip),
    "no-account-lookup": (None, _no_account_lookup),
    "session-per-read": (_session_per_read, None),
    # contrasts: one of the fixes of issue 15's last round taken out again
    "one-hop-sqlite": (_one_hop_sqlite, None),
    "no-read-ahead": (
        _module_attr("tasks_service.services.auth", "task_read_ahead", lambda _subject: None),
        None,
    ),
    "unfair-pool": (_unfair_pool, None),
    # candidate: the event loop's thread gives up the GIL sooner to a driver thread waiting for it
    "switch1ms": (lambda: sys.setswitchinterval(0.001), None),
}


def build(app_name: str, patches: list[str], count: bool) -> Any:
    sys.path.insert(0, str(HERE))
    module_name, _, attr = FACTORIES[app_name].partition(":")
    module = importlib.import_module(module_name)
    if count:
        install_counters()
    for name in patches:
        before, _ = PATCHES[name]
        if before:
            before()
    app = getattr(module, attr)()
    for name in patches:
        _, after = PATCHES[name]
        if after:
            after(app)
    return with_counts_endpoint(app) if count else app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", choices=sorted(FACTORIES))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", action="store_true", help="serve round-trip counters")
    parser.add_argument("--patch", action="append", default=[], choices=sorted(PATCHES))
    args = parser.parse_args()
    app = build(args.app, args.patch, args.count)
    options: dict[str, Any] = {"log_config": None, "access_log": False, "proxy_headers": True}
    if args.app == "tasks":  # as `python -m tasks_service serve` runs it (h11, its limits)
        from tasks_service.__main__ import server_options
        from tasks_service.core.config import Settings

        options = server_options(Settings())
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level="warning", **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
