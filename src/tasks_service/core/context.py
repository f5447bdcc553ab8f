"""Per-request values that code far from the HTTP layer needs (log lines, rate-limit keys).

The middleware sets them at the start of each request; services and the log formatter read them.
"""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
client_address: ContextVar[str] = ContextVar("client_address", default="unknown")
