"""Our own Schemathesis checks: what every response of a specfirst service must do.

Registered with `@schemathesis.check` when this module is imported, so `--checks all` (and the
pytest variant's `case.call_and_validate()`) run them next to the built-in ones:

- `problem_json_errors`: a 4xx/5xx is `application/problem+json` whose `status` is the HTTP status;
- `security_headers_present`: the security headers of the house rules are on every response;
- `request_id_echoed`: every response carries `X-Request-ID`, the client's own when it sent one;
- `no_internal_details`: no stack trace, source location or SQL in any body;
- `auth_enforced`: a secured operation refuses a request without credentials or with a forged
  token (401), and one that needs a scope refuses an account without it (403). Schemathesis'
  own `ignored_auth` only knows apiKey/http schemes; this covers OAuth2 and bearer schemes too.

Response time is the built-in `max_response_time` check (`--max-response-time`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis import CheckContext, Response

from specfirst.contract_test import observe
from specfirst.contract_test.accounts import Wallet
from specfirst.contract_test.operations import (
    AnyCase,
    needed_scopes,
    operation_id,
    security_requirements,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
WELL_FORMED_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
DEFAULT_SECURITY_HEADERS: dict[str, str | None] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": None,
    "Content-Security-Policy": None,
    "Referrer-Policy": None,
    "Cache-Control": None,
}
STACK_TRACE = (
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File "[^"\n]+", line \d+'),
    re.compile(r"\bat [\w$.]+\([\w$]+\.(java|kt|js|ts):\d+\)"),
)
INTERNALS = (
    re.compile(r"\b(sqlalchemy|psycopg2?|asyncpg|sqlite3|aiosqlite|pydantic_core)\.\w"),
    re.compile(r"\b(OperationalError|IntegrityError|ProgrammingError|DataError)\b"),
    re.compile(r"\bSELECT\b[^\n]{0,200}\bFROM\b"),
    re.compile(r"\b(INSERT INTO|DELETE FROM|UPDATE \w+ SET)\b"),
    re.compile(r"syntax error at or near"),
    re.compile(r"\bUNIQUE constraint failed\b|\bduplicate key value violates\b"),
)


@dataclass
class Runtime:
    """What the checks need beyond the response: set once by the hooks or the pytest fixture."""

    active: bool = False  # off unless a contract-test run switched it on (other suites' tests)
    wallet: Wallet | None = None
    admin_scope: str | None = None
    security_headers: dict[str, str | None] = field(
        default_factory=lambda: dict(DEFAULT_SECURITY_HEADERS)
    )
    probed: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


RUNTIME = Runtime()


def configure(
    *,
    active: bool,
    wallet: Wallet | None,
    admin_scope: str | None = None,
    security_headers: Mapping[str, str | None] | None = None,
) -> None:
    RUNTIME.active = active
    RUNTIME.wallet = wallet
    RUNTIME.admin_scope = admin_scope
    RUNTIME.security_headers = dict(
        DEFAULT_SECURITY_HEADERS if security_headers is None else security_headers
    )
    RUNTIME.probed = set()


def _header(response: Response, name: str) -> str | None:
    values = response.headers.get(name.lower()) or response.headers.get(name)
    if not values:
        return None
    return values[0] if isinstance(values, list) else str(values)


def _text_header(value: str | bytes | None) -> str | None:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def _text(response: Response) -> str:
    try:
        return response.content.decode("utf-8", errors="replace")
    except AttributeError:  # pragma: no cover - every transport gives bytes
        return str(response.content)


@schemathesis.check
def problem_json_errors(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Every error is an RFC 9457 problem whose `status` member is the HTTP status."""
    if not RUNTIME.active:
        return None
    status = response.status_code
    if status < 400 or case.method.upper() == "HEAD":
        return None
    media = (_header(response, "Content-Type") or "").split(";")[0].strip().lower()
    if media != PROBLEM_MEDIA_TYPE:
        raise AssertionError(
            f"A {status} response is `{media or 'untyped'}`, not `{PROBLEM_MEDIA_TYPE}`"
        )
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"A {status} problem document is not valid JSON") from None
    if not isinstance(body, dict):
        raise AssertionError(f"A {status} problem document is not a JSON object")
    if body.get("status") != status or isinstance(body.get("status"), bool):
        raise AssertionError(
            f"The problem's `status` is {body.get('status')!r}, the HTTP status is {status}"
        )
    if not isinstance(body.get("title"), str):
        raise AssertionError(f"A {status} problem document has no `title`")
    return None


