"""One pass over the whole document for what the checks need from all of it: every `$ref` string
(`refs.broken_refs`) and every regular expression (`pattern` values, `patternProperties` keys:
`SchemaChecks` skips its per-schema regex walk when all of them compile).

jsonschema-rs does the walk, about 4x faster than a Python one on GitHub's contract: a schema that
descends into every object and array, with a custom format on the `$ref` and `pattern` members and
on `patternProperties` names that records the string and accepts it. Should jsonschema-rs refuse
the document (a value it cannot convert), a Python walk gives the same sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

_REF_FORMAT = "specfirst-scan-ref"
_PATTERN_FORMAT = "specfirst-scan-pattern"

# Every object and array, at any depth; `$ref` and `pattern` members are walked too.
_EVERYTHING = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "any": {
            "properties": {
                "$ref": {"format": _REF_FORMAT, "$ref": "#/$defs/any"},
                "pattern": {"format": _PATTERN_FORMAT, "$ref": "#/$defs/any"},
                "patternProperties": {
                    "propertyNames": {"format": _PATTERN_FORMAT},
                    "$ref": "#/$defs/any",
                },
            },
            "additionalProperties": {"$ref": "#/$defs/any"},
            "items": {"$ref": "#/$defs/any"},
        }
    },
    "$ref": "#/$defs/any",
}


@dataclass(frozen=True)
class Scan:
    refs: frozenset[str]  # every string `$ref` value, data included
    patterns: frozenset[str]  # every string `pattern` value and `patternProperties` name
    odd_names: bool = False  # a `patternProperties` name that is no string (not from JSON/YAML)


@cache
def _import_rs() -> Any:
    import jsonschema_rs

    return jsonschema_rs


def scan(document: Any) -> Scan:
    refs: set[str] = set()
    patterns: set[str] = set()

    def record(into: set[str]) -> Any:
        def check(value: str) -> bool:
            into.add(value)
            return True

        return check

    rs = _import_rs()
    try:
        validator = rs.validator_for(
            _EVERYTHING,
            formats={_REF_FORMAT: record(refs), _PATTERN_FORMAT: record(patterns)},
            validate_formats=True,
        )
        if validator.is_valid(document):
            return Scan(frozenset(refs), frozenset(patterns))
    except Exception:  # a document jsonschema-rs cannot take: walk it here
        pass
    return python_scan(document)


def python_scan(document: Any) -> Scan:
    """`scan`, walked in Python (every dict and list, as `openapi.walk_objects` does)."""
    refs: set[str] = set()
    patterns: set[str] = set()
    odd_names = False
    containers = (dict, list)
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                refs.add(ref)
            pattern = node.get("pattern")
            if isinstance(pattern, str):
                patterns.add(pattern)
            pattern_properties = node.get("patternProperties")
            if isinstance(pattern_properties, dict):
                for name in pattern_properties:
                    if isinstance(name, str):
                        patterns.add(name)
                    else:
                        odd_names = True
            stack.extend([v for v in node.values() if isinstance(v, containers)])
        elif isinstance(node, list):
            stack.extend([v for v in node if isinstance(v, containers)])
    return Scan(frozenset(refs), frozenset(patterns), odd_names)
