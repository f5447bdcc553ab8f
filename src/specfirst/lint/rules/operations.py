"""Operation identity: every operation has an operationId that names a service method, a summary, a tag."""

from __future__ import annotations

from collections.abc import Iterator

from specfirst.lint.model import Finding, LintContext, Severity, rule
from specfirst.names import safe_identifier, snake_case
from specfirst.openapi import child


@rule(
    "operation-id-present",
    Severity.ERROR,
    "Every operation has an operationId (it names the service method).",
)
def operation_id_present(ctx: LintContext) -> Iterator[Finding]:
    for op in ctx.operations:
        if op.operation_id is None:
            yield Finding("operation-id-present", f"{op.label} has no operationId", op.pointer)


@rule(
    "operation-id-unique",
    Severity.ERROR,
    "operationIds are unique, also once snake-cased (two would become one service method).",
)
def operation_id_unique(ctx: LintContext) -> Iterator[Finding]:
    seen: dict[str, tuple[str, str]] = {}
    for op in ctx.operations:
        op_id = op.operation_id
        if op_id is None:
            continue
        method = snake_case(op_id)
        first = seen.get(method)
        if first is None:
            seen[method] = (op_id, op.label)
        elif first[0] == op_id:
            yield Finding(
                "operation-id-unique",
                f"operationId {op_id!r} of {op.label} is already used by {first[1]}",
                child(op.pointer, "operationId"),
            )
        else:
            yield Finding(
                "operation-id-unique",
                f"operationId {op_id!r} of {op.label} and {first[0]!r} of {first[1]}"
                f" both become the method {method}()",
                child(op.pointer, "operationId"),
            )


@rule(
    "operation-id-identifier",
    Severity.ERROR,
    "An operationId is a valid Python identifier once snake-cased (no keyword, builtin or digit start).",
)
def operation_id_identifier(ctx: LintContext) -> Iterator[Finding]:
    for op in ctx.operations:
        op_id = op.operation_id
        if op_id is None:
            continue
        method = snake_case(op_id, fallback="")
        if not method or method[0].isdigit() or method.startswith("_"):
            why = (
                "has no letters to name a method" if not method else "does not start with a letter"
            )
            yield Finding(
                "operation-id-identifier",
                f"operationId {op_id!r} of {op.label} {why}",
                child(op.pointer, "operationId"),
            )
        elif safe_identifier(method) != method:
            yield Finding(
                "operation-id-identifier",
                f"operationId {op_id!r} of {op.label} becomes {method!r}, a Python keyword or"
                f" builtin (the method would be renamed {safe_identifier(method)}())",
                child(op.pointer, "operationId"),
            )


@rule("operation-summary", Severity.ERROR, "Every operation has a one-line summary.")
def operation_summary(ctx: LintContext) -> Iterator[Finding]:
    for op in ctx.operations:
        summary = op.node.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            yield Finding("operation-summary", f"{op.label} has no summary", op.pointer)
        elif "\n" in summary.strip():
            yield Finding(
                "operation-summary",
                f"summary of {op.label} spans several lines (use description for details)",
                child(op.pointer, "summary"),
            )


@rule(
    "operation-tag",
    Severity.WARNING,
    "Every operation has a tag (it chooses the service Protocol; untagged ones land in DefaultService).",
)
def operation_tag(ctx: LintContext) -> Iterator[Finding]:
    for op in ctx.operations:
        tags = op.node.get("tags")
        if not isinstance(tags, list) or not tags:
            yield Finding(
                "operation-tag",
                f"{op.label} has no tag (its method goes to DefaultService)",
                op.pointer,
            )
