"""Liveness (the process answers) and readiness (the database answers, at the latest schema)."""

from __future__ import annotations

import logging

import anyio
from sqlalchemy import text

from tasks_api import models
from tasks_service import migrate
from tasks_service.deps import Deps
from tasks_service.errors import UnavailableError

log = logging.getLogger("tasks_service.health")
_TIMEOUT_SECONDS = 2.0


class HealthService:
    """Implements `tasks_api.services.HealthService`."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def get_health(self) -> models.Health:
        return models.Health(status=models.HealthStatus.ok)

    async def get_readiness(self) -> models.Readiness:
        checks: dict[str, models.ReadinessChecks] = {}
        failed = "database"
        try:
            with anyio.fail_after(_TIMEOUT_SECONDS):
                async with self._deps.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
                if not await migrate.is_up_to_date(self._deps.engine):
                    raise RuntimeError("database schema is not at the latest migration")
                checks["database"] = models.ReadinessChecks.ok
                if self._deps.settings.redis_url:
                    failed = "redis"
                    if not await self._deps.limiter.ping():
                        raise RuntimeError("redis does not answer PING")
                    checks["redis"] = models.ReadinessChecks.ok
        except Exception as exc:
            log.warning("not ready", extra={"dependency": failed, "error": repr(exc)})
            raise UnavailableError(f"The {failed} is not ready.") from None
        return models.Readiness(status=models.ReadinessStatus.ok, checks=checks)
