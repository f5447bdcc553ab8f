"""Account administration (the `admin` scope is enforced by the generated security layer)."""

from __future__ import annotations

import uuid

from tasks_api import models
from tasks_api.security import Principal
from tasks_service.deps import Deps
from tasks_service.errors import ConflictError, NotFoundError
from tasks_service.orm.types import utcnow
from tasks_service.repositories import refresh_tokens, users
from tasks_service.services.convert import user_out


class AdminService:
    """Implements `tasks_api.services.AdminService`."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def list_users(
        self, *, principal: Principal, limit: int = 20, offset: int = 0
    ) -> models.UserPage:
        async with self._deps.reading() as session:
            rows, total = await users.page(session, limit=limit, offset=offset)
        return models.UserPage(
            items=[user_out(row) for row in rows], total=total, limit=limit, offset=offset
        )

    async def deactivate_user(self, *, user_id: uuid.UUID, principal: Principal) -> models.User:
        if str(user_id) == principal.subject:
            raise ConflictError("Admins cannot deactivate their own account.", "self-deactivation")
        now = utcnow()
        async with self._deps.transaction() as session:
            user = await users.get(session, user_id)
            if user is None:
                raise NotFoundError("account")
            if user.is_active:
                user.is_active = False
                user.updated_at = now
                # Access tokens die on their next use (the verifier checks the account);
                # refresh tokens are revoked here so the sessions cannot be renewed.
                await refresh_tokens.revoke_user(session, user.id, now)
        return user_out(user)
