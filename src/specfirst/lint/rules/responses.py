"""Responses: success and client errors declared, errors as RFC 9457 problems, auth failures declared."""

from __future__ import annotations

from collections.abc import Iterator

from specfirst.lint.model import Finding, LintContext, Severity, rule
from specfirst.openapi import (
    Operation,
    as_dict,
    as_list,
    child,
    effective_security,
    resolve,
    status_class,
)

PROBLEM_JSON = "application/problem+json"


def _statuses(op: Operation) -> list[str]:
    return [str(status) for status in as_dict(op.node.get("responses"))]


def _declares(op: Operation, status: str) -> bool:
    """Is `status` (e.g. "401") declared exactly or by its range (`4XX`)?"""
    statuses = {s.upper() for s in _statuses(op)}
    return status in statuses or f"{status[0]}XX" in statuses


@rule("response-2xx", Severity.ERROR, "Every operation declares a success (2xx) response.")
def response_2xx(ctx: LintContext) -> Iterator[Finding]:
    for op in ctx.operations:
        if not any(status_class(s) == "2" for s in _statuses(op)):
            yield Finding(
                "response-2xx",
                f"{op.label} declares no 2xx response",
                child(op.pointer, "responses") if "responses" in op.node else op.pointer,
            )


@rule(
    "response-4xx", Severity.ERROR, "Every operation declares the client errors (4xx) it returns."
)
def response_4xx(ctx: LintContext) -> Iterator[Finding]:
    for op in ctx.operations:
        if not any(status_class(s) == "4" for s in _statuses(op)):
            yield Finding(
                "response-4xx",
                f"{op.label} declares no 4xx response",
                child(op.pointer, "responses") if "responses" in op.node else op.pointer,
            )


@rule(
    "problem-json-errors",
    Severity.ERROR,
    "Error responses (4xx, 5xx, default) have an application/problem+json body (RFC 9457).",
)
def problem_json_errors(ctx: LintContext) -> Iterator[Finding]:
    reported: set[str] = set()
    for op in ctx.operations:
        responses_pointer = child(op.pointer, "responses")
        for status, raw in as_dict(op.node.get("responses")).items():
            if status_class(status) not in ("4", "5") and status != "default":
                continue
            response, pointer = resolve(ctx.document, raw, child(responses_pointer, status))
            if not isinstance(response, dict) or pointer in reported:
                continue
            content = as_dict(response.get("content"))
            if PROBLEM_JSON in content:
                continue
            reported.add(pointer)  # a shared response component is reported once
            where = f"response {status} of {op.label}"
            if pointer != child(responses_pointer, status):
                where += f" ({pointer.rsplit('/', 1)[-1]})"
            if content:
                others = ", ".join(sorted(content))
                message = f"{where} uses {others}, not {PROBLEM_JSON}"
                target = child(pointer, "content")
            else:
                message = f"{where} has no {PROBLEM_JSON} body"
                target = pointer
            yield Finding("problem-json-errors", message, target)


def _is_secured(requirements: list[dict[str, object]]) -> bool:
    return any(requirements)


@rule("secured-401", Severity.ERROR, "Operations that need credentials declare 401.")
def secured_401(ctx: LintContext) -> Iterator[Finding]:
    for op in ctx.operations:
        requirements = effective_security(ctx.document, op)
        if _is_secured(requirements) and not _declares(op, "401"):
            schemes = sorted({name for req in requirements for name in req})
            yield Finding(
                "secured-401",
                f"{op.label} is secured ({', '.join(schemes)}) but declares no 401 response",
                child(op.pointer, "responses") if "responses" in op.node else op.pointer,
            )


@rule("scoped-403", Severity.ERROR, "Operations that require scopes (or roles) declare 403.")
def scoped_403(ctx: LintContext) -> Iterator[Finding]:
    for op in ctx.operations:
        requirements = effective_security(ctx.document, op)
        scopes = sorted(
            {str(s) for req in requirements for value in req.values() for s in as_list(value)}
        )
        if scopes and not _declares(op, "403"):
            yield Finding(
                "scoped-403",
                f"{op.label} requires scopes ({', '.join(scopes)}) but declares no 403 response",
                child(op.pointer, "responses") if "responses" in op.node else op.pointer,
            )
