"""Split a large models document into parts that datamodel-code-generator handles in parallel,
and join what comes out into one module.

datamodel-code-generator runs on one core and its time grows with the number of classes (about
17 s for GitHub's 7,000). It names an inline class after its path in the document
(`NamingStrategy.FullPath`), so the same schema gives the same class, by name and by text,
whichever part it is generated in, as long as the part holds every schema the class depends on.
Each part is therefore a group of owned schemas plus everything they reach: `$ref`s, and in the
other direction the schemas whose discriminator names them (a discriminator writes the tag
into each member's class).

The join refuses, rather than guesses, whenever the parts disagree: a class that comes out
differently in two parts, differing module headers or a statement other than a class at the top
level. The caller then generates the whole document in one run, so a refused join only costs
time, never correctness.

How many parts a document gets depends on its size alone, never on the machine, so the output
is the same everywhere; how many run at once depends on the cores.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from specfirst.loader import split_pointer

PARTS = 2
PART_MIN_BYTES = 600_000  # below this (JSON of the schemas), one run beats the cost of processes
_SCHEMA_PREFIX = "#/components/schemas/"


def plan_parts(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Documents to generate separately, or `[]` when the document is better done in one run."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    weights = {name: len(json.dumps(schema)) for name, schema in schemas.items()}
    total = sum(weights.values())
    if total < PART_MIN_BYTES or len(schemas) < PARTS:
        return []
    edges = _edges(schemas)
    owners: list[list[str]] = [[] for _ in range(PARTS)]
    seen = 0
    for name in schemas:  # contiguous groups of about equal size, in document order
        owners[min(PARTS - 1, seen * PARTS // total)].append(name)
        seen += weights[name]
    parts = []
    for owned in owners:
        needed = _closure(owned, edges)
        parts.append(
            {
                **{key: value for key, value in document.items() if key != "components"},
                "components": {
                    "schemas": {name: s for name, s in schemas.items() if name in needed}
                },
            }
        )
    return parts


def _edges(schemas: dict[str, Any]) -> dict[str, set[str]]:
    """name → the schemas its class cannot be generated without."""
    edges: dict[str, set[str]] = {name: set() for name in schemas}
    for name, schema in schemas.items():
        for node in _walk(schema):
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
    if not ref.startswith(_SCHEMA_PREFIX):
        return None
    tokens = split_pointer(ref[1:])
    return tokens[2] if len(tokens) >= 3 else None


def _closure(start: list[str], edges: dict[str, set[str]]) -> set[str]:
    found: set[str] = set()
    pending = list(start)
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending.extend(edges[name] - found)
    return found


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(v for v in current.values() if isinstance(v, dict | list))
        elif isinstance(current, list):
            stack.extend(v for v in current if isinstance(v, dict | list))


_CLASS_START = re.compile(r"^class (\w+)\b", re.MULTILINE)
_IMPORT = re.compile(r"^from (\S+) import (.+)$")
_REBUILD = re.compile(r"^\w+\.model_rebuild\(\)$")


def join_parts(sources: list[str]) -> str | None:
    """One module from the parts' modules, or None when they disagree (see the module docstring).

    Classes keep the first part's order, then each later part's new classes in its order: a
    class's dependencies are in its own part, before it, and a class shared with an earlier
    part only depends on classes that part has too.
    """
    head_lines: list[str] | None = None
    plain_head: list[str] = []
    imports: dict[str, list[str]] = {}
    classes: dict[str, str] = {}
    rebuilds: dict[str, None] = {}
    for source in sources:
        split = _split_module(source)
        if split is None:
            return None
        head, blocks, tail = split
        rebuilds.update(dict.fromkeys(tail))
        others = [line for line in head if line and not _IMPORT.match(line)]
        if head_lines is None:
            head_lines = head
            plain_head = others
        elif others != plain_head:
            return None
        for line in head:
            if match := _IMPORT.match(line):
                names = imports.setdefault(match.group(1), [])
                names += [
                    n for n in (i.strip() for i in match.group(2).split(",")) if n not in names
                ]
        for name, block in blocks:
            if classes.setdefault(name, block) != block:
                return None
    assert head_lines is not None
    head_out = []
    for line in head_lines:
        match = _IMPORT.match(line)
        if match is None:
            head_out.append(line)
        elif match.group(1) in imports:
            head_out.append(
                f"from {match.group(1)} import {', '.join(imports.pop(match.group(1)))}"
            )
    # Modules a later part imports from but the first does not: after the first part's imports.
    extra = [f"from {module} import {', '.join(names)}" for module, names in imports.items()]
    if extra:
        last = max(i for i, line in enumerate(head_out) if _IMPORT.match(line))
        head_out[last + 1 : last + 1] = extra
    text = "\n".join(head_out).rstrip("\n") + "\n\n\n" + "\n\n\n".join(classes.values()) + "\n"
    return text + ("\n\n" + "\n".join(rebuilds) + "\n" if rebuilds else "")


def _split_module(source: str) -> tuple[list[str], list[tuple[str, str]], list[str]] | None:
    """(header lines, (class name, class text) in order, trailing `X.model_rebuild()` lines)."""
    starts = list(_CLASS_START.finditer(source))
    if not starts:
        return None
    head = source[: starts[0].start()].rstrip("\n").split("\n")
    if any(line and not line.startswith(("#", "from ")) for line in head):
        return None
    blocks = []
    tail: list[str] = []
    for index, start in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(source)
        lines = source[start.start() : end].rstrip().split("\n")
        body = [lines[0]]
        statements: list[str] = []
        for line in lines[1:]:
            if line and not line[0].isspace():
                statements.append(line)
            elif statements and line:  # class text after a top-level statement: unknown layout
                return None
            elif not statements:
                body.append(line)
        if not all(_REBUILD.match(statement) for statement in statements):
            return None
        tail += statements
        blocks.append((start.group(1), "\n".join(body).rstrip()))
    return head, blocks, tail
