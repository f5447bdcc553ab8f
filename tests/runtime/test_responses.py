"""How a service's result (returned or raised) becomes the declared HTTP response."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest
from specfirst_runtime.problems import ProblemException
from specfirst_runtime.responses import Bare, ContractResponse, ErrorResponse, respond


@dataclass(kw_only=True, eq=False)
class NotFound(ErrorResponse, key="404", media_type="application/problem+json", body_kind="json"):
    body: dict[str, object]


@dataclass(kw_only=True, eq=False)
class Conflict(ErrorResponse, key="409", media_type="application/problem+json", body_kind="json"):
    body: dict[str, object]


@dataclass(kw_only=True, eq=False)
class AnyClientError(ErrorResponse, key="4XX", media_type="application/json", body_kind="json"):
    status_code: int
    body: dict[str, object]


@dataclass(kw_only=True, eq=False)
class Created(
    ContractResponse,
    key="201",
    media_type="application/json",
    body_kind="json",
    headers={"location": "Location", "retry": "Retry-After"},
):
    body: dict[str, object]
    location: str
    retry: int | None = None


async def _returns(value: object) -> object:
    return value


async def _raises(error: Exception) -> object:
    raise error


def _run(
    call: object, *, errors: tuple[type[ErrorResponse], ...] = (), bare: Bare | None = None
) -> tuple[int, dict[str, str], bytes]:
    response = asyncio.run(respond(call=call, bare=bare, errors=errors))  # type: ignore[arg-type]
    return response.status_code, dict(response.headers), bytes(response.body)


def test_bare_success_is_sent_with_its_declared_status() -> None:
    status, headers, body = _run(
        _returns({"id": 1}), bare=Bare(status=200, media_type="application/json", body_kind="json")
    )
    assert (status, headers["content-type"], json.loads(body)) == (
        200,
        "application/json",
        {"id": 1},
    )


def test_wrapper_sends_status_headers_and_leaves_out_unset_ones() -> None:
    status, headers, _ = _run(_returns(Created(body={}, location="/x/1")))
    assert status == 201
    assert headers["location"] == "/x/1"
    assert "retry-after" not in headers


def test_declared_error_may_be_returned_or_raised() -> None:
    returned = _run(_returns(NotFound(body={"title": "gone"})), errors=(NotFound,))
    raised = _run(_raises(NotFound(body={"title": "gone"})), errors=(NotFound,))
    assert returned == raised
    assert returned[0] == 404
    assert returned[1]["content-type"] == "application/problem+json"


def test_raised_error_the_operation_does_not_declare_is_a_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    status, headers, _body = _run(_raises(Conflict(body={})), errors=(NotFound,))
    assert status == 500
    assert headers["content-type"] == "application/problem+json"
    assert "Conflict" in caplog.text


def test_range_response_carries_its_status_and_covers_the_range() -> None:
    status, _, _ = _run(_raises(AnyClientError(status_code=418, body={})), errors=(AnyClientError,))
    assert status == 418
    assert AnyClientError.covers(499)
    assert not AnyClientError.covers(500)


def test_problem_exception_passes_only_with_a_declared_status() -> None:
    with pytest.raises(ProblemException):
        _run(_raises(ProblemException(404)), errors=(NotFound,))
    status, _, _ = _run(_raises(ProblemException(409)), errors=(NotFound,))
    assert status == 500


def test_an_undeclared_return_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not a declared response"):
        _run(_returns(object()))


def test_error_responses_are_hashable_exceptions() -> None:
    error = NotFound(body={})
    assert {error} == {error}
    assert str(error) == "NotFound (404)"