@schemathesis.check
def security_headers_present(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """The security headers the house rules ask of every response."""
    if not RUNTIME.active:
        return None
    missing = []
    for name, expected in RUNTIME.security_headers.items():
        value = _header(response, name)
        if value is None or (expected is not None and value.strip().lower() != expected.lower()):
            missing.append(name if expected is None else f"{name}: {expected}")
    if missing:
        raise AssertionError(f"Security headers missing or wrong: {', '.join(missing)}")
    return None


@schemathesis.check
def request_id_echoed(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Every response names its request; a well-formed id the client sent comes back as is."""
    if not RUNTIME.active:
        return None
    echoed = _header(response, "X-Request-ID")
    if not echoed:
        raise AssertionError("The response has no `X-Request-ID` header")
    sent = _text_header(response.request.headers.get("X-Request-ID"))
    if sent and WELL_FORMED_REQUEST_ID.match(sent) and echoed != sent:
        raise AssertionError(f"`X-Request-ID` was sent as {sent!r} and answered as {echoed!r}")
    return None


@schemathesis.check
def no_internal_details(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """No stack trace, source location, driver exception or SQL reaches a client."""
    if not RUNTIME.active:
        return None
    text = _text(response)
    patterns: Iterable[re.Pattern[str]] = STACK_TRACE
    if response.status_code >= 400:
        patterns = (*STACK_TRACE, *INTERNALS)
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            raise AssertionError(
                f"The {response.status_code} body reveals internals: {found.group(0)[:80]!r}"
            )
    return None


@schemathesis.check
def auth_enforced(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """A secured operation refuses missing or forged credentials and tokens lacking its scope."""
    if not RUNTIME.active:
        return None
    wallet = RUNTIME.wallet
    if wallet is None or not 200 <= response.status_code < 300:
        return None
    requirements = security_requirements(case.operation)
    if not requirements or any(not requirement for requirement in requirements):
        return None  # public, or anonymous access allowed
    sent = case.headers.get("Authorization") if case.headers else None
    role = wallet.role_of(sent.partition(" ")[2]) if isinstance(sent, str) else None
    if role is None:
        return None  # not our credentials: nothing to compare against
    label = case.operation.label
    with RUNTIME.lock:
        if label in RUNTIME.probed:
            return None
        RUNTIME.probed.add(label)
    for what, authorization in (
        ("without credentials", None),
        ("with a forged bearer token", "Bearer forged.contract-test.token"),
    ):
        probe = _send(ctx, case, authorization)
        if probe.status_code != 401:
            raise AssertionError(
                f"{label} answered {probe.status_code} {what} (expected 401); "
                f"with credentials it answered {response.status_code}"
            )
    scopes = needed_scopes(case.operation)
    if RUNTIME.admin_scope in scopes and role == "admin" and "user" in wallet.state.identities:
        probe = _send(ctx, case, f"Bearer {wallet.token('user')}")
        if probe.status_code != 403:
            raise AssertionError(
                f"{label} needs the `{RUNTIME.admin_scope}` scope but answered "
                f"{probe.status_code} to an account without it (expected 403)"
            )
    return None


def _send(ctx: CheckContext, case: AnyCase, authorization: str | None) -> Response:
    """Resend the case with other credentials, through the run's own transport."""
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    if authorization is not None:
        headers["Authorization"] = authorization
    probe = case.derive(headers=CaseInsensitiveDict(headers))
    kwargs: dict[str, Any] = dict(ctx.internals.transport_kwargs or {})
    extra = kwargs.get("headers")
    if isinstance(extra, Mapping):
        kwargs["headers"] = {k: v for k, v in extra.items() if k.lower() != "authorization"}
    if case.operation.app is not None:
        kwargs.setdefault("app", case.operation.app)
    ctx.internals.record_case(parent_id=case.id, case=probe)
    result: Response = case.operation.schema.transport.send(probe, **kwargs)
    ctx.internals.record_response(case_id=probe.id, response=result)
    observe.record(operation_id(case.operation), result.status_code)
    return result
