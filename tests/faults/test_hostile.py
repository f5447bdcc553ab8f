"""Hostile input: forged cursors, oversized request heads, foreign CORS preflights, and what
uvicorn itself refuses before the app sees a request. Every one gets its documented answer."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from tasks.conftest import Api, make_settings

from tasks_service import migrate
from tasks_service.__main__ import server_options
from tasks_service.app import build_app
from tasks_service.core.db import create_engine
from tasks_service.core.security import CursorSigner
from tasks_service.deps import Deps

pytestmark = [pytest.mark.anyio, pytest.mark.faults]
OLD_KEY, NEW_KEY = "o" * 32, "n" * 32

SqliteFactory = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
async def sqlite_instance(tmp_path: Path) -> SqliteFactory:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"
    engine = create_engine(make_settings(database_url=url))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()

    @asynccontextmanager
    async def build(**overrides: object) -> AsyncIterator[Api]:
        settings = make_settings(database_url=url, jwt_secret=SecretStr("h" * 40), **overrides)
        deps = Deps.from_settings(settings)
        transport = httpx.ASGITransport(app=build_app(deps), client=("192.0.2.1", 1234))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as client:
                yield Api(client, deps)
        finally:
            await deps.close()

    return build


def assert_problem(response: httpx.Response, status: int, kind: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]
    body = response.json()
    assert body["status"] == status
    if kind:
        assert body["type"] == f"urn:specfirst:problem:{kind}"


def _payload(**members: Any) -> bytes:
    return json.dumps(members).encode()


async def test_every_forged_cursor_is_invalid_cursor(sqlite_instance: SqliteFactory) -> None:
    async with sqlite_instance() as api:
        ada = await api.account("ada@example.com")
        for n in range(3):
            await api.create_task(ada, title=f"t{n}")
        first = await api.client.get(ada.tasks_url(), params={"limit": 1}, headers=ada.auth)
        issued = first.json()["next_cursor"]
        assert issued
        ok = await api.client.get(
            ada.tasks_url(), params={"limit": 1, "cursor": issued}, headers=ada.auth
        )
        assert ok.status_code == 200

        some_id = str(uuid.uuid4())
        at = "2026-01-01T00:00:00+00:00"
        unsigned = (
            base64.urlsafe_b64encode(_payload(s="-created_at", k=at, i=some_id))
            .decode()
            .rstrip("=")
        )
        # Payloads signed with the service's own key (as if it had leaked) but not made by it.
        sign = api.deps.cursors.sign
        signed_forgeries = [
            _payload(s="-created_at", k=at, i=5),  # an integer id
            _payload(s="-created_at", k=at, i=[some_id]),  # a list id
            _payload(s="-title", k="\ud800", i=some_id),  # a lone surrogate
            _payload(s="-title", k="a\u0000b", i=some_id),  # a NUL
            _payload(s="-created_at", k=7, i=some_id),  # a number as key
            _payload(s="-created_at", k="yesterday", i=some_id),  # not a date
            _payload(s="-created_at", k="2026-01-01T00:00:00", i=some_id),  # no offset
            _payload(s="-created_at", k=None, i=some_id),  # no key where one is needed
            _payload(s="-created_at", k=at, i=some_id, x=1),  # an extra member
            _payload(s="title", k="a", i=some_id),  # issued for another sort
            b"[1, 2, 3]",
            b"\xff\xfe not utf-8",
        ]
        forged = [
            unsigned,
            unsigned + "A" * 22,  # an unsigned cursor with a made-up tag
            issued[:-1] + ("A" if issued[-1] != "A" else "B"),  # tampered tag
            ("B" if issued[0] != "B" else "C") + issued[1:],  # tampered payload
            issued[:-22] + "A" * 22,
            CursorSigner((b"k" * 32,)).sign(_payload(s="-created_at", k=at, i=some_id)),
            *(sign(payload) for payload in signed_forgeries),
        ]
        for cursor in forged:
            response = await api.client.get(
                ada.tasks_url(), params={"cursor": cursor}, headers=ada.auth
            )
            assert_problem(response, 400, "invalid-cursor")
        title_sorted = await api.client.get(
            ada.tasks_url(), params={"cursor": issued, "sort": "title"}, headers=ada.auth
        )
        assert_problem(title_sorted, 400, "invalid-cursor")


async def test_cursor_keys_rotate(sqlite_instance: SqliteFactory) -> None:
    async with sqlite_instance(cursor_secrets=[OLD_KEY]) as old:
        ada = await old.account("ada@example.com")
        for n in range(3):
            await old.create_task(ada, title=f"t{n}")
        page = await old.client.get(ada.tasks_url(), params={"limit": 1}, headers=ada.auth)
        by_old = page.json()["next_cursor"]

    async def follow(api: Api, cursor: str) -> httpx.Response:
        return await api.client.get(
            ada.tasks_url(), params={"limit": 1, "cursor": cursor}, headers=ada.auth
        )

    async with sqlite_instance(cursor_secrets=[NEW_KEY, OLD_KEY]) as rotating:
        assert (await follow(rotating, by_old)).status_code == 200  # old cursors still work
        by_new = (await follow(rotating, by_old)).json()["next_cursor"]
    async with sqlite_instance(cursor_secrets=[NEW_KEY]) as rotated:
        assert (await follow(rotated, by_new)).status_code == 200
        assert_problem(await follow(rotated, by_old), 400, "invalid-cursor")


async def test_request_head_limits_are_problems(sqlite_instance: SqliteFactory) -> None:
    async with sqlite_instance(max_header_count=50, max_header_bytes=8192) as api:
        many = {f"x-h{n}": "v" for n in range(60)}
        assert_problem(await api.client.get("/healthz", headers=many), 431)
        assert_problem(await api.client.get("/healthz", headers={"x-big": "v" * 9000}), 431)
        assert_problem(await api.client.get("/" + "a" * 9000), 414)
        assert_problem(await api.client.get("/healthz", params={"q": "a" * 9000}), 414)
        assert (await api.client.get("/healthz", headers={"x-fine": "v" * 2000})).is_success


async def test_foreign_cors_preflight_is_a_problem(sqlite_instance: SqliteFactory) -> None:
    async with sqlite_instance(cors_origins=["https://app.example.com"]) as api:
        preflight = {"Access-Control-Request-Method": "GET"}
        refused = await api.client.options(
            "/api/me", headers={"Origin": "https://evil.example", **preflight}
        )
        assert_problem(refused, 400)
        assert "origin" in refused.json()["detail"].lower()
        allowed = await api.client.options(
            "/api/me", headers={"Origin": "https://app.example.com", **preflight}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"


async def _raw_request(port: int, head: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        await writer.drain()
        return await asyncio.wait_for(reader.read(65536), timeout=10)
    finally:
        writer.close()


async def test_uvicorn_bounds_the_request_head(
    sqlite_instance: SqliteFactory, tmp_path: Path
) -> None:
    """What `serve` configures: h11 with a bounded request head. Past that bound uvicorn answers
    itself (a plain-text 400, documented); below it the app's own 431 applies."""
    settings = make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}")
    options = server_options(settings)
    assert options["http"] == "h11"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(build_app(Deps.from_settings(settings)), lifespan="off", **options)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.02)
        # h11 refuses once that much is buffered without a complete head: well past the bound.
        big = b"x-big: " + b"v" * (4 * settings.h11_max_incomplete_event_size) + b"\r\n"
        answer = await _raw_request(port, b"GET /healthz HTTP/1.1\r\nhost: t\r\n" + big + b"\r\n")
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
        assert b"Invalid HTTP request received." in answer

        medium = b"x-big: " + b"v" * (settings.max_header_bytes + 10) + b"\r\n"
        answer = await _raw_request(
            port, b"GET /healthz HTTP/1.1\r\nhost: t\r\n" + medium + b"\r\n"
        )
        assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
        assert b"application/problem+json" in answer

        for bad in (b"x-a: a\rb\r\n", b"x-a: a\x00b\r\n"):  # a bare CR, a NUL in a value
            answer = await _raw_request(
                port, b"GET /healthz HTTP/1.1\r\nhost: t\r\n" + bad + b"\r\n"
            )
            assert answer.startswith(b"HTTP/1.1 400"), answer[:200]

        fine = await _raw_request(port, b"GET /healthz HTTP/1.1\r\nhost: t\r\n\r\n")
        assert fine.startswith(b"HTTP/1.1 200"), fine[:200]
    finally:
        server.should_exit = True
        await serving
        sock.close()
