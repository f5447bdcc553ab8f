"""Local `$ref` resolution over the bundled document, and the report of refs that lead nowhere.

The loader has already internalised every external `$ref` and checked that each target exists;
what remains are the root file's own refs (`#/components/schemas/Pet`). openapi-spec-validator
stops at the first one it cannot resolve (an exception, not an error), so every dangling or circular
local ref is found here first and reported at the line of the `$ref` itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from specfirst.loader import escape_pointer_token, unescape_pointer_token
from specfirst.validation.issues import Finding

# Keys whose values are data, not OpenAPI structure: a `$ref` key inside them is not a reference.
_VALUE_KEYS = frozenset({"example", "default", "enum", "const"})
_MISSING: tuple[Any, str] = (None, "<missing>")


class RefError(Exception):
    """A `$ref` that cannot be followed: its target is missing, or a chain of refs loops."""

    def __init__(self, ref: str, reason: str) -> None:
        super().__init__(f"{reason}: {ref}")
        self.ref = ref
        self.reason = reason


def is_ref(node: Any) -> bool:
    """The rule openapi-spec-validator's path accessor uses: a mapping with a string `$ref`."""
    return isinstance(node, dict) and isinstance(node.get("$ref"), str)


class LocalRefs:
    """Follows `#/...` refs of one document, remembering each target."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self._targets: dict[str, tuple[Any, str] | None] = {}

    def target(self, ref: str) -> tuple[Any, str] | None:
        """(node, pointer) a ref names, or None for refs this resolver does not follow.

        Only same-document JSON-pointer refs are followed; `$anchor`-style fragments and relative
        URIs (possible in 3.1 schemas with `$id`) are left alone rather than guessed at.
        Raises `RefError` when the pointer names nothing.
        """
        try:
            found = self._targets[ref]
        except KeyError:
            found = self._targets[ref] = self._lookup(ref)
        if found is _MISSING:
            raise RefError(ref, "$ref target not found")
        return found

    def _lookup(self, ref: str) -> tuple[Any, str] | None:
        if not ref.startswith("#"):
            return None
        fragment = unquote(ref[1:])
        if fragment and not fragment.startswith("/"):
            return None
        found = self._walk(fragment)
        return _MISSING if found is None else found

    def _walk(self, fragment: str) -> tuple[Any, str] | None:
        node = self.document
        tokens = [unescape_pointer_token(t) for t in fragment.split("/")[1:]] if fragment else []
        for token in tokens:
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None
        return node, "".join("/" + escape_pointer_token(t) for t in tokens)

    def resolve(self, node: Any, pointer: str) -> tuple[Any, str] | None:
        """Follow refs from `node` until a non-ref node; None when a ref is not followable.

        Raises `RefError` for a missing target or a loop of refs.
        """
        seen: set[str] = set()
        while is_ref(node):
            ref = node["$ref"]
            if ref in seen:
                raise RefError(ref, "circular $ref")
            seen.add(ref)
            found = self.target(ref)
            if found is None:
                return None
            node, pointer = found
        return node, pointer


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


def broken_refs(refs: LocalRefs) -> list[Finding]:
    """A finding for each `$ref` that is dangling or part of a loop, at the `$ref` itself."""
    bad: dict[str, str] = {}
    unique: set[str] = set()
    stack: list[Any] = [refs.document]
    while stack:  # first pass: the distinct ref strings, cheaply
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                unique.add(ref)
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    for ref in unique:
        try:
            refs.resolve({"$ref": ref}, "")
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
