"""Per-request values that code far from the HTTP layer needs (log lines, rate-limit keys, the
request's database session).

The middleware sets them at the start of each request; services and the log formatter read them.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


class RequestSession:
    """The one read connection of a request, shared by the token verifier and the service, and
    an ORM session on it when a read needs one: opened on first use (`Deps.read_connection`,
    `Deps.reading`), closed by the request middleware when the request ends."""

    __slots__ = ("connection", "session")

    def __init__(self) -> None:
        self.connection: AsyncConnection | None = None
        self.session: AsyncSession | None = None

    async def close(self) -> None:
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
