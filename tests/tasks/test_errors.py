"""Domain errors map to their problems; driver errors are told apart from bugs."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest
import redis.exceptions
import sqlalchemy.exc

from tasks_service import errors


@pytest.mark.parametrize(
    ("error", "status", "title"),
    [
        (errors.BadRequestError("x"), 400, "Bad Request"),
        (errors.InvalidCursorError(), 400, "Bad Request"),
        (errors.UnauthorizedError("x"), 401, "Unauthorized"),
        (errors.ForbiddenError("x"), 403, "Forbidden"),
        (errors.NotFoundError(), 404, "Not Found"),
        (errors.ConflictError("x"), 409, "Conflict"),
        (errors.PreconditionFailedError(), 412, "Precondition Failed"),
        (errors.UnprocessableError("x"), 422, "Unprocessable Content"),
        (errors.RateLimitedError(3, "tries"), 429, "Too Many Requests"),
        (errors.UnavailableError("x"), 503, "Service Unavailable"),
    ],
)
def test_error_statuses_and_titles(error: errors.ServiceError, status: int, title: str) -> None:
    assert (error.status, error.title) == (status, title)


def test_problem_types() -> None:
    assert errors.InvalidCursorError().type == "urn:specfirst:problem:invalid-cursor"
    assert errors.NotFoundError().type == "about:blank"
    assert errors.RateLimitedError(3, "tries").headers == {"Retry-After": "3"}


def _wrapped(inner: BaseException) -> sqlalchemy.exc.DBAPIError:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise sqlalchemy.exc.DBAPIError("SELECT 1", None, Exception("adapted")) from exc
    except sqlalchemy.exc.DBAPIError as outer:
        return outer


@pytest.mark.parametrize(
    ("exc", "dependency"),
    [
        (ConnectionRefusedError(), "database"),
        (TimeoutError(), "database"),
        (sqlalchemy.exc.TimeoutError("pool"), "database"),
        (sqlalchemy.exc.OperationalError("SELECT 1", None, Exception("locked")), "database"),
        (_wrapped(asyncpg.ConnectionDoesNotExistError("closed")), "database"),
        (_wrapped(asyncpg.QueryCanceledError("statement timeout")), "database"),
        (redis.exceptions.ConnectionError("down"), "redis"),
        (redis.exceptions.TimeoutError("slow"), "redis"),
        (sqlalchemy.exc.IntegrityError("INSERT", None, Exception("dup")), None),
        (_wrapped(asyncpg.CharacterNotInRepertoireError("NUL")), None),
        (ValueError("a bug"), None),
    ],
)
def test_failed_dependency(exc: BaseException, dependency: str | None) -> None:
    assert errors.failed_dependency(exc) == dependency
