"""HTTP concerns that are the same for every operation, as plain ASGI middleware.

Outermost first: security headers, request context (id, access log, the request deadline,
last-resort problems), request-head limits (431, 414), CORS, gzip, body size limit (413). Being
outside the app's own error handling, they also stamp the security headers and `X-Request-ID`
on crashes and on their own rejections, which Starlette's error middleware would not.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Iterable, Mapping

import anyio
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasks_service.core import context
from tasks_service.errors import (
    PROBLEM_MEDIA_TYPE,
    failed_dependency,
    problem_bytes,
    unavailable_detail,
)

log = logging.getLogger("tasks_service.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Request ids need to be unique, not unpredictable: random bits of a generator of our own
# (seeded from the OS once) cost no system call per request, unlike uuid4 / os.urandom, and
# leave the global `random` state alone.
_ids = random.Random()


async def send_problem(
    send: Send,
    scope: Scope,
    status: int,
    title: str,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    body = problem_bytes(status, title, detail, path=scope.get("path"))
    raw = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    raw += [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Request id in and out, one JSON access-log line per request, the request's deadline, and
    a problem for what escapes the app: 503 for a failed dependency or a passed deadline (with
    `Retry-After`), 500 for anything else. The deadline cancels the request's work, so a stalled
    dependency cannot hold a worker beyond `timeout` seconds."""

    def __init__(self, app: ASGIApp, *, timeout: float, retry_after: int) -> None:
        self.app = app
        self.timeout = timeout
        self.retry_after = {"Retry-After": str(retry_after)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        rid = incoming if _REQUEST_ID.match(incoming) else f"{_ids.getrandbits(128):032x}"
        client = scope.get("client")
        id_token = context.request_id.set(rid)
        addr_token = context.client_address.set(client[0] if client else "unknown")
        db_session = context.RequestSession(scope)
        session_token = context.request_session.set(db_session)
        rid_bytes = rid.encode("latin-1")
        status = 500
        started = False
        began = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", rid_bytes)]
                # The response is made: its read connection goes back to the pool now, not
                # after the body is written to a slow client and the access line is logged
                # (under load, requests wait for a pooled connection; they wait less so).
                await _close_quietly(db_session)
            await send(message)

        try:
            with anyio.move_on_after(self.timeout) as deadline:
                await self.app(scope, receive, send_with_id)
            if deadline.cancelled_caught:
                log.warning("request deadline passed", extra={"timeout_s": self.timeout})
                if not started:
                    await send_problem(
                        send_with_id,
                        scope,
                        503,
                        "Service Unavailable",
                        f"The request did not complete within {self.timeout:g} seconds; retry later.",
                        self.retry_after,
                    )
        except Exception as exc:
            dependency = failed_dependency(exc)
            if dependency is None:
                log.exception("unhandled error")
            else:
                log.warning(
                    "dependency failed", extra={"dependency": dependency, "error": repr(exc)}
                )
            if not started:
                if dependency is None:
                    await send_problem(
                        send_with_id,
                        scope,
                        500,
                        "Internal Server Error",
                        "An unexpected error occurred.",
                    )
                else:
                    await send_problem(
                        send_with_id,
                        scope,
                        503,
                        "Service Unavailable",
                        unavailable_detail(dependency),
                        self.retry_after,
                    )
        finally:
            context.request_session.reset(session_token)
            await _close_quietly(db_session)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - began) * 1000, 2),
                        "client": context.client_address.get(),
                    },
                )
            context.request_id.reset(id_token)
            context.client_address.reset(addr_token)


async def _close_quietly(db_session: context.RequestSession) -> None:
    """End the request's read connection and session (shielded from cancellation: the
    connection goes back to the pool, or is invalidated by SQLAlchemy if it broke), when the
    response starts and again (if something opened it since) when the request ends. The
    response is made by then, so a failure here is only logged."""
    if db_session.session is None and db_session.connection is None:
        return
    try:
        with anyio.CancelScope(shield=True):
            await db_session.close()
    except Exception as exc:
        log.warning("closing the request's database session failed", extra={"error": repr(exc)})


_API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Each a default: a response that sets its own (the /docs pages set their own policy) keeps it.
_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Content-Security-Policy", _API_CSP),
    ("Cache-Control", "no-store"),
)
_HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


class SecurityHeadersMiddleware:
    """Headers every response should carry (OWASP secure-headers guidance for APIs)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        pairs = (*_SECURITY_HEADERS, _HSTS) if hsts else _SECURITY_HEADERS
        self._raw = [(name.lower().encode(), value.encode()) for name, value in pairs]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        defaults = self._raw

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [pair for pair in defaults if pair[0] not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_secured)


class RequestHeadLimitMiddleware:
    """Refuse request heads the service will not handle: more than `max_headers` headers or
    `max_header_bytes` of names and values (431), a path and query over `max_url_bytes` (414).

    The server has read the head by then; its own bound on that is uvicorn's (h11's incomplete
    event size, see `serve`), above which uvicorn answers a plain-text 400 itself.
    """

    def __init__(
        self, app: ASGIApp, *, max_headers: int, max_header_bytes: int, max_url_bytes: int
    ) -> None:
        self.app = app
        self.max_headers = max_headers
        self.max_header_bytes = max_header_bytes
        self.max_url_bytes = max_url_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        size = sum(len(name) + len(value) for name, value in headers)
        if len(headers) > self.max_headers or size > self.max_header_bytes:
            detail = (
                f"The request has {len(headers)} headers of {size} bytes; at most "
                f"{self.max_headers} headers of {self.max_header_bytes} bytes are accepted."
            )
            await send_problem(send, scope, 431, "Request Header Fields Too Large", detail)
            return
        url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(
            scope["query_string"]
        )
        if url_bytes > self.max_url_bytes:
            detail = f"The URL exceeds {self.max_url_bytes} bytes."
            await send_problem(send, scope, 414, "URI Too Long", detail)
            return
        await self.app(scope, receive, send)


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, whose refused preflight is a problem document instead of plain text."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        detail = bytes(response.body).decode()
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-type", "content-length")
        }
        return Response(
            problem_bytes(response.status_code, "Bad Request", detail, path=None),
            status_code=response.status_code,
            media_type=PROBLEM_MEDIA_TYPE,
            headers=headers,
        )


class BodySizeLimitMiddleware:
    """Refuse request bodies over `max_bytes` with a 413 problem.

    A declared `Content-Length` is checked before anything is read (the server never delivers
    more than it declares). A chunked body is read here, up to the limit, and handed on whole:
    raising from inside the app's body reading would turn into the framework's 400.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"The request body exceeds {self.max_bytes} bytes."
        declared = _content_length(scope["headers"])
        if declared is not None:
            if declared > self.max_bytes:
                await send_problem(send, scope, 413, "Content Too Large", detail)
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await send_problem(send, scope, 413, "Content Too Large", detail)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
