"""Cross-cutting HTTP behaviour: the served contract, probes, problems, middleware."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from specfirst.loader import load_contract
from tasks_service.app import build_app
from tasks_service.deps import Deps

from .conftest import Api, ApiFactory, make_settings
from .test_api_auth import assert_problem

pytestmark = pytest.mark.anyio
CONTRACT = Path(__file__).resolve().parents[2] / "specs" / "tasks" / "openapi.yaml"


async def test_served_contract_equals_source(api: Api) -> None:
    served = await api.client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == load_contract(CONTRACT).document
    docs = await api.client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert "cdn.jsdelivr.net" not in docs.headers["content-security-policy"]  # served offline


async def test_probes(api: Api) -> None:
    health = await api.client.get("/healthz")
    assert health.json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}


async def _client(**overrides: object) -> AsyncIterator[httpx.AsyncClient]:
    deps = Deps.from_settings(make_settings(**overrides))
    transport = httpx.ASGITransport(app=build_app(deps))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://tasks.test") as client:
            yield client
    finally:
        await deps.close()


async def test_readiness_503_when_database_unreachable() -> None:
    async for client in _client(database_url="postgresql://nobody@127.0.0.1:1/none"):
        response = await client.get("/readyz")
        body = assert_problem(response, 503)
        assert "database" in str(body["detail"])
        assert "127.0.0.1" not in response.text  # no connection details leak
        assert (await client.get("/healthz")).status_code == 200


async def test_readiness_503_when_not_migrated(tmp_path: Path) -> None:
    async for client in _client(database_url=f"sqlite:///{tmp_path / 'empty.db'}"):
        assert_problem(await client.get("/readyz"), 503)


async def test_framework_errors_are_problems(api: Api) -> None:
    missing = await api.client.get("/nowhere")
    assert_problem(missing, 404)
    wrong_method = await api.client.delete("/api/me")
    assert_problem(wrong_method, 405)
    assert "GET" in wrong_method.headers["allow"]


async def test_request_id_echoed_or_created(api: Api) -> None:
    given = await api.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await api.client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert made.headers["x-request-id"] != "bad id\twith spaces"
    assert len(made.headers["x-request-id"]) == 32
    error = await api.client.get("/nowhere", headers={"X-Request-ID": "err-1"})
    assert error.headers["x-request-id"] == "err-1"


async def test_security_headers_on_success_and_error(api: Api) -> None:
    for response in (await api.client.get("/healthz"), await api.client.get("/nowhere")):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["content-security-policy"].startswith("default-src 'none'")
        assert headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in headers


async def test_hsts_when_enabled(api_factory: ApiFactory) -> None:
    async with api_factory(hsts=True) as api:
        response = await api.client.get("/healthz")
        assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_gzip_for_large_responses(api: Api) -> None:
    ada = await api.account("ada@example.com")
    for index in range(10):
        await api.create_task(ada, title=f"task {index}", description="x" * 200)
    response = await api.client.get(
        ada.tasks_url(), headers={**ada.auth, "Accept-Encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["total"] == 10  # httpx decodes it
    small = await api.client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers
    assert gzip.compress(b"")  # keep the import honest


async def test_body_size_limit_is_413_problem(api_factory: ApiFactory) -> None:
    async with api_factory(max_body_bytes=2048) as api:
        big = {"email": "a@example.com", "password": "p" * 3000}
        declared = await api.client.post("/api/auth/register", json=big)
        assert_problem(declared, 413)
        assert "x-request-id" in declared.headers

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(5):
                yield b" " * 1000
            yield json.dumps({"refresh_token": "x"}).encode()

        streamed = await api.client.post(
            "/api/auth/refresh", content=chunks(), headers={"content-type": "application/json"}
        )
        assert_problem(streamed, 413)

        async def small() -> AsyncIterator[bytes]:
            yield json.dumps({"refresh_token": "x"}).encode()

        ok = await api.client.post(
            "/api/auth/refresh", content=small(), headers={"content-type": "application/json"}
        )
        assert_problem(ok, 401)  # read whole and handed on


async def test_cors_from_settings(api_factory: ApiFactory) -> None:
    async with api_factory(cors_origins=["https://app.example.com"]) as api:
        preflight = await api.client.options(
            "/api/me",
            headers={
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
        other = await api.client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        exposed = await api.client.get("/healthz", headers={"Origin": "https://app.example.com"})
        assert "X-Request-ID" in exposed.headers["access-control-expose-headers"]


async def test_unexpected_error_is_problem_without_trace(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks_service.services.health import HealthService

    async def boom(self: HealthService) -> object:
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(HealthService, "get_health", boom)
    response = await api.client.get("/healthz", headers={"X-Request-ID": "crash-1"})
    body = assert_problem(response, 500)
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert body["title"] == "Internal Server Error"
    assert response.headers["x-request-id"] == "crash-1"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_access_log_is_json_with_request_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    from tasks_service.core.logs import JsonFormatter

    ada = await api.account("ada@example.com")
    caplog.clear()
    with caplog.at_level("INFO", logger="tasks_service.access"):
        await api.client.get("/api/me", headers={**ada.auth, "X-Request-ID": "log-1"})
    records = [r for r in caplog.records if r.name == "tasks_service.access"]
    assert records
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["method"] == "GET"
    assert line["path"] == "/api/me"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert ada.access not in json.dumps(line)
