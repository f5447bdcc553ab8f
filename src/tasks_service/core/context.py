"""Per-request values that code far from the HTTP layer needs (log lines, rate-limit keys, the
request's database session).

The middleware sets them at the start of each request; services and the log formatter read them.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession


class RequestSession:
    """The one read session of a request, shared by the token verifier and the service: opened
    on first use (`Deps.reading`), closed by the request middleware when the request ends."""

    __slots__ = ("session",)

    def __init__(self) -> None:
        self.session: AsyncSession | None = None

    async def close(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            await session.close()


request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
client_address: ContextVar[str] = ContextVar("client_address", default="unknown")
request_session: ContextVar[RequestSession | None] = ContextVar("request_session", default=None)
