"""RFC 9457 `application/problem+json` for every error: raised, validation, routing, unhandled."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match, Route

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("specfirst.runtime")


class ProblemException(Exception):  # noqa: N818 - the public name since 0.1
    """Raise to answer with an `application/problem+json` document of any status.

    Inside a service, prefer raising the operation's declared error response class (see
    `responses.ErrorResponse`); this one is for the framework's own answers (401, 403, 501).
    """

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.title = title or phrase(status)
        self.detail = detail
        self.type = type_
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(f"{status} {self.title}: {detail or ''}")


def problem_response(
    request: Request | None,
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": type_, "title": title or phrase(status), "status": status}
    if detail:
        body["detail"] = detail
    if request is not None:
        # A URI reference: the path as sent (percent-encoded), not Starlette's decoded form.
        body["instance"] = quote(request.url.path, safe="/:@!$&'()*+,;=-._~")
    body.update(extra or {})
    return Response(
        content=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def phrase(status: int) -> str:
    """The reason phrase of `status` (`Error` for codes HTTP does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemException)
    return problem_response(
        request,
        exc.status,
        exc.title,
        exc.detail,
        type_=exc.type,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem_response(request, 400, "Bad Request", "The request body is not valid JSON.")
    return problem_response(
        request,
        422,
        "Unprocessable Content",
        "The request does not match the contract.",
        extra={"errors": [_plain_error(error) for error in errors]},
    )


def _plain_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """A validation error without the offending input (it may be large or secret)."""
    location = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
    return {"loc": location, "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    detail = (
        exc.detail
        if isinstance(exc.detail, str) and exc.detail != phrase(exc.status_code)
        else None
    )
    return problem_response(request, exc.status_code, None, detail, headers=headers)


async def _on_unhandled(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, 500, "Internal Server Error", "An unexpected error occurred.")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts for this path (Starlette's own `Allow` names only one)."""
    methods: set[str] = set()
    scope = dict(request.scope, method="")
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                methods |= route.methods
    return sorted(methods)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemException, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unhandled)
