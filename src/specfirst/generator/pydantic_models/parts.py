"""Split a large models document into parts that datamodel-code-generator handles in parallel.

datamodel-code-generator runs on one core and its time grows with the number of classes (about
17 s for GitHub's 7,000). A component's class comes out the same from any part that holds the
component and every schema its class depends on, so each part is a group of schemas plus
everything they reach: `$ref`s, and in the other direction the schemas whose discriminator
names them (a discriminator writes the tag into each member's class).

Classes of inline schemas are named in the order datamodel-code-generator meets them, so their
names can differ from part to part: `join` links the parts' modules like object files.
When it cannot (a layout it does not know), the caller generates the whole document in one run,
so a refused join only costs time, never correctness.

How many parts a document gets depends on its size alone, never on the machine, so the output
is the same everywhere; how many run at once depends on the cores.
"""

from __future__ import annotations

import json
from typing import Any

from specfirst.generator.schemas import SCHEMA_PREFIX, reachable, walk_objects
from specfirst.loader import split_pointer

PARTS = 2
PART_MIN_BYTES = 600_000  # below this (JSON of the schemas), one run beats the cost of processes


def plan_parts(document: dict[str, Any], min_bytes: int | None = None) -> list[dict[str, Any]]:
    """Documents to generate separately, or `[]` when the document is better done in one run."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    weights = {name: len(json.dumps(schema)) for name, schema in schemas.items()}
    total = sum(weights.values())
    if total < (PART_MIN_BYTES if min_bytes is None else min_bytes) or len(schemas) < PARTS:
        return []
    edges = _edges(schemas)
    held = _pack(schemas, weights, edges)
    if len(held) < 2 or any(len(names) == len(schemas) for names in held):
        return []  # one schema needs them all: nothing to share out
    return [
        {
            **{key: value for key, value in document.items() if key != "components"},
            "components": {"schemas": {n: s for n, s in schemas.items() if n in names}},
        }
        for names in held
    ]


def _pack(
    schemas: dict[str, Any], weights: dict[str, int], edges: dict[str, set[str]]
) -> list[set[str]]:
    """The schemas each part holds: every schema with what it needs, biggest needs first, into
    the part where the heavier of the parts grows least. Schemas needed by many end up in
    few parts, so little is generated twice (on GitHub's document, 129 of 1,463 schemas)."""
    needs = {name: reachable([name], edges) for name in schemas}
    need_weight = {name: sum(weights[n] for n in needs[name]) for name in schemas}
    held: list[set[str]] = [set() for _ in range(PARTS)]
    load = [0] * PARTS
    for name in sorted(schemas, key=lambda n: (-need_weight[n], n)):
        if any(name in names for names in held):
            continue
        added = [sum(weights[n] for n in needs[name] - names) for names in held]
        part = min(range(PARTS), key=lambda i: (_heaviest(load, i, added[i]), added[i], i))
        held[part] |= needs[name]
        load[part] += added[part]
    return [names for names in held if names]


def _heaviest(load: list[int], part: int, added: int) -> int:
    return max(w + added if i == part else w for i, w in enumerate(load))


def _edges(schemas: dict[str, Any]) -> dict[str, set[str]]:
    """name → the schemas its class cannot be generated without."""
    edges: dict[str, set[str]] = {name: set() for name in schemas}
    for name, schema in schemas.items():
        for node in walk_objects(schema):
            ref = node.get("$ref")
            target = _target(ref) if isinstance(ref, str) else None
            if target in edges:
                edges[name].add(target)
            discriminator = node.get("discriminator")
            if isinstance(discriminator, dict):
                members = _discriminated(node, discriminator)
                for member in members & edges.keys():
                    edges[name].add(member)
                    edges[member].add(name)
    return edges


def _discriminated(node: dict[str, Any], discriminator: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    mapping = discriminator.get("mapping")
    if isinstance(mapping, dict):
        names |= {t for v in mapping.values() if isinstance(v, str) and (t := _target(v))}
    for key in ("oneOf", "anyOf"):
        for member in node.get(key) or []:
            ref = member.get("$ref") if isinstance(member, dict) else None
            if isinstance(ref, str) and (target := _target(ref)):
                names.add(target)
    return names


def _target(ref: str) -> str | None:
    if not ref.startswith(SCHEMA_PREFIX):
        return None
    tokens = split_pointer(ref[1:])
    return tokens[2] if len(tokens) >= 3 else None
