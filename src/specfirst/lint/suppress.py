"""Inline suppression: `x-lint-ignore: [rule-id, ...]` on a node silences those rules there.

A finding is suppressed when the node it points at, or any node above it, lists its rule. So the key on
an operation silences the rule for that operation only; on a schema, for that schema. It is an OpenAPI
extension (`x-`), so it works in YAML and JSON, survives bundling and is ignored by every other tool.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from specfirst.lint.model import RULES, Finding, LintContext, Severity, rule
from specfirst.loader import join_pointer, split_pointer
from specfirst.openapi import find

KEY = "x-lint-ignore"
UNKNOWN_RULE = "lint-ignore-unknown"


def _ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def is_suppressed(document: Any, finding: Finding) -> bool:
    """Whether the node `finding` points at, or one above it, lists its rule under `KEY`."""
    tokens = split_pointer(finding.pointer)
    for depth in range(len(tokens) + 1):
        exists, node = find(document, join_pointer(tokens[:depth]))
        if not exists:
            return False
        if isinstance(node, dict) and finding.rule in _ids(node.get(KEY)):
            return True
    return False


@rule(
    UNKNOWN_RULE,
    Severity.WARNING,
    f"Every {KEY} entry names a known rule (a typo would hide nothing and say nothing).",
)
def unknown_suppressions(ctx: LintContext) -> Iterator[Finding]:
    if not ctx.has_suppressions:
        return
    document = ctx.document
    stack: list[tuple[Any, list[str]]] = [(document, [])]
    while stack:
        node, tokens = stack.pop()
        if isinstance(node, dict):
            if KEY in node:
                value = node[KEY]
                ids = _ids(value)
                if not ids or len(ids) != (len(value) if isinstance(value, list) else 1):
                    yield Finding(
                        UNKNOWN_RULE,
                        f"{KEY} must be a rule id or a list of rule ids",
                        join_pointer([*tokens, KEY]),
                    )
                for rule_id in ids:
                    if rule_id not in RULES:
                        yield Finding(
                            UNKNOWN_RULE,
                            f"{KEY} names an unknown rule {rule_id!r}",
                            join_pointer([*tokens, KEY]),
                        )
            stack.extend((v, [*tokens, k]) for k, v in node.items() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(
                (v, [*tokens, str(i)]) for i, v in enumerate(node) if isinstance(v, dict | list)
            )
