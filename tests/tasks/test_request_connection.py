"""The request's read connection goes back to the pool when the response starts, before the
body is written and the access line logged; anything opened after that is closed at the end."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from tasks_service.core import context
from tasks_service.core.middleware import RequestContextMiddleware

pytestmark = pytest.mark.anyio


class FakeConnection:
    def __init__(self, events: list[str], name: str) -> None:
        self.events, self.name = events, name

    async def close(self) -> None:
        self.events.append(f"close {self.name}")


async def _run(app: Any, events: list[str]) -> None:
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": "/x",
        "headers": [],
        "client": ("203.0.113.7", 1),
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        events.append(message["type"])

    await RequestContextMiddleware(app, timeout=5, retry_after=1)(scope, receive, send)


async def test_the_connection_is_given_back_when_the_response_starts() -> None:
    events: list[str] = []

    async def app(_scope: Scope, _receive: Receive, send: Send) -> None:
        request = context.request_session.get()
        assert request is not None
        request.connection = FakeConnection(events, "read")  # type: ignore[assignment]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        assert request.connection is None
        await send({"type": "http.response.body", "body": b"{}"})
        request.connection = FakeConnection(events, "late")  # type: ignore[assignment]

    await _run(app, events)
    assert events == ["close read", "http.response.start", "http.response.body", "close late"]


async def test_a_request_without_a_connection_closes_nothing() -> None:
    events: list[str] = []

    async def app(_scope: Scope, _receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    await _run(app, events)
    assert events == ["http.response.start", "http.response.body"]
