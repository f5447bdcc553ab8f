"""List operations are paginated: a bounded page size and a way to ask for the next page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from specfirst.lint.model import Finding, LintContext, Severity, rule
from specfirst.names import snake_case
from specfirst.openapi import (
    Operation,
    as_dict,
    child,
    effective_parameters,
    flatten_all_of,
    is_json_media,
    iter_media_schemas,
    resolve,
    schema_types,
    status_class,
)

LIMIT_PARAMETERS = ("limit", "per_page", "page_size", "size", "max_results", "max_items", "top")
PAGE_PARAMETERS = (
    "cursor",
    "offset",
    "page",
    "page_token",
    "page_number",
    "after",
    "before",
    "starting_after",
    "ending_before",
    "next_token",
    "continuation_token",
    "skip",
    "marker",
    "start",
    "since",
)
LIST_ENVELOPES = ("items", "data", "results", "entries", "records", "values")


def _is_array(document: dict[str, Any], schema: Any) -> bool:
    flat = flatten_all_of(document, schema)
    return "array" in schema_types(flat).declared or (
        not schema_types(flat).declared and "items" in flat
    )


def _returns_list(ctx: LintContext, op: Operation, envelopes: set[str]) -> bool:
    """Does the first 2xx JSON response hold a list (bare, or in an envelope property)?"""
    responses = as_dict(op.node.get("responses"))
    success = [s for s in responses if status_class(s) == "2"]
    if not success:
        return False
    status = sorted(success)[0]
    response, pointer = resolve(ctx.document, responses[status], "")
    for media_type, schema, _ in iter_media_schemas(
        ctx.document, as_dict(response).get("content"), child(pointer, "content")
    ):
        if not is_json_media(media_type):
            continue
        if _is_array(ctx.document, schema):
            return True
        properties = as_dict(flatten_all_of(ctx.document, schema).get("properties"))
        for name, raw in properties.items():
            if snake_case(name) in envelopes:
                prop, _ = resolve(ctx.document, raw, "")
                if _is_array(ctx.document, prop):
                    return True
    return False


def _some(names: set[str]) -> str:
    """A few of the accepted names (the option lists them all)."""
    shown = sorted(names, key=lambda n: (n not in _PREFERRED, n))[:3]
    return ", ".join(shown) + (", …" if len(names) > 3 else "")


_PREFERRED = ("limit", "per_page", "cursor", "offset", "page")


def _bounded(schema: dict[str, Any]) -> bool:
    maximum = schema.get("exclusiveMaximum")
    return "maximum" in schema or "enum" in schema or isinstance(maximum, int | float)


@rule(
    "paginated-lists",
    Severity.ERROR,
    "GET operations that return a list take a page size with a maximum and a cursor/offset/page.",
)
def paginated_lists(ctx: LintContext) -> Iterator[Finding]:
    limits = {snake_case(n) for n in ctx.option_list("limit-parameters", LIMIT_PARAMETERS)}
    pages = {snake_case(n) for n in ctx.option_list("page-parameters", PAGE_PARAMETERS)}
    envelopes = {snake_case(n) for n in ctx.option_list("list-envelopes", LIST_ENVELOPES)}
    for op in ctx.operations:
        if op.method != "get" or not _returns_list(ctx, op, envelopes):
            continue
        query = [p for p in effective_parameters(ctx.document, op) if p.location == "query"]
        limit = next((p for p in query if snake_case(p.name) in limits), None)
        if limit is None:
            yield Finding(
                "paginated-lists",
                f"{op.label} returns a list but takes no page-size parameter ({_some(limits)})",
                op.pointer,
            )
        else:
            schema, pointer = resolve(
                ctx.document, limit.node.get("schema"), child(limit.pointer, "schema")
            )
            if not _bounded(as_dict(schema)):
                yield Finding(
                    "paginated-lists",
                    f"{op.label}: page-size parameter {limit.name!r} has no maximum",
                    pointer if isinstance(schema, dict) else limit.pointer,
                )
        if not any(snake_case(p.name) in pages for p in query):
            yield Finding(
                "paginated-lists",
                f"{op.label} returns a list but takes no cursor, offset or page parameter"
                f" ({_some(pages)})",
                op.pointer,
            )
