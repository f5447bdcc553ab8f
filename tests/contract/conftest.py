"""Shared bits of the contract tests: the project root and Hypothesis settings for small budgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from specfirst.openapi import HTTP_METHODS

ROOT = Path(__file__).resolve().parents[2]
NOTES_DIR = Path(__file__).resolve().parent / "notes"

# Deterministic (the same cases every run), no example database (no replays of old failures),
# no deadline (a request may take a while on a busy CI machine).
SMALL_BUDGET = settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def fuzz_operation(
    schema: Any, operation_id: str, mode: str, budget: settings = SMALL_BUDGET
) -> None:
    """Generate cases for one operation and validate each response with every check.

    (Schemathesis' `from_fixture` lazy schemas break on pytest 9, so the app-bound schema comes
    from a fixture and each test asks it for one operation.)
    """
    operation = schema.find_operation_by_id(operation_id)

    @budget
    @given(case=operation.as_strategy(GenerationMode(mode)))
    def check(case: Any) -> None:
        case.call_and_validate()

    check()


def operation_modes(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(operationId, mode) pairs: negative only where there is input to get wrong."""
    pairs = []
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            pairs.append((operation["operationId"], "positive"))
            if item.get("parameters") or operation.get("parameters") or "requestBody" in operation:
                pairs.append((operation["operationId"], "negative"))
    return sorted(pairs)
