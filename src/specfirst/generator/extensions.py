"""Vendor extensions (`x-…`) in the schemas handed to datamodel-code-generator.

datamodel-code-generator interprets some extensions and trusts their shape: `x-enum-descriptions`
as a map instead of a list stops it with a Pydantic `list_type` error, and `x-python-type` /
`x-python-import` would let a contract write arbitrary imports and annotations into the generated
models. specfirst interprets none of them except the enum member names and descriptions, so every
other extension is dropped from schema objects (the served contract keeps them all), and those two
are kept only when they are a list of strings matching the enum one to one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Extensions passed on when well formed: a list of strings, one per enum value.
_ENUM_LISTS = ("x-enum-varnames", "x-enumNames", "x-enum-descriptions")
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_VALUES = (
    "items",
    "additionalItems",
    "additionalProperties",
    "unevaluatedItems",
    "unevaluatedProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
)


def strip_extensions(schema: Any) -> None:
    """Drop the extensions specfirst does not interpret from every schema object of `schema`."""
    for node in _schema_objects(schema):
        enum = node.get("enum")
        for key in [k for k in node if isinstance(k, str) and k.startswith("x-")]:
            value = node[key]
            if key in _ENUM_LISTS and _one_string_per_value(value, enum):
                continue
            del node[key]


def _one_string_per_value(value: Any, enum: Any) -> bool:
    return (
        isinstance(value, list)
        and isinstance(enum, list)
        and len(value) == len(enum)
        and all(isinstance(item, str) for item in value)
    )


def _schema_objects(schema: Any) -> Iterator[dict[str, Any]]:
    """Every Schema Object in `schema` (not examples, defaults or property-name maps)."""
    stack = [schema]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        for key in _SCHEMA_MAPS:
            members = node.get(key)
            if isinstance(members, dict):
                stack.extend(members.values())
        for key in _SCHEMA_LISTS:
            members = node.get(key)
            if isinstance(members, list):
                stack.extend(members)
        for key in _SCHEMA_VALUES:
            value = node.get(key)
            if isinstance(value, list):  # draft-4 tuple `items`
                stack.extend(value)
            else:
                stack.append(value)
