"""The services called directly, as the generated routers call them (no HTTP in between)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tasks_api import models, responses
from tasks_api.security import Credential, Principal
from tasks_service.deps import Deps
from tasks_service.errors import NotFoundError, PreconditionFailedError
from tasks_service.repositories import users
from tasks_service.services.auth import AuthService, BearerVerifier
from tasks_service.services.tasks import TasksService

from .conftest import PASSWORD, Database

pytestmark = pytest.mark.anyio


def _deps(engine: AsyncEngine, database: Database) -> Deps:
    return Deps.from_settings(database.settings(), engine=engine)


async def _user(deps: Deps, email: str, role: str = "user") -> uuid.UUID:
    async with deps.sessions() as session, session.begin():
        row = await users.add(
            session,
            email=email,
            password_hash=await deps.passwords.hash(PASSWORD),
            display_name=email,
            role=role,
        )
        return row.id


async def test_tasks_service_scopes_every_call_to_the_principal(
    engine: AsyncEngine, database: Database
) -> None:
    deps = _deps(engine, database)
    service = TasksService(deps)
    ada, bob = await _user(deps, "ada@example.com"), await _user(deps, "bob@example.com")
    root = await _user(deps, "root@example.com", role="admin")
    as_ada = Principal(subject=str(ada), scopes=frozenset({"tasks"}))
    as_bob = Principal(subject=str(bob), scopes=frozenset({"tasks"}))
    as_root = Principal(subject=str(root), scopes=frozenset({"tasks", "admin"}))

    created = await service.create_task(
        user_id=ada, body=models.TaskCreate(title="mine"), principal=as_ada
    )
    assert isinstance(created, responses.CreateTask201Response)
    task_id = created.body.id

    with pytest.raises(NotFoundError, match="No such account"):
        await service.list_tasks(user_id=ada, principal=as_bob)
    with pytest.raises(NotFoundError, match="No such task"):
        await service.get_task(user_id=ada, task_id=task_id, principal=as_bob)
    with pytest.raises(NotFoundError, match="No such task"):
        await service.get_task(user_id=bob, task_id=task_id, principal=as_bob)
    page = await service.list_tasks(user_id=ada, principal=as_root)
    assert isinstance(page, models.TaskPage)
    assert [t.id for t in page.items] == [task_id]
    with pytest.raises(PreconditionFailedError):
        await service.update_task(
            user_id=ada,
            task_id=task_id,
            body=models.TaskPatch(title="x"),
            principal=as_ada,
            if_match='"7"',
        )


async def test_verifier_accepts_only_live_tokens_of_active_accounts(
    engine: AsyncEngine, database: Database
) -> None:
    deps = _deps(engine, database)
    auth, verify = AuthService(deps), BearerVerifier(deps)
    ada = await _user(deps, "ada@example.com")
    tokens = await auth.issue_token(
        body=models.TokenRequest(
            grant_type=models.TokenRequestGrantType.password,
            username="ada@example.com",
            password=PASSWORD,
        )
    )
    assert isinstance(tokens, models.TokenResponse)
    credential = Credential(scheme="oauth2", value=tokens.access_token)
    principal = await verify(credential)
    assert principal is not None
    assert principal.subject == str(ada)
    assert principal.scopes == frozenset({"tasks"})
    assert await verify(Credential(scheme="oauth2", value="not.a.jwt")) is None

    await auth.logout(
        body=models.LogoutRequest(refresh_token=tokens.refresh_token), principal=principal
    )
    assert await verify(credential) is None
