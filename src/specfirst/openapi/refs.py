"""Following `$ref`s of a bundled document: one rule for what a reference names and when it fails.

The loader has already turned every relative, multi-file `$ref` into a local one
(`other.yaml#/Pet` becomes `#/components/schemas/Pet`) and recorded where the copy came from, so
following a reference here is a walk inside one document, and `Contract.locate` on the target's
pointer names the file and line it was written in. What stays unfollowed: fragments that are no
JSON pointer (`#pet`, a 3.1 `$anchor`) and refs that are not local at all (relative to a schema's
`$id`); they are `external`, neither resolved nor reported as broken.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

from specfirst.loader import escape_pointer_token, join_pointer, split_pointer
from specfirst.openapi.pointers import as_dict, find

SCHEMA_PREFIX = "#/components/schemas/"

RefProblem = Literal["missing", "circular"]
_REASONS: dict[str, str] = {"missing": "$ref target not found", "circular": "circular $ref"}


class RefError(Exception):
    """A `$ref` that cannot be followed: its target is missing, or a chain of refs loops."""

    def __init__(self, ref: str, problem: RefProblem) -> None:
        self.ref = ref
        self.problem: RefProblem = problem
        self.reason = _REASONS[problem]
        super().__init__(f"{self.reason}: {ref}")


@dataclass(frozen=True)
class Target:
    """Where a chain of `$ref`s ends: the node, the pointer it is written at, the last ref."""

    node: Any
    pointer: str
    ref: str | None = None  # the last `$ref` followed; None when the node was no reference

    @property
    def component(self) -> tuple[str, str] | None:
        """(section, name) when the last ref named a whole component (`#/components/schemas/Pet`)."""
        return component_of(self.ref) if self.ref is not None else None


def is_ref(node: Any) -> bool:
    """A reference is a mapping with a string `$ref` (siblings are ignored, as the tools do)."""
    return isinstance(node, dict) and isinstance(node.get("$ref"), str)


def ref_pointer(ref: str) -> str | None:
    """The JSON pointer a local ref names (`#/a/b` → `/a/b`, `#` → ``); None for other refs."""
    if not ref.startswith("#"):
        return None
    fragment = unquote(ref[1:])
    if fragment and not fragment.startswith("/"):
        return None  # `#name`: an anchor, not a pointer
    return fragment


def component_of(ref: str) -> tuple[str, str] | None:
    """(section, name) of a ref that names one whole component, else None."""
    pointer = ref_pointer(ref)
    tokens = split_pointer(pointer) if pointer else []
    if len(tokens) == 3 and tokens[0] == "components":
        return tokens[1], tokens[2]
    return None


def enclosing_component(ref: str) -> tuple[str, str] | None:
    """(section, name) of the component a local ref points at or into, else None."""
    pointer = ref_pointer(ref)
    tokens = split_pointer(pointer) if pointer else []
    if len(tokens) >= 3 and tokens[0] == "components":
        return tokens[1], tokens[2]
    return None


def component_ref(section: str, name: str) -> str:
    """The local ref to a component: `component_ref("schemas", "Pet")` → `#/components/schemas/Pet`."""
    return f"#/components/{escape_pointer_token(section)}/{escape_pointer_token(name)}"


def mapping_ref(value: str) -> str:
    """A discriminator mapping value as a ref: a bare schema name becomes its component ref."""
    if value.startswith("#") or "/" in value:
        return value
    return SCHEMA_PREFIX + escape_pointer_token(value)


class References:
    """Follows the local `$ref`s of one document; each ref string is looked up once."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self._targets: dict[str, Target | RefProblem | None] = {}

    def target(self, ref: str) -> Target | None:
        """What `ref` itself names (no further hops); None for refs that are not followed.

        Raises `RefError` when the pointer names nothing.
        """
        try:
            found = self._targets[ref]
        except KeyError:
            found = self._targets[ref] = self._lookup(ref)
        if found == "missing":
            raise RefError(ref, "missing")
        return found if isinstance(found, Target) else None

    def _lookup(self, ref: str) -> Target | RefProblem | None:
        pointer = ref_pointer(ref)
        if pointer is None:
            return None
        exists, node = find(self.document, pointer)
        if not exists:
            return "missing"
        return Target(node, join_pointer(split_pointer(pointer)), ref)

    def looked_up(self) -> Iterator[str]:
        """Every `$ref` looked up so far, whether it named something or nothing."""
        return iter(self._targets)

    def follow(self, node: Any, pointer: str) -> Target | None:
        """Follow refs from `node` (written at `pointer`) to a node that is no ref.

        None when a ref on the way is not followed (see the module docstring); raises `RefError`
        for a missing target or a loop.
        """
        if not is_ref(node):
            return Target(node, pointer)
        seen: set[str] = set()
        last: str | None = None
        while is_ref(node):
            ref = node["$ref"]
            if ref in seen:
                raise RefError(ref, "circular")
            seen.add(ref)
            found = self.target(ref)
            if found is None:
                return None
            node, pointer, last = found.node, found.pointer, ref
        return Target(node, pointer, last)

    def resolve(self, node: Any, pointer: str) -> tuple[Any, str]:
        """(target node, its pointer), or `(None, pointer)` when the chain cannot be followed.

        The lenient form for readers of contracts that may be invalid (lint, diff, the generator
        under `--allow-invalid`): what the validator reports, they skip.
        """
        if not is_ref(node):
            return node, pointer
        try:
            found = self.follow(node, pointer)
        except RefError:
            return None, pointer
        return (None, pointer) if found is None else (found.node, found.pointer)


def resolve(document: Any, node: Any, pointer: str) -> tuple[Any, str]:
    """`References(document).resolve(node, pointer)`, for a one-off lookup."""
    return References(document).resolve(node, pointer)


def deref(document: Any, node: Any) -> Any:
    """The node `node` leads to after its `$ref`s (None when they cannot be followed)."""
    return References(document).resolve(node, "")[0]


def walk_objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in `node`, itself included, depth first (iterative: deep trees are fine)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(v for v in current.values() if isinstance(v, dict | list))
        elif isinstance(current, list):
            stack.extend(v for v in current if isinstance(v, dict | list))


def iter_refs(node: Any) -> Iterator[str]:
    """Every `$ref` below `node`, and every discriminator mapping target as a ref (`mapping_ref`)."""
    for current in walk_objects(node):
        ref = current.get("$ref")
        if isinstance(ref, str):
            yield ref
        mapping = as_dict(as_dict(current.get("discriminator")).get("mapping"))
        for value in mapping.values():
            if isinstance(value, str):
                yield mapping_ref(value)


def referenced_files(node: Any) -> Iterator[str]:
    """The relative file part of every `$ref` below `node` that names another file (decoded).

    `pet.yaml#/Pet` gives `pet.yaml`; local refs give nothing, and neither do remote ones
    (`https://...`), which the loader refuses with a located error.
    """
    for ref in iter_refs(node):
        file_part = ref.partition("#")[0]
        if file_part and "://" not in file_part:
            yield unquote(file_part)
