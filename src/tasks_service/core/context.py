"""Per-request values that code far from the HTTP layer needs (log lines, rate-limit keys, the
request's database session).

The middleware sets them at the start of each request; services and the log formatter read them.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


class RequestSession:
    """The one read connection of a request, shared by the token verifier and the service, and
    an ORM session on it when a read needs one: opened on first use (`Deps.read_connection`,
    `Deps.reading`), closed by the request middleware when the response starts (and again at
    the end of the request, should anything open it after that).

    `scope` is the request's ASGI scope (routing adds `route` and `path_params` to it before
    the verifier runs); `read_ahead` holds rows read together with the verifier's statement for
    the service to use instead of reading them again (`services.access.task_to_read`)."""

    __slots__ = ("connection", "read_ahead", "scope", "session")

    def __init__(self, scope: Mapping[str, Any] | None = None) -> None:
        self.connection: AsyncConnection | None = None
        self.session: AsyncSession | None = None
        self.scope = scope
        self.read_ahead: dict[Hashable, Any] = {}

    async def close(self) -> None:
        self.read_ahead.clear()  # read on the connection given back: not to be used after
        session, self.session = self.session, None
        connection, self.connection = self.connection, None
        try:
            if session is not None:
                await session.close()
        finally:
            if connection is not None:
                await connection.close()


request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
client_address: ContextVar[str] = ContextVar("client_address", default="unknown")
request_session: ContextVar[RequestSession | None] = ContextVar("request_session", default=None)
