"""ORM rows to API models, and entity tags."""

from __future__ import annotations

from tasks_api import models
from tasks_service.orm.tables import TaskFields, UserRow


def user_out(row: UserRow) -> models.User:
    return models.User(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        role=models.UserRole(row.role),
        is_active=row.is_active,
        created_at=row.created_at,
    )


def task_out(row: TaskFields) -> models.Task:
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


def etag(row: TaskFields) -> str:
    return f'"{row.version}"'


def _tags(header: str) -> list[str]:
    return [part.strip() for part in header.split(",") if part.strip()]


def if_match_ok(header: str | None, row: TaskFields) -> bool:
    """RFC 9110 If-Match: `*` or a strong match with one of the listed tags."""
    if header is None:
        return True
    tags = _tags(header)
    return "*" in tags or etag(row) in tags


def if_none_match_hit(header: str | None, row: TaskFields) -> bool:
    """RFC 9110 If-None-Match (weak comparison): whether the client's copy is current."""
    if header is None:
        return False
    tags = [tag.removeprefix("W/") for tag in _tags(header)]
    return "*" in tags or etag(row) in tags
