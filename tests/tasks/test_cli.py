"""`python -m tasks_service`: migrate, create-admin, prune (serve is exercised by make run)."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tasks_service import __main__ as cli
from tasks_service.core.config import Settings
from tasks_service.core.db import create_engine, create_sessionmaker
from tasks_service.orm.tables import RefreshTokenRow, UserRow
from tasks_service.orm.types import utcnow
from tasks_service.repositories import refresh_tokens


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TASKS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("TASKS_ARGON2_MEMORY_COST_KIB", "1024")
    monkeypatch.setattr(cli, "configure_logging", lambda settings: None)
    return Settings()


def test_migrate_create_admin_and_prune(
    sqlite_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("correct-horse-battery-staple\n"))
    assert cli.main(["create-admin", "Root@Example.com", "--password-stdin"]) == 0
    assert "created admin root@example.com" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("correct-horse-battery-staple\n"))
    assert cli.main(["create-admin", "root@example.com", "--password-stdin"]) == 0
    assert "promoted" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["create-admin", "x@example.com", "--password-stdin"]) == 2

    async def seed_and_count() -> tuple[str, int]:
        engine = create_engine(sqlite_env)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                admin = (await session.scalars(select(UserRow))).one()
                now = utcnow()
                for days in (-1, 1):
                    await refresh_tokens.add(
                        session,
                        token_hash=f"h{days}",
                        family_id=admin.id,
                        user_id=admin.id,
                        scope="tasks",
                        issued_at=now - timedelta(days=30),
                        expires_at=now + timedelta(days=days),
                    )
            return admin.role, 0
        finally:
            await engine.dispose()

    async def remaining() -> int:
        engine = create_engine(sqlite_env)
        try:
            async with create_sessionmaker(engine)() as session:
                return int(
                    await session.scalar(select(func.count()).select_from(RefreshTokenRow)) or 0
                )
        finally:
            await engine.dispose()

    role, _ = asyncio.run(seed_and_count())
    assert role == "admin"
    assert cli.main(["prune"]) == 0
    assert "deleted 1 expired refresh tokens, 0 expired access-token revocations and 0 tasks" in (
        capsys.readouterr().out
    )
    assert asyncio.run(remaining()) == 1
