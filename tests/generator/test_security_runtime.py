"""Security from `securitySchemes`: bearer, basic, apiKey in header/query/cookie, OAuth2 scopes,
AND/OR alternatives and optional `{}` — using the golden `security_api` package."""

from __future__ import annotations

import base64
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient

EXPECTED = Path(__file__).parents[1] / "golden" / "expected"


@pytest.fixture(scope="module")
def package() -> Iterator[ModuleType]:
    sys.path.insert(0, str(EXPECTED))
    try:
        yield importlib.import_module("security_api")
    finally:
        sys.path.remove(str(EXPECTED))


class Default:
    """Answers every operation; records who called."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        async def operation(*, principal: Any = None) -> Any:
            self.calls.append((name, principal))
            if name == "optional_auth":
                return {"subject": principal.subject if principal else None}
            return None

        return operation


@pytest.fixture
def client(package: ModuleType) -> Iterator[tuple[TestClient, Default]]:
    principal_type = package.Principal

    async def bearer(credential: Any) -> Any:
        if credential.value == "admin-token":
            return principal_type(subject="admin", scopes=frozenset({"admin"}))
        return principal_type(subject="bearer-user") if credential.value == "good" else None

    async def key(credential: Any) -> Any:
        return (
            principal_type(subject=f"{credential.scheme}-user") if credential.value == "k" else None
        )

    async def basic(credential: Any) -> Any:
        ok = (credential.username, credential.value) == ("ann", "pw")
        return principal_type(subject="ann") if ok else None

    service = Default()
    verifiers = {
        "bearer": bearer,
        "oauth": bearer,
        "headerKey": key,
        "queryKey": key,
        "cookieKey": key,
        "basic": basic,
    }
    app = package.create_app(default=service, verifiers=verifiers)
    with TestClient(app) as test_client:
        yield test_client, service


def test_global_security_applies_and_public_opts_out(client: tuple[TestClient, Default]) -> None:
    http, _ = client
    assert http.get("/default").status_code == 401
    assert http.get("/default", headers={"Authorization": "Bearer good"}).status_code == 204
    assert http.get("/public").status_code == 204


@pytest.mark.parametrize(
    ("kwargs", "subject"),
    [
        ({"headers": {"X-API-Key": "k"}}, "headerKey-user"),
        ({"params": {"api_key": "k"}}, "queryKey-user"),
        ({"cookies": {"session": "k"}}, "cookieKey-user"),
    ],
)
def test_api_key_in_header_query_or_cookie(
    client: tuple[TestClient, Default], kwargs: dict[str, Any], subject: str
) -> None:
    http, service = client
    if "cookies" in kwargs:
        http.cookies.set("session", "k")
        kwargs = {}
    assert http.get("/either", **kwargs).status_code == 204
    assert service.calls[-1][1].subject == subject


def test_and_requires_every_scheme(client: tuple[TestClient, Default]) -> None:
    http, _ = client
    assert http.get("/both", headers={"Authorization": "Bearer good"}).status_code == 401
    assert http.get("/both", headers={"X-API-Key": "k"}).status_code == 401
    both = {"Authorization": "Bearer good", "X-API-Key": "k"}
    assert http.get("/both", headers=both).status_code == 204


def test_optional_security(client: tuple[TestClient, Default]) -> None:
    http, _ = client
    assert http.get("/optional").json() == {"subject": None}
    with_token = http.get("/optional", headers={"Authorization": "Bearer good"})
    assert with_token.json() == {"subject": "bearer-user"}
    assert http.get("/optional", headers={"Authorization": "Bearer bad"}).status_code == 401


def test_basic_auth(client: tuple[TestClient, Default]) -> None:
    http, _ = client
    good = base64.b64encode(b"ann:pw").decode()
    bad = base64.b64encode(b"ann:nope").decode()
    assert http.get("/basic", headers={"Authorization": f"Basic {good}"}).status_code == 204
    refused = http.get("/basic", headers={"Authorization": f"Basic {bad}"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic")
    assert http.get("/basic", headers={"Authorization": "Basic !!!"}).status_code == 401


def test_missing_scope_is_403(client: tuple[TestClient, Default]) -> None:
    http, _ = client
    forbidden = http.get("/admin", headers={"Authorization": "Bearer good"})
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == "application/problem+json"
    assert http.get("/admin", headers={"Authorization": "Bearer admin-token"}).status_code == 204
