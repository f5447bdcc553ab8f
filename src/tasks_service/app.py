"""The app factory: generated routes (`tasks_api.create_app`) + these services + middleware.

`uvicorn --factory tasks_service.app:create_app` (or `python -m tasks_service serve`) builds one
app per worker process from Settings.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

import tasks_api
from tasks_service import migrate
from tasks_service.auth import Passwords, Tokens
from tasks_service.db.engine import create_engine, create_sessionmaker
from tasks_service.logs import configure_logging
from tasks_service.middleware import (
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from tasks_service.services.admin import AdminService
from tasks_service.services.auth import AuthService, BearerVerifier
from tasks_service.services.deps import Deps
from tasks_service.services.health import HealthService
from tasks_service.services.tasks import TasksService
from tasks_service.settings import Settings
from tasks_service.stores import MemoryStore, RedisStore, Store

log = logging.getLogger("tasks_service")


def build_deps(settings: Settings) -> Deps:
    engine = create_engine(settings)
    store: Store = (
        RedisStore(settings.redis_url, settings.redis_key_prefix)
        if settings.redis_url
        else MemoryStore()
    )
    return Deps(
        settings=settings,
        engine=engine,
        sessions=create_sessionmaker(engine),
        passwords=Passwords(settings),
        tokens=Tokens(settings),
        store=store,
    )


async def close_deps(deps: Deps) -> None:
    await deps.store.close()
    await deps.engine.dispose()


def build_app(deps: Deps) -> FastAPI:
    """The app over ready-made dependencies (tests build their own Deps)."""
    settings = deps.settings

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if not await migrate.is_up_to_date(deps.engine):
            log.warning("the database is not migrated; run `python -m tasks_service migrate`")
        try:
            yield
        finally:
            await close_deps(deps)

    app = tasks_api.create_app(
        auth=AuthService(deps),
        tasks=TasksService(deps),
        admin=AdminService(deps),
        health=HealthService(deps),
        verifiers={"oauth2": BearerVerifier(deps)},
        lifespan=lifespan,
    )
    app.state.deps = deps
    # add_middleware wraps: the last added is the outermost.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(GZipMiddleware, minimum_size=settings.gzip_minimum_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.hsts)
    return app


def create_app(settings: Settings | None = None) -> FastAPI:
    """The production entry point: Settings from the environment, JSON logs, the full app."""
    settings = settings or Settings()
    configure_logging(settings)
    return build_app(build_deps(settings))
