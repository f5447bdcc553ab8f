"""Domain errors, raised by the services and mapped once to RFC 9457 problems.

A service states what went wrong (`raise NotFoundError("account")`) and returns only its success
value; `install_error_handlers` turns each error into its `application/problem+json` answer.
A failing dependency (database, Redis) is not a bug: `failed_dependency` recognises the driver
errors that mean "down or too slow", and they are answered 503 with `Retry-After`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import ClassVar
from urllib.parse import quote

import asyncpg  # type: ignore[import-untyped]
import limits.errors
import redis.exceptions
import sqlalchemy.exc
from fastapi import FastAPI, Request
from starlette.responses import Response

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:specfirst:problem:"
log = logging.getLogger("tasks_service.errors")


class ServiceError(Exception):
    """An answer other than success; `kind` names a stable problem type (`urn:specfirst:...`)."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"

    def __init__(
        self, detail: str, kind: str | None = None, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.kind = kind
        self.headers = dict(headers or {})

    @property
    def type(self) -> str:
        return PROBLEM_TYPE_PREFIX + self.kind if self.kind else "about:blank"


class BadRequestError(ServiceError):
    status, title = 400, "Bad Request"


class InvalidCursorError(BadRequestError):
    def __init__(self, why: str = "malformed cursor") -> None:
        super().__init__(f"Invalid cursor: {why}.", "invalid-cursor")


class UnauthorizedError(ServiceError):
    status, title = 401, "UnauthorizedError"


class ForbiddenError(ServiceError):
    status, title = 403, "ForbiddenError"


class NotFoundError(ServiceError):
    status, title = 404, "Not Found"

    def __init__(self, what: str = "task") -> None:
        super().__init__(f"No such {what}.")


class ConflictError(ServiceError):
    status, title = 409, "ConflictError"


class PreconditionFailedError(ServiceError):
    status, title = 412, "Precondition Failed"

    def __init__(self) -> None:
        super().__init__(
            "The task was changed since you read it; fetch it again and retry.",
            "precondition-failed",
        )


class UnprocessableError(ServiceError):
    status, title = 422, "UnprocessableError Content"


class RateLimitedError(ServiceError):
    status, title = 429, "Too Many Requests"

    def __init__(self, retry_after: int, what: str) -> None:
        super().__init__(
            f"Too many {what}; retry in {retry_after} seconds.",
            "rate-limited",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class UnavailableError(ServiceError):
    """A dependency is down, too slow, or the write could not win in time: retry later."""

    status, title = 503, "Service UnavailableError"


def failed_dependency(exc: BaseException) -> str | None:
    """ "database" or "redis" when `exc` means that dependency is down or too slow, else None."""
    if isinstance(
        exc,
        redis.exceptions.ConnectionError
        | redis.exceptions.TimeoutError
        | limits.errors.StorageError,
    ):
        return "redis"
    if isinstance(exc, sqlalchemy.exc.TimeoutError):  # no pooled connection came free in time
        return "database"
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        unavailable = exc.connection_invalidated or isinstance(
            exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError
        )
        return "database" if unavailable else None
    if isinstance(
        exc,
        OSError | TimeoutError | asyncpg.PostgresConnectionError | asyncpg.InterfaceError,
    ):
        return "database"
    return None


def problem_bytes(
    status: int, title: str, detail: str | None, *, type_: str = "about:blank", path: str | None
) -> bytes:
    body: dict[str, object] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if path is not None:
        body["instance"] = quote(path, safe="/:@!$&'()*+,;=-._~")
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def problem(
    request: Request | None,
    status: int,
    title: str,
    detail: str | None,
    *,
    type_: str = "about:blank",
    headers: Mapping[str, str] | None = None,
) -> Response:
    path = request.url.path if request is not None else None
    return Response(
        problem_bytes(status, title, detail, type_=type_, path=path),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def unavailable_detail(dependency: str) -> str:
    return f"The {dependency} is not answering; retry later."


def install_error_handlers(app: FastAPI, *, retry_after: int) -> None:
    """Map every `ServiceError`, and every dependency failure, to its problem (once, here)."""

    async def on_service_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        headers = dict(exc.headers)
        if exc.status == 503:
            headers.setdefault("Retry-After", str(retry_after))
        return problem(request, exc.status, exc.title, exc.detail, type_=exc.type, headers=headers)

    async def on_driver_error(request: Request, exc: Exception) -> Response:
        dependency = failed_dependency(exc)
        if dependency is None:
            raise exc  # a bug: the last-resort handler logs it and answers 500
        log.warning("dependency failed", extra={"dependency": dependency, "error": repr(exc)})
        return problem(
            request,
            503,
            UnavailableError.title,
            unavailable_detail(dependency),
            headers={"Retry-After": str(retry_after)},
        )

    app.add_exception_handler(ServiceError, on_service_error)
    for driver_error in DRIVER_ERRORS:
        app.add_exception_handler(driver_error, on_driver_error)


DRIVER_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.RedisError,
    limits.errors.StorageError,
    sqlalchemy.exc.SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
)
