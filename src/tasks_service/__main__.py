"""Command line: `python -m tasks_service migrate | serve | create-admin | prune`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence
from typing import Any

import uvicorn

from tasks_service import migrate
from tasks_service.core.config import Settings
from tasks_service.core.db import create_engine, create_sessionmaker
from tasks_service.core.logs import configure_logging
from tasks_service.core.security import Passwords
from tasks_service.orm.types import utcnow
from tasks_service.repositories import refresh_tokens, revocations, users
from tasks_service.repositories import tasks as task_repo
from tasks_service.services.tasks import RESTORE_WINDOW


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def _prune(settings: Settings) -> tuple[int, int, int]:
    engine = create_engine(settings)
    now = utcnow()
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            tokens = await refresh_tokens.delete_expired(session, now)
            revoked = await revocations.delete_expired(session, now)
            tasks = await task_repo.purge_deleted(session, now - RESTORE_WINDOW)
            return tokens, revoked, tasks
    finally:
        await engine.dispose()


async def _create_admin(settings: Settings, email: str, password: str) -> str:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            user = await users.get_by_email(session, email)
            if user is None:
                user = await users.add(
                    session,
                    email=email,
                    password_hash=await Passwords(settings).hash(password),
                    display_name=email.split("@", 1)[0][:100],
                    role="admin",
                )
                return f"created admin {user.email} ({user.id})"
            user.role = "admin"
            return f"promoted {user.email} ({user.id}) to admin"
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tasks_service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database (DATABASE_URL) to the latest schema")
    serve = sub.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host", help="default: TASKS_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default: TASKS_PORT or 8000")
    serve.add_argument("--workers", type=int, help="default: TASKS_WORKERS or 1")
    serve.add_argument("--migrate", action="store_true", help="migrate before serving")
    sub.add_parser(
        "prune",
        help="delete expired refresh tokens and tasks past their restore window (run daily)",
    )
    admin = sub.add_parser("create-admin", help="create an admin account, or promote one")
    admin.add_argument("email")
    admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings)

    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        print(f"database at the latest schema: {settings.sqlalchemy_url.split('@')[-1]}")
        return 0
    if args.command == "prune":
        tokens, revoked, tasks = asyncio.run(_prune(settings))
        print(
            f"deleted {tokens} expired refresh tokens, {revoked} expired access-token"
            f" revocations and {tasks} tasks deleted over 30 days ago"
        )
        return 0
    if args.command == "create-admin":
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass()
        if len(password) < 12:
            print("the password needs at least 12 characters", file=sys.stderr)
            return 2
        print(asyncio.run(_create_admin(settings, args.email, password)))
        return 0
    if args.migrate:
        asyncio.run(_migrate(settings))
    workers = args.workers or settings.workers
    if workers > 1 and not settings.redis_url:
        logging.getLogger("tasks_service").warning(
            "several workers without REDIS_URL: rate limits are counted per process"
        )
    uvicorn.run(
        "tasks_service.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=workers,
        **server_options(settings),
    )
    return 0


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's own limits: what it refuses before the app sees a request (see the docs)."""
    return {
        "log_config": None,
        "access_log": False,
        "proxy_headers": True,
        "http": settings.http_parser,
        "h11_max_incomplete_event_size": settings.h11_max_incomplete_event_size,
        "timeout_keep_alive": 5,
    }


if __name__ == "__main__":
    sys.exit(main())
