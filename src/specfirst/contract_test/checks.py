"""Our own Schemathesis checks: what every response of a specfirst service must do.

Registered with `@schemathesis.check` when this module is imported, so `--checks all` (and the
pytest variant's `case.call_and_validate()`) run them next to the built-in ones:

- `problem_json_errors`: a 4xx/5xx is `application/problem+json` whose `status` is the HTTP status;
- `no_internal_details`: no stack trace, source location or SQL in any body;
- `auth_enforced`: a secured operation refuses a request without credentials or with forged ones
  (401), and one that needs scopes refuses an identity without them (403). Schemathesis' own
  `ignored_auth` only knows apiKey/http schemes; this covers OAuth2 too.

House checks, on only for an API that opts in (`house_checks` in its settings):
- `security_headers_present`: the security headers of the house rules are on every response;
- `request_id_echoed`: every response carries `X-Request-ID`, the client's own when it sent one.

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

from specfirst.contract_test import observe, provider
from specfirst.contract_test.identities import (
    Identity,
    Placement,
    Wallet,
    placement,
    security_schemes,
)
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
    """What the checks need beyond the response: set once by the hooks or the pytest helper."""

    active: bool = False  # off unless a contract-test run switched it on (other suites' tests)
    wallet: Wallet | None = None
    house: frozenset[str] = frozenset()  # the house checks this API opted into
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
    house: Iterable[str] = (),
    security_headers: Mapping[str, str | None] | None = None,
) -> None:
    RUNTIME.active = active
    RUNTIME.wallet = wallet
    RUNTIME.house = frozenset(house)
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
    """The security headers the house rules ask of every response (opt-in per API)."""
    if not RUNTIME.active or "security_headers_present" not in RUNTIME.house:
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
    """Every response names its request; a well-formed id the client sent comes back as is
    (opt-in per API)."""
    if not RUNTIME.active or "request_id_echoed" not in RUNTIME.house:
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
    """A secured operation refuses missing or forged credentials (401) and an identity lacking
    the scopes it needs (403). Probed once per operation, after a success with our credentials."""
    if not RUNTIME.active:
        return None
    wallet = RUNTIME.wallet
    if wallet is None or not 200 <= response.status_code < 300:
        return None
    requirements = security_requirements(case.operation)
    if not requirements or any(not requirement for requirement in requirements):
        return None  # public, or anonymous access allowed
    schemes = security_schemes(case.operation.schema.raw_schema)
    caller = sent_identity(case, wallet, schemes)
    if caller is None:
        return None  # not our credentials: nothing to compare against
    label = case.operation.label
    with RUNTIME.lock:
        if label in RUNTIME.probed:
            return None
        RUNTIME.probed.add(label)
    forged = {scheme: "forged-contract-test-credential" for scheme in schemes}
    for what, values in (("without credentials", {}), ("with forged credentials", forged)):
        probe = _send(ctx, case, schemes, values)
        if probe.status_code != 401:
            raise AssertionError(
                f"{label} answered {probe.status_code} {what} (expected 401); "
                f"with credentials it answered {response.status_code}"
            )
    needed = needed_scopes(case.operation)
    if not needed:
        return None
    for identity in wallet.identities.identities.values():
        held = identity.held_scopes()
        if identity.operations or identity.targets or held is None or needed <= held:
            continue
        usable = [r for r in requirements if all(s in identity.credentials for s in r)]
        if not usable:
            continue
        values = {s: wallet.value(identity.name, s) for s in usable[0]}
        probe = _send(ctx, case, schemes, values)
        if probe.status_code != 403:
            lacking = ", ".join(sorted(needed - held))
            raise AssertionError(
                f"{label} needs the scope(s) {lacking} but answered {probe.status_code} to "
                f"`{identity.name}`, which lacks them (expected 403)"
            )
        break
    return None


def sent_identity(
    case: AnyCase, wallet: Wallet, schemes: Mapping[str, Mapping[str, Any]]
) -> Identity | None:
    """Which of our identities' credentials the case carries, if any."""
    for identity in wallet.identities.identities.values():
        for scheme, credential in identity.credentials.items():
            where = placement(schemes.get(scheme, {}))
            if where is None or not credential.current:
                continue
            sent = _sent_value(case, where)
            if sent is not None and sent == where.render(credential.current):
                return identity
    return None


def _sent_value(case: AnyCase, where: Placement) -> str | None:
    container: Any = {"header": case.headers, "query": case.query, "cookie": case.cookies}[
        where.location
    ]
    if not container:
        return None
    if where.location == "header":
        for key, value in container.items():
            if key.lower() == where.name.lower():
                return str(value)
        return None
    value = container.get(where.name)
    return None if value is None else str(value)


def _send(
    ctx: CheckContext,
    case: AnyCase,
    schemes: Mapping[str, Mapping[str, Any]],
    values: Mapping[str, str],
) -> Response:
    """Resend the case with other credentials (none: `values` empty), through the run's own
    transport; every scheme's credential is taken off first."""
    placements = [p for p in (placement(s) for s in schemes.values()) if p is not None]
    strip = {
        location: {p.name.lower() for p in placements if p.location == location}
        for location in ("header", "query", "cookie")
    }
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in strip["header"]}
    query = {k: v for k, v in (case.query or {}).items() if k.lower() not in strip["query"]}
    cookies = {k: v for k, v in (case.cookies or {}).items() if k.lower() not in strip["cookie"]}
    probe = case.derive(headers=CaseInsensitiveDict(headers), query=query, cookies=cookies)
    if values:
        provider.apply_credentials(probe, dict(values))
    kwargs: dict[str, Any] = dict(ctx.internals.transport_kwargs or {})
    extra = kwargs.get("headers")
    if isinstance(extra, Mapping):
        kwargs["headers"] = {k: v for k, v in extra.items() if k.lower() not in strip["header"]}
    if case.operation.app is not None:
        kwargs.setdefault("app", case.operation.app)
    ctx.internals.record_case(parent_id=case.id, case=probe)
    result: Response = case.operation.schema.transport.send(probe, **kwargs)
    ctx.internals.record_response(case_id=probe.id, response=result)
    observe.record(operation_id(case.operation), result.status_code)
    return result
