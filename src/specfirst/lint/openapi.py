"""Read-only helpers over a bundled OpenAPI document, shared by the lint rules and the diff.

Contracts that reach lint or diff may be valid or not: every helper tolerates missing or oddly typed
nodes (it skips them) so a rule never crashes on input the validator would reject anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from specfirst.loader import join_pointer, split_pointer

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PATH_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_MAX_REF_HOPS = 64


def pointer_to(*tokens: str) -> str:
    """The JSON pointer for `tokens` (each escaped)."""
    return join_pointer(list(tokens))


def child(pointer: str, *tokens: str | int) -> str:
    """`pointer` extended by `tokens`."""
    return pointer + join_pointer([str(t) for t in tokens])


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The node at `pointer`, or None when the pointer does not lead anywhere."""
    node = document
    for token in split_pointer(pointer):
        if isinstance(node, dict):
            if token not in node:
                return None
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def resolve(document: Mapping[str, Any], node: Any, pointer: str) -> tuple[Any, str]:
    """Follow local `$ref`s from `node` (found at `pointer`): the target and the target's pointer.

    A dangling or non-local ref resolves to `(None, pointer)`; a ref cycle stops after a bounded number
    of hops and returns the last node reached.
    """
    hops = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and hops < _MAX_REF_HOPS:
        ref: str = node["$ref"]
        if not ref.startswith("#"):
            return None, pointer
        pointer = ref[1:]
        node = resolve_pointer(document, pointer)
        hops += 1
    return node, pointer


def as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is a mapping, else an empty one (so rules can chain lookups)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class Operation:
    """One operation of the contract with where it lives."""

    path: str
    method: str
    pointer: str
    node: dict[str, Any]
    path_item: dict[str, Any]
    path_item_pointer: str

    @property
    def label(self) -> str:
        """`GET /tasks/{task_id}`: how reviewers name an operation."""
        return f"{self.method.upper()} {self.path}"

    @property
    def operation_id(self) -> str | None:
        value = self.node.get("operationId")
        return value if isinstance(value, str) and value else None


def iter_operations(document: Mapping[str, Any]) -> Iterator[Operation]:
    """Every operation under `paths` (path items behind a `$ref` are followed)."""
    for path, raw_item in as_dict(document.get("paths")).items():
        if not isinstance(path, str) or not path.startswith("/"):
            continue
        item, item_pointer = resolve(document, raw_item, pointer_to("paths", path))
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            node = item.get(method)
            if isinstance(node, dict):
                yield Operation(
                    path=path,
                    method=method,
                    pointer=child(item_pointer, method),
                    node=node,
                    path_item=item,
                    path_item_pointer=item_pointer,
                )


@dataclass(frozen=True)
class Parameter:
    """An operation's parameter after `$ref` resolution and path-level/operation-level merging."""

    name: str
    location: str
    node: dict[str, Any]
    pointer: str  # where the parameter object is written (the `$ref` target for shared ones)
    site: str  # where the operation lists it (the entry of its `parameters` array)

    @property
    def required(self) -> bool:
        return self.node.get("required") is True


def effective_parameters(document: Mapping[str, Any], op: Operation) -> list[Parameter]:
    """Path-item parameters overridden by operation parameters with the same name and location."""
    merged: dict[tuple[str, str], Parameter] = {}
    sources = (
        (op.path_item.get("parameters"), child(op.path_item_pointer, "parameters")),
        (op.node.get("parameters"), child(op.pointer, "parameters")),
    )
    for entries, base in sources:
        for index, raw in enumerate(as_list(entries)):
            site = child(base, index)
            node, pointer = resolve(document, raw, site)
            if not isinstance(node, dict):
                continue
            name, location = node.get("name"), node.get("in")
            if not isinstance(name, str) or not isinstance(location, str):
                continue
            key = (name.lower() if location == "header" else name, location)
            merged[key] = Parameter(name, location, node, pointer, site)
    return list(merged.values())


def effective_security(document: Mapping[str, Any], op: Operation) -> list[dict[str, Any]]:
    """The operation's security requirements (its own, else the document's)."""
    value = op.node["security"] if "security" in op.node else document.get("security")
    return [req for req in as_list(value) if isinstance(req, dict)]


def status_class(status: str) -> str | None:
    """`"404"` and `"4XX"` → `"4"`; `"default"` and junk → None."""
    text = str(status).upper()
    if len(text) == 3 and text[0] in "12345" and (text[1:].isdigit() or text[1:] == "XX"):
        return text[0]
    return None


def iter_media_schemas(
    document: Mapping[str, Any], content: Any, pointer: str
) -> Iterator[tuple[str, Any, str]]:
    """(media type, resolved schema, schema pointer) for each entry of a `content` map."""
    for media_type, raw_media in as_dict(content).items():
        media, media_pointer = resolve(document, raw_media, child(pointer, media_type))
        media = as_dict(media)
        if "schema" not in media:
            continue
        schema, schema_pointer = resolve(document, media["schema"], child(media_pointer, "schema"))
        yield media_type, schema, schema_pointer


def is_json_media(media_type: str) -> bool:
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def flatten_all_of(document: Mapping[str, Any], schema: Any, depth: int = 0) -> dict[str, Any]:
    """A shallow view of an object schema with its `allOf` parts merged: properties and required.

    Only what the rules ask about (type, properties, required, items) is merged; it is a reading aid,
    not a schema algebra.
    """
    node = as_dict(schema)
    parts = as_list(node.get("allOf"))
    if not parts or depth > 16:
        return node
    merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
    properties: dict[str, Any] = dict(as_dict(merged.get("properties")))
    required: list[Any] = list(as_list(merged.get("required")))
    for part in parts:
        resolved, _ = resolve(document, part, "")
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


def schema_types(schema: Mapping[str, Any]) -> set[str]:
    """The JSON types a schema names (3.0 `type` + `nullable`, or 3.1 type lists); empty: any."""
    raw = schema.get("type")
    types = {raw} if isinstance(raw, str) else {t for t in as_list(raw) if isinstance(t, str)}
    if schema.get("nullable") is True and types:
        types.add("null")
    return types
