"""The document against the OpenAPI meta-schema (openapi-spec-validator's own schema files).

jsonschema-rs answers "valid?" for a 13 MB document in milliseconds; only when it says no does the
pure-Python jsonschema validator run (and only then is it imported), because its errors carry `context` (for `best_match`) and
readable one-line messages. The Python validator is built exactly as openapi-spec-validator's
`jsonschema` backend builds it, so the errors are the ones the library reports with that backend,
whatever `OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND` says.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from specfirst.openapi import node_at
from specfirst.validation.issues import Finding
from specfirst.validation.messages import readable
from specfirst.validation.metaschemas import openapi_schema


@cache
def _meta_schema(version: str) -> dict[str, Any]:
    return openapi_schema(version)


@cache
def _python_validator(version: str) -> Any:
    from jsonschema.validators import validator_for  # type: ignore[import-untyped]

    meta = _meta_schema(version)
    return validator_for(meta)(meta)


@cache
def _fast_validator(version: str) -> Any:
    import jsonschema_rs

    # Formats off: the library's jsonschema backend does not assert them either.
    return jsonschema_rs.validator_for(_meta_schema(version), validate_formats=False)


def structure_findings(document: dict[str, Any], version: str) -> list[Finding]:
    """Every meta-schema error of `document` (`version` is "3.0" or "3.1")."""
    fast = _fast_validator(version)
    if fast.is_valid(document):
        return []
    errors = _localised_errors(document, version, fast)
    if errors is None:
        errors = list(_python_validator(version).iter_errors(document))
    return [Finding(pointer, message, raw) for pointer, message, raw in readable(errors)]


# Keywords after which the errors of a child are wrapped into an error of the parent.
_WRAPPING = frozenset({"anyOf", "oneOf", "not", "if", "dependencies", "$dynamicRef"})


def _localised_errors(document: dict[str, Any], version: str, fast: Any) -> list[Any] | None:
    """The Python validator's errors, computed only on the subtrees jsonschema-rs found invalid.

    Each failing subtree is validated against exactly the sub-schemas the full validation would
    apply to it, reached through keywords that only descend (`properties`, `patternProperties`,
    `additionalProperties`, `items`, `$ref`, `allOf`); so its errors are the full validation's.
    A failure at the root, or below a keyword that folds child errors into its own (`oneOf`...),
    is handled by the enclosing subtree. Only for 3.0: the 3.1 meta-schema's `$dynamicRef`s depend
    on the path from the root. None means: validate the whole document.
    """
    if version != "3.0":
        return None
    meta = _meta_schema(version)
    units: dict[tuple[str | int, ...], list[Any]] = {}
    for error in fast.iter_errors(document):
        unit, schemas = _descend(meta, document, list(error.instance_path))
        if not unit:
            return None
        units[unit] = schemas
    python = _python_validator(version)
    found: list[Any] = []
    for unit in sorted(units, key=lambda u: [str(t) for t in u]):
        if any(unit[: len(other)] == other for other in units if len(other) < len(unit)):
            continue  # inside another failing subtree, validated with it
        instance: Any = document
        for token in unit:
            instance = instance[token]
        for schema in units[unit]:
            for error in python.evolve(schema=schema).iter_errors(instance):
                error.path.extendleft(reversed(unit))
                found.append(error)
    return found


def _descend(
    meta: dict[str, Any], document: Any, path: list[str | int]
) -> tuple[tuple[str | int, ...], list[Any]]:
    """The deepest prefix of `path` whose sub-schemas are known exactly, and those sub-schemas."""
    schemas: list[Any] = [meta]
    prefix: list[str | int] = []
    node = document
    for token in path:
        members = _members(meta, schemas)
        if members is None:
            break
        applicable = [sub for member in members for sub in _applicable(member, node, token)]
        if not applicable:
            break
        schemas, node = applicable, node[token]
        prefix.append(token)
    return tuple(prefix), schemas


def _members(meta: dict[str, Any], schemas: list[Any]) -> list[dict[str, Any]] | None:
    """The schemas that apply to one node, with `$ref` and `allOf` followed; None if ambiguous."""
    found: list[dict[str, Any]] = []
    stack = list(schemas)
    while stack:
        schema = stack.pop()
        if schema is True or schema == {}:
            continue
        if not isinstance(schema, dict) or _WRAPPING & schema.keys():
            return None
        found.append(schema)
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#/"):
                return None
            stack.append(node_at(meta, ref[1:]))
            continue  # draft 4: siblings of $ref are ignored
        stack.extend(schema.get("allOf", []))
    return found


def _applicable(schema: dict[str, Any], node: Any, token: str | int) -> list[Any]:
    """Sub-schemas `schema` applies to `node[token]` (draft 4 rules)."""
    if isinstance(node, dict) and isinstance(token, str):
        found: list[Any] = []
        properties = schema.get("properties", {})
        if token in properties:
            found.append(properties[token])
        for pattern, sub in schema.get("patternProperties", {}).items():
            if re.search(pattern, token):
                found.append(sub)
        additional = schema.get("additionalProperties", True)
        if not found and isinstance(additional, dict):
            found.append(additional)
        return found
    if isinstance(node, list) and isinstance(token, int):
        items = schema.get("items")
        return [items] if isinstance(items, dict) else []
    return []
