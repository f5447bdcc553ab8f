"""The app factory: generated routes (`tasks_api.create_app`) + these services + middleware.

`uvicorn --factory tasks_service.app:create_app` (or `python -m tasks_service serve`) builds one
app per worker process from Settings.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

import tasks_api
from tasks_service import migrate
from tasks_service.core.config import Settings
from tasks_service.core.logs import configure_logging
from tasks_service.core.middleware import (
    BodySizeLimitMiddleware,
    ProblemCORSMiddleware,
    RequestContextMiddleware,
    RequestHeadLimitMiddleware,
    SecurityHeadersMiddleware,
)
from tasks_service.deps import Deps
from tasks_service.errors import failed_dependency, install_error_handlers
from tasks_service.services.admin import AdminService
from tasks_service.services.auth import AuthService, BearerVerifier
from tasks_service.services.health import HealthService
from tasks_service.services.tasks import TasksService

log = logging.getLogger("tasks_service")


def build_app(deps: Deps) -> FastAPI:
    """The app over ready-made dependencies (tests build their own Deps)."""
    settings = deps.settings

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            if not await migrate.is_up_to_date(deps.engine):
                log.warning("the database is not migrated; run `python -m tasks_service migrate`")
        except Exception as exc:
            if failed_dependency(exc) is None:
                raise
            # Start anyway: requests answer 503 until the database is back, /readyz says so.
            log.warning("the database is not reachable at start-up", extra={"error": repr(exc)})
        try:
            yield
        finally:
            await deps.close()

    app = tasks_api.create_app(
        auth=AuthService(deps),
        tasks=TasksService(deps),
        admin=AdminService(deps),
        health=HealthService(deps),
        verifiers={"oauth2": BearerVerifier(deps)},
        lifespan=lifespan,
    )
    install_error_handlers(app, retry_after=settings.retry_after_seconds)
    app.state.deps = deps
    # add_middleware wraps: the last added is the outermost.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(GZipMiddleware, minimum_size=settings.gzip_minimum_bytes)
    if settings.cors_origins:
        app.add_middleware(
            ProblemCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(
        RequestHeadLimitMiddleware,
        max_headers=settings.max_header_count,
        max_header_bytes=settings.max_header_bytes,
        max_url_bytes=settings.max_url_bytes,
    )
    app.add_middleware(
        RequestContextMiddleware,
        timeout=settings.request_timeout_seconds,
        retry_after=settings.retry_after_seconds,
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.hsts)
    return app


def create_app(settings: Settings | None = None) -> FastAPI:
    """The production entry point: Settings from the environment, JSON logs, the full app."""
    settings = settings or Settings()
    configure_logging(settings)
    return build_app(Deps.from_settings(settings))
