"""The lean peer of `bench_service.py`: a hand-written FastAPI + async SQLAlchemy service over the
Tasks API's own rows, written the short way a careful engineer would write it by hand.

It does the same security work per request as the Tasks API, in the straightforward form: the
same JWT checks (signature, `iss`, `aud`, every claim required), the revocation check of the
token's `jti` and `sid` (one Redis `EXISTS`, or an in-process set without Redis), and the
account's state (active, role) read from the database. What it leaves out is layering: one pool
checkout per request, no pre-ping, a fixed pool of 20 (no overflow connections opened and closed
under load), the account row and the task(s) read on the same connection, one FastAPI route per
endpoint, no middleware.

It answers only the two endpoints the benchmark loads (`GET /api/{user_id}/tasks/{task_id}` and
the default page of `GET /api/{user_id}/tasks`), with the Tasks API's JSON shapes and `ETag`.
Configured by `BENCH_*` environment variables (see `Config.from_env`); `bench_service.py` sets
them. Not part of the product: nothing in `src/` imports it.

No `from __future__ import annotations` here: FastAPI resolves the routes' annotations, which
name dependencies local to `create_app`.
"""

import base64
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from pydantic import BaseModel
from redis.asyncio import Redis
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    event,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("role", String(16)),
    Column("is_active", Boolean),
)
tasks = Table(
    "tasks",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner_id", Uuid),
    Column("title", String(200)),
    Column("description", Text),
    Column("status", String(16)),
    Column("due_at", DateTime(timezone=True)),
    Column("completed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("version", Integer),
    Column("deleted_at", DateTime(timezone=True)),
)
_TASK_COLUMNS = [c for c in tasks.c if c.name != "deleted_at"]
_REQUIRED_CLAIMS = ["exp", "iat", "nbf", "sub", "aud", "iss", "jti", "sid", "scope"]


class Task(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    description: str
    status: str
    due_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class TaskPage(BaseModel):
    items: list[Task]
    total: int
    limit: int
    next_cursor: str | None


@dataclass(frozen=True)
class Config:
    database_url: str
    database_schema: str | None
    redis_url: str | None
    redis_prefix: str
    jwt_secret: str
    jwt_issuer: str
    jwt_audience: str
    pool_size: int
    max_overflow: int

    @classmethod
    def from_env(cls) -> "Config":
        env = os.environ
        return cls(
            database_url=env["BENCH_DATABASE_URL"],
            database_schema=env.get("BENCH_DATABASE_SCHEMA") or None,
            redis_url=env.get("BENCH_REDIS_URL") or None,
            redis_prefix=env.get("BENCH_REDIS_PREFIX", "bench:"),
            jwt_secret=env["BENCH_JWT_SECRET"],
            jwt_issuer=env.get("BENCH_JWT_ISSUER", "specfirst-tasks"),
            jwt_audience=env.get("BENCH_JWT_AUDIENCE", "specfirst-tasks-api"),
            pool_size=int(env.get("BENCH_POOL_SIZE", "20")),
            max_overflow=int(env.get("BENCH_MAX_OVERFLOW", "0")),
        )


def _engine(config: Config) -> AsyncEngine:
    url = config.database_url
    if url.startswith("sqlite"):
        engine = create_async_engine(url)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    connect_args: dict[str, Any] = {}
    if config.database_schema:
        connect_args["server_settings"] = {"search_path": config.database_schema}
    return create_async_engine(
        url,
        pool_size=config.pool_size,
        max_overflow=config.max_overflow,
        connect_args=connect_args,
    )


def _aware(value: datetime | None) -> datetime | None:
    # SQLite keeps no offset; the stored values are UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _stamp(value: datetime) -> datetime:
    aware = _aware(value)
    assert aware is not None
    return aware


def _task(row: Any) -> Task:
    return Task(
        id=row.id,
        owner_id=row.owner_id,
        title=row.title,
        description=row.description,
        status=row.status,
        due_at=_aware(row.due_at),
        completed_at=_aware(row.completed_at),
        created_at=_stamp(row.created_at),
        updated_at=_stamp(row.updated_at),
        version=row.version,
    )


def _cursor(row: Any) -> str:
    created = _aware(row.created_at)
    assert created is not None
    raw = json.dumps(
        {"s": "-created_at", "k": created.isoformat(), "i": str(row.id)}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Caller:
    subject: uuid.UUID
    scopes: frozenset[str]


def create_app(config: Config | None = None) -> FastAPI:
    config = config or Config.from_env()
    engine = _engine(config)
    redis = Redis.from_url(config.redis_url) if config.redis_url else None
    revoked: set[str] = set()  # without Redis: revocations of this process

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    unauthorized = HTTPException(401, "Unauthorized", headers={"WWW-Authenticate": "Bearer"})

    async def token_claims(request: Request) -> dict[str, Any]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthorized
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                config.jwt_secret,
                algorithms=["HS256"],
                audience=config.jwt_audience,
                issuer=config.jwt_issuer,
                leeway=10,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError:
            raise unauthorized from None
        keys = (f"jti:{claims['jti']}", f"sid:{claims['sid']}")
        if redis is not None:
            if await redis.exists(*(config.redis_prefix + "revoked:" + k for k in keys)):
                raise unauthorized
        elif revoked.intersection(keys):
            raise unauthorized
        return claims

    def caller(row: Any, claims: dict[str, Any]) -> Caller:
        if row is None or not row.is_active:
            raise unauthorized
        allowed = {"user": {"tasks"}, "admin": {"tasks", "admin"}}.get(row.role, set())
        scopes = frozenset(claims["scope"].split()) & allowed
        if "tasks" not in scopes:
            raise HTTPException(403, "Forbidden")
        return Caller(subject=uuid.UUID(claims["sub"]), scopes=scopes)

    def account_query(claims: dict[str, Any]) -> Any:
        return select(users.c.is_active, users.c.role).where(users.c.id == uuid.UUID(claims["sub"]))

    @app.get("/api/{user_id}/tasks/{task_id}", response_model=Task)
    async def get_task(
        user_id: uuid.UUID,
        task_id: uuid.UUID,
        claims: Annotated[dict[str, Any], Depends(token_claims)],
        response: Response,
    ) -> Task:
        async with engine.connect() as conn:
            who = caller((await conn.execute(account_query(claims))).first(), claims)
            if who.subject != user_id and "admin" not in who.scopes:
                raise HTTPException(404, "Not Found")
            row = (
                await conn.execute(
                    select(*_TASK_COLUMNS).where(
                        tasks.c.id == task_id,
                        tasks.c.owner_id == user_id,
                        tasks.c.deleted_at.is_(None),
                    )
                )
            ).first()
        if row is None:
            raise HTTPException(404, "Not Found")
        response.headers["ETag"] = f'"{row.version}"'
        return _task(row)

    @app.get("/api/{user_id}/tasks", response_model=TaskPage)
    async def list_tasks(
        user_id: uuid.UUID,
        claims: Annotated[dict[str, Any], Depends(token_claims)],
        limit: int = 20,
    ) -> TaskPage:
        mine = (tasks.c.owner_id == user_id, tasks.c.deleted_at.is_(None))
        async with engine.connect() as conn:
            who = caller((await conn.execute(account_query(claims))).first(), claims)
            if who.subject != user_id and "admin" not in who.scopes:
                raise HTTPException(404, "Not Found")
            rows = (
                await conn.execute(
                    select(*_TASK_COLUMNS)
                    .where(*mine)
                    .order_by(tasks.c.created_at.desc(), tasks.c.id.desc())
                    .limit(limit + 1)
                )
            ).all()
            total = (await conn.execute(select(func.count()).where(*mine))).scalar_one()
        next_cursor = _cursor(rows[limit - 1]) if len(rows) > limit else None
        return TaskPage(
            items=[_task(row) for row in rows[:limit]],
            total=total,
            limit=limit,
            next_cursor=next_cursor,
        )

    return app
