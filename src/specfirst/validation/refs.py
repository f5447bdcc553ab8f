"""The report of local `$ref`s that lead nowhere (following them is `specfirst.openapi.refs`).

The loader has already internalised every external `$ref` and checked that each target exists;
what remains are the root file's own refs (`#/components/schemas/Pet`). openapi-spec-validator
stops at the first one it cannot resolve (an exception, not an error), so every dangling or circular
local ref is found here first and reported at the line of the `$ref` itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from specfirst.loader import escape_pointer_token
from specfirst.openapi import References, RefError, walk_objects
from specfirst.validation.issues import Finding

# Keys whose values are data, not OpenAPI structure: a `$ref` key inside them is not a reference.
_VALUE_KEYS = frozenset({"example", "default", "enum", "const"})


def _containers(document: Any) -> Iterator[tuple[Any, str, bool]]:
    """Every mapping that can hold a real `$ref`, with its pointer (built only when asked)."""
    stack: list[tuple[Any, str, bool]] = [(document, "", False)]
    while stack:
        node, pointer, in_examples = stack.pop()
        if isinstance(node, dict):
            yield node, pointer, in_examples
            for key, value in node.items():
                if not isinstance(value, dict | list):
                    continue
                if key in _VALUE_KEYS or key.startswith("x-"):
                    continue
                if in_examples and key == "value":
                    continue  # an Example object's value is data
                if key == "examples" and isinstance(value, list):
                    continue  # JSON Schema `examples`: data
                stack.append((value, f"{pointer}/{escape_pointer_token(key)}", key == "examples"))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, dict | list):
                    stack.append((value, f"{pointer}/{index}", False))


def broken_refs(refs: References, unique: Iterable[str] | None = None) -> list[Finding]:
    """A finding for each `$ref` that is dangling or part of a loop, at the `$ref` itself.

    `unique`: every distinct `$ref` string of the document (data included), when a scan has
    them already (`scan.scan`).
    """
    bad: dict[str, str] = {}
    # First pass: the distinct ref strings, cheaply.
    if unique is None:
        unique = {n["$ref"] for n in walk_objects(refs.document) if isinstance(n.get("$ref"), str)}
    for ref in sorted(unique):
        try:
            refs.follow({"$ref": ref}, "")
        except RefError as exc:
            bad[ref] = exc.reason
    if not bad:
        return []
    findings: list[Finding] = []
    for node, pointer, _ in _containers(refs.document):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in bad:
            message = f"{bad[ref]}: {ref}"
            findings.append(Finding(pointer + "/$ref", message, message))
    return findings
