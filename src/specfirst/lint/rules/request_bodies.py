"""Request bodies of writes say which fields are required."""

from __future__ import annotations

from collections.abc import Iterator

from specfirst.lint.model import Finding, LintContext, Severity, rule
from specfirst.openapi import as_dict, child, flatten_all_of, iter_media_schemas, resolve

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@rule(
    "write-body-required",
    Severity.ERROR,
    "Object request bodies of writes (POST, PUT by default) list their required properties.",
)
def write_body_required(ctx: LintContext) -> Iterator[Finding]:
    methods = {m.lower() for m in ctx.option_list("write-methods", ("post", "put"))}
    reported: set[str] = set()
    for op in ctx.operations:
        if op.method not in methods or "requestBody" not in op.node:
            continue
        body, body_pointer = resolve(
            ctx.document, op.node["requestBody"], child(op.pointer, "requestBody")
        )
        content = as_dict(as_dict(body).get("content"))
        for media_type, schema, pointer in iter_media_schemas(
            ctx.document, content, child(body_pointer, "content")
        ):
            base = media_type.split(";", 1)[0].strip().lower()
            if not (base.endswith("json") or base in FORM_TYPES) or pointer in reported:
                continue
            flat = flatten_all_of(ctx.document, schema)
            if not as_dict(flat.get("properties")) or flat.get("required"):
                continue
            reported.add(pointer)
            yield Finding(
                "write-body-required",
                f"{op.label}: the {media_type} request body lists no required properties",
                pointer,
            )
