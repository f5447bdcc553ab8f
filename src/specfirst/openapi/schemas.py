"""Schemas of a document: where they stand, what types they name, and a flat view of `allOf`.

`iter_schemas` lists every schema a document declares at the top of a slot (component schemas, and
the `schema` of each parameter, header, request body and response media type, under `paths`,
`webhooks` and `components`), each once, at the pointer where it is written. It does not descend
into schemas: their sub-schemas belong to whoever reads the schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from specfirst.openapi.operations import path_item_operations
from specfirst.openapi.pointers import as_dict, as_list, child, pointer_to
from specfirst.openapi.refs import References

SchemaRole = Literal["component", "parameter", "header", "request-body", "response"]


@dataclass(frozen=True)
class SchemaTypes:
    """The JSON types a schema names: `type` (a name or, in 3.1, a list) and 3.0 `nullable`."""

    names: tuple[str, ...]  # the declared type names other than "null", in order
    nullable: bool  # `nullable: true` (3.0) or "null" among the names (3.1)
    declared: frozenset[str]  # every declared name, "null" included where null is allowed

    @property
    def any(self) -> bool:
        """No `type`: the schema admits every type (as far as `type` goes)."""
        return not self.declared


# (one `type` name or none, nullable) → its types: SchemaTypes is immutable, so one is shared
_SCALAR_TYPES: dict[tuple[str | None, bool], SchemaTypes] = {}
_SCALAR_TYPES_MAX = 256  # a contract names a handful; odd `type` strings beyond are not kept


def schema_types(schema: Mapping[str, Any]) -> SchemaTypes:
    raw = schema.get("type")
    if raw is None or isinstance(raw, str):  # the common case, looked up
        key = (raw, schema.get("nullable") is True)
        found = _SCALAR_TYPES.get(key)
        if found is None:
            found = _schema_types(raw, key[1])
            if len(_SCALAR_TYPES) < _SCALAR_TYPES_MAX:
                _SCALAR_TYPES[key] = found
        return found
    return _schema_types(raw, schema.get("nullable") is True)


def _schema_types(raw: Any, nullable_key: bool) -> SchemaTypes:
    listed = [raw] if isinstance(raw, str) else [t for t in as_list(raw) if isinstance(t, str)]
    nullable = nullable_key or "null" in listed
    declared = set(listed)
    if nullable and listed:
        declared.add("null")
    return SchemaTypes(tuple(t for t in listed if t != "null"), nullable, frozenset(declared))


def is_json_media(media_type: str) -> bool:
    """`application/json`, any `+json` type, or `*/*` (parameters aside)."""
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def iter_media_schemas(
    document: Mapping[str, Any], content: Any, pointer: str, refs: References | None = None
) -> Iterator[tuple[str, Any, str]]:
    """(media type, resolved schema, schema pointer) for each entry of a `content` map."""
    refs = refs or References(document)
    for media_type, raw_media in as_dict(content).items():
        media, media_pointer = refs.resolve(raw_media, child(pointer, media_type))
        media = as_dict(media)
        if "schema" not in media:
            continue
        schema, schema_pointer = refs.resolve(media["schema"], child(media_pointer, "schema"))
        yield media_type, schema, schema_pointer


def flatten_all_of(document: Mapping[str, Any], schema: Any, depth: int = 0) -> dict[str, Any]:
    """A shallow view of an object schema with its `allOf` parts merged: properties and required.

    Only what readers ask about (type, properties, required, items) is merged; it is a reading aid,
    not a schema algebra.
    """
    node = as_dict(schema)
    parts = as_list(node.get("allOf"))
    if not parts or depth > 16:
        return node
    refs = References(document)
    merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
    properties: dict[str, Any] = dict(as_dict(merged.get("properties")))
    required: list[Any] = list(as_list(merged.get("required")))
    for part in parts:
        resolved, _ = refs.resolve(part, "")
        flat = flatten_all_of(document, resolved, depth + 1)
        for key, value in as_dict(flat.get("properties")).items():
            properties.setdefault(key, value)
        required.extend(r for r in as_list(flat.get("required")) if r not in required)
        for key in ("type", "items"):
            if key in flat and key not in merged:
                merged[key] = flat[key]
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged


@dataclass(frozen=True)
class SchemaSite:
    """A schema at the top of a slot: what holds it, and where it is written."""

    role: SchemaRole
    pointer: str  # of the schema as written (a `$ref` schema stays one: it is not followed)
    node: Any
    owner: str  # the pointer of the object holding the slot (parameter, media type, component)


def iter_schemas(document: Mapping[str, Any]) -> Iterator[SchemaSite]:
    """Every slot schema of the document, each once (see the module docstring)."""
    walker = _SchemaSlots(document)
    components = as_dict(document.get("components"))
    base = pointer_to("components")
    for name, node in as_dict(components.get("schemas")).items():
        walker.found("component", child(base, "schemas", name), node, child(base, "schemas"))
    for name, node in as_dict(components.get("parameters")).items():
        walker.parameter(node, child(base, "parameters", name))
    for name, node in as_dict(components.get("headers")).items():
        walker.header(node, child(base, "headers", name))
    for name, node in as_dict(components.get("requestBodies")).items():
        walker.content("request-body", node, child(base, "requestBodies", name))
    for name, node in as_dict(components.get("responses")).items():
        walker.response(node, child(base, "responses", name))
    for section in ("paths", "webhooks"):
        for key, item in as_dict(document.get(section)).items():
            if section == "webhooks" or key.startswith("/"):
                walker.path_item(item, pointer_to(section, key))
    for name, item in as_dict(components.get("pathItems")).items():
        walker.path_item(item, child(base, "pathItems", name))
    yield from walker.sites


class _SchemaSlots:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.refs = References(document)
        self.sites: list[SchemaSite] = []
        self.seen: set[str] = set()

    def found(self, role: SchemaRole, pointer: str, node: Any, owner: str) -> None:
        if pointer not in self.seen:
            self.seen.add(pointer)
            self.sites.append(SchemaSite(role, pointer, node, owner))

    def resolved(self, node: Any, pointer: str) -> tuple[dict[str, Any], str] | None:
        target, where = self.refs.resolve(node, pointer)
        if not isinstance(target, dict) or where in self.seen:
            return None
        self.seen.add(where)
        return target, where

    def slot(self, role: SchemaRole, holder: dict[str, Any], pointer: str) -> None:
        if "schema" in holder:
            self.found(role, child(pointer, "schema"), holder["schema"], pointer)
        self.media(role, holder.get("content"), child(pointer, "content"))

    def media(self, role: SchemaRole, content: Any, pointer: str) -> None:
        for media_type, raw in as_dict(content).items():
            found = self.resolved(raw, child(pointer, media_type))
            if found is not None and "schema" in found[0]:
                self.found(role, child(found[1], "schema"), found[0]["schema"], found[1])

    def parameter(self, node: Any, pointer: str) -> None:
        found = self.resolved(node, pointer)
        if found is not None:
            self.slot("parameter", *found)

    def header(self, node: Any, pointer: str) -> None:
        found = self.resolved(node, pointer)
        if found is not None:
            self.slot("header", *found)

    def content(self, role: SchemaRole, node: Any, pointer: str) -> None:
        found = self.resolved(node, pointer)
        if found is not None:
            self.media(role, found[0].get("content"), child(found[1], "content"))

    def response(self, node: Any, pointer: str) -> None:
        found = self.resolved(node, pointer)
        if found is None:
            return
        response, where = found
        for name, header in as_dict(response.get("headers")).items():
            self.header(header, child(where, "headers", name))
        self.media("response", response.get("content"), child(where, "content"))

    def path_item(self, node: Any, pointer: str) -> None:
        found = self.resolved(node, pointer)
        if found is None:
            return
        item, where = found
        for index, parameter in enumerate(as_list(item.get("parameters"))):
            self.parameter(parameter, child(where, "parameters", index))
        for op in path_item_operations(self.refs, "", item, where):
            for index, parameter in enumerate(as_list(op.node.get("parameters"))):
                self.parameter(parameter, child(op.pointer, "parameters", index))
            if "requestBody" in op.node:
                self.content(
                    "request-body", op.node["requestBody"], child(op.pointer, "requestBody")
                )
            for status, response in as_dict(op.node.get("responses")).items():
                self.response(response, child(op.pointer, "responses", status))
            for name, callback in as_dict(op.node.get("callbacks")).items():
                callback_node, callback_at = self.refs.resolve(
                    callback, child(op.pointer, "callbacks", name)
                )
                for expression, callback_item in as_dict(callback_node).items():
                    self.path_item(callback_item, child(callback_at, expression))
