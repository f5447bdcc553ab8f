"""Per-status response classes, and how a service's result becomes an HTTP response.

A generated `responses.py` declares one class per response a service may return (a shared one
per `components/responses` entry, one per operation for inline responses). The status, media
type, body kind and header names are class keywords:

    @dataclass(kw_only=True, eq=False)
    class NotFound(ErrorResponse, key="404", media_type="application/problem+json", body_kind="json"):
        body: models.Problem

Error responses (4xx, 5xx, `default`, `4XX`) are exceptions too: a service may return them or
raise them, and the router answers with the declared status either way.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pydantic_core
from starlette.responses import Response

from specfirst_runtime.problems import ProblemException, problem_response

__all__ = ["Bare", "ContractResponse", "ErrorResponse", "respond", "to_response"]

logger = logging.getLogger("specfirst.runtime")
_NO_BODY = frozenset({204, 205, 304})


@dataclass(kw_only=True, eq=False)
class ContractResponse:
    """Base of the generated response classes; subclasses name their response in keywords."""

    KEY: ClassVar[str] = "default"  # the contract's response key: `200`, `4XX`, `default`
    MEDIA_TYPE: ClassVar[str | None] = None
    BODY_KIND: ClassVar[str | None] = None  # json | text | bytes | None (no body)
    HEADERS: ClassVar[Mapping[str, str]] = {}  # field name → wire name

    def __init_subclass__(
        cls,
        *,
        key: str = "default",
        media_type: str | None = None,
        body_kind: str | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        cls.KEY, cls.MEDIA_TYPE, cls.BODY_KIND = key, media_type, body_kind
        cls.HEADERS = dict(headers or {})

    def status(self) -> int:
        """The status to send: the key's, or the `status_code` field of a range or default."""
        if self.KEY.isdigit():
            return int(self.KEY)
        return int(getattr(self, "status_code"))  # noqa: B009 - a field of such subclasses

    @classmethod
    def covers(cls, status: int) -> bool:
        """Whether this response's key declares `status` (`404`, `4XX` or `default`)."""
        key = cls.KEY.upper()
        return key in (str(status), f"{status // 100}XX", "DEFAULT")


@dataclass(kw_only=True, eq=False)
class ErrorResponse(ContractResponse, Exception):  # noqa: N818 - classes take contract names
    """A declared error response: return it, or raise it from anywhere in the service."""

    def __str__(self) -> str:
        return f"{type(self).__name__} ({self.KEY})"


@dataclass(frozen=True, kw_only=True)
class Bare:
    """How to send an operation's success when the service returns the body itself."""

    status: int
    media_type: str | None = None
    body_kind: str | None = None


async def respond(
    call: Awaitable[object],
    *,
    bare: Bare | None = None,
    errors: tuple[type[ErrorResponse], ...] = (),
) -> Response:
    """Await the service and send what it returned or raised. A raised error response (or
    `ProblemException`) whose status the operation does not declare is a service bug (but for
    501, as a not yet implemented stub answers, like an unbound service): it is
    logged and answered with 500, so the app never sends what its contract does not say."""
    try:
        result = await call
    except ErrorResponse as exc:
        if not isinstance(exc, errors):
            return _undeclared(f"{type(exc).__name__} ({exc.KEY})")
        result = exc
    except ProblemException as exc:
        # 501 is what an unbound service answers: a stub not implemented yet may say it too
        if exc.status != 501 and not any(error.covers(exc.status) for error in errors):
            return _undeclared(f"a {exc.status} problem")
        raise
    return to_response(result, bare)


def _undeclared(what: str) -> Response:
    logger.error("the service raised %s, which this operation does not declare", what)
    return problem_response(None, 500, "Internal Server Error", "An unexpected error occurred.")


def to_response(result: object, bare: Bare | None) -> Response:
    if isinstance(result, ContractResponse):
        status, media, kind = result.status(), result.MEDIA_TYPE, result.BODY_KIND
        body = getattr(result, "body", None)
        headers = {
            wire: _header_value(getattr(result, name))
            for name, wire in result.HEADERS.items()
            if getattr(result, name) is not None
        }
    elif isinstance(result, Response):
        return result
    elif bare is not None:
        status, media, kind, body, headers = (
            bare.status,
            bare.media_type,
            bare.body_kind,
            result,
            {},
        )
    else:
        raise TypeError(f"the service returned {type(result).__name__}, not a declared response")
    if kind is None or status in _NO_BODY or status < 200:
        return Response(status_code=status, headers=headers)
    return Response(
        content=_encode(body, kind), status_code=status, media_type=media, headers=headers
    )


def _encode(body: Any, kind: str) -> bytes:
    if kind == "json":
        return pydantic_core.to_json(body, by_alias=True)
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    return str(body).encode("utf-8")


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
