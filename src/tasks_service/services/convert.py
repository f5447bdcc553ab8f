"""ORM rows to API models, entity tags, and problem documents."""

from __future__ import annotations

from tasks_api import models
from tasks_service.db.tables import TaskRow, UserRow

PROBLEM_TYPES = {
    "email-taken": "urn:specfirst:problem:email-taken",
    "invalid-credentials": "urn:specfirst:problem:invalid-credentials",
    "account-deactivated": "urn:specfirst:problem:account-deactivated",
    "rate-limited": "urn:specfirst:problem:rate-limited",
    "precondition-failed": "urn:specfirst:problem:precondition-failed",
    "invalid-cursor": "urn:specfirst:problem:invalid-cursor",
    "invalid-refresh-token": "urn:specfirst:problem:invalid-refresh-token",
    "refresh-token-reused": "urn:specfirst:problem:refresh-token-reused",
    "invalid-scope": "urn:specfirst:problem:invalid-scope",
    "self-deactivation": "urn:specfirst:problem:self-deactivation",
    "not-deleted": "urn:specfirst:problem:not-deleted",
}


def problem(status: int, title: str, detail: str, kind: str | None = None) -> models.Problem:
    return models.Problem(
        type=PROBLEM_TYPES[kind] if kind else "about:blank",
        title=title,
        status=status,
        detail=detail,
    )


def not_found(what: str = "task") -> models.Problem:
    return problem(404, "Not Found", f"No such {what}.")


def user_out(row: UserRow) -> models.User:
    return models.User(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        role=models.UserRole(row.role),
        is_active=row.is_active,
        created_at=row.created_at,
    )


def task_out(row: TaskRow) -> models.Task:
    return models.Task(
        id=row.id,
        owner_id=row.owner_id,
        title=row.title,
        description=row.description,
        status=models.TaskStatus(row.status),
        due_at=row.due_at,
        completed_at=row.completed_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def etag(row: TaskRow) -> str:
    return f'"{row.version}"'


def _tags(header: str) -> list[str]:
    return [part.strip() for part in header.split(",") if part.strip()]


def if_match_ok(header: str | None, row: TaskRow) -> bool:
    """RFC 9110 If-Match: `*` or a strong match with one of the listed tags."""
    if header is None:
        return True
    tags = _tags(header)
    return "*" in tags or etag(row) in tags


def if_none_match_hit(header: str | None, row: TaskRow) -> bool:
    """RFC 9110 If-None-Match (weak comparison): whether the client's copy is current."""
    if header is None:
        return False
    tags = [tag.removeprefix("W/") for tag in _tags(header)]
    return "*" in tags or etag(row) in tags
