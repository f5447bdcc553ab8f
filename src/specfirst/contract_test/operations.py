"""What the contract says about one Schemathesis operation: its id and its security."""

from __future__ import annotations

from typing import Any

from schemathesis import APIOperation, Case

AnyOperation = APIOperation[Any, Any, Any, Any]
AnyCase = Case[Any]


def operation_id(operation: AnyOperation) -> str:
    raw = operation.definition.raw
    value = raw.get("operationId") if isinstance(raw, dict) else None
    return str(value) if value else operation.label


def security_requirements(operation: AnyOperation) -> list[dict[str, list[str]]]:
    """The operation's `security` (or the document's); `[]` means public."""
    raw: Any = operation.definition.raw
    requirements = raw.get("security") if isinstance(raw, dict) else None
    if requirements is None:
        requirements = operation.schema.raw_schema.get("security", [])
    return [dict(item) for item in requirements or [] if isinstance(item, dict)]


def needed_scopes(operation: AnyOperation) -> set[str]:
    """Scopes every alternative requirement asks for (what a token must carry to pass)."""
    requirements = security_requirements(operation)
    if not requirements:
        return set()
    per_alternative = [
        {str(scope) for scopes in requirement.values() for scope in scopes}
        for requirement in requirements
    ]
    return set.intersection(*per_alternative)
