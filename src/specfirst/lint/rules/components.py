"""Components are there to be used: one that nothing reaches is dead weight or a forgotten link."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from specfirst.lint.model import Finding, LintContext, Severity, rule
from specfirst.loader import Contract, join_pointer
from specfirst.openapi import (
    as_dict,
    as_list,
    enclosing_component,
    iter_refs,
    iter_webhooks,
    pointer_to,
)

Key = tuple[str, str]  # (section, name) in components


def _security_names(node: Any) -> Iterator[str]:
    for requirement in as_list(node):
        yield from as_dict(requirement)


RULE = "unused-component"
KEY = "x-lint-ignore"


@rule(
    RULE,
    Severity.ERROR,
    "Every component is reachable from a path, webhook or security requirement.",
)
def unused_component(ctx: LintContext) -> Iterator[Finding]:
    document = ctx.document
    components = as_dict(document.get("components"))
    edges: dict[Key, list[Key]] = {}
    for section, entries in components.items():
        for name, value in as_dict(entries).items():
            key = (section, name)
            found = [t for t in map(enclosing_component, iter_refs(value)) if t is not None]
            if section == "pathItems":
                found += [
                    ("securitySchemes", n)
                    for op in as_dict(value).values()
                    for n in _security_names(as_dict(op).get("security"))
                ]
            edges[key] = found
    roots: list[Key] = []
    for section, value in document.items():
        if section == "components":
            continue
        roots += [t for t in map(enclosing_component, iter_refs(value)) if t is not None]
    roots += [("securitySchemes", name) for name in _security_names(document.get("security"))]
    for op in [*ctx.operations, *iter_webhooks(document)]:
        roots += [("securitySchemes", n) for n in _security_names(op.node.get("security"))]
    reached: set[Key] = set()
    stack = roots
    while stack:
        key = stack.pop()
        if key in reached:
            continue
        reached.add(key)
        stack.extend(edges.get(key, ()))
    for key in edges:
        if key not in reached:
            section, name = key
            yield Finding(
                "unused-component",
                f"components/{section}/{name} is never used",
                pointer_to("components", section, name),
            )
    if ctx.contract is not None:
        yield from _unused_in_libraries(ctx.contract)


def _unused_in_libraries(contract: Contract) -> Iterator[Finding]:
    """Definitions in the contract's other files that no `$ref` reaches.

    The loader bundles only what is referenced, so an unused schema in `schemas/tasks.yaml` never
    reaches the bundled document; it is found here by comparing each file's definitions (its
    `components/<section>/<name>` entries, or its top-level entries when it has no `components`) with
    what was bundled from it.
    """
    used: dict[Path, set[str]] = {}
    for file, fragment in contract.origins.values():
        used.setdefault(file, set()).add(fragment)
    for path, source in contract.sources.items():
        if path == contract.path or not isinstance(source.data, dict) or "" in used.get(path, ()):
            continue  # the root, or a file referenced as a whole (one schema per file)
        taken = used.get(path, set())
        data = source.data
        candidates: list[tuple[tuple[str, ...], Any]]
        if isinstance(data.get("components"), dict):
            candidates = [
                (("components", section, name), value)
                for section, entries in data["components"].items()
                for name, value in as_dict(entries).items()
            ]
        elif "openapi" not in data:
            candidates = [
                ((name,), value) for name, value in data.items() if not name.startswith("x-")
            ]
        else:
            continue
        for tokens, value in candidates:
            pointer = join_pointer(list(tokens))
            if any(f == pointer or f.startswith(pointer + "/") for f in taken):
                continue
            if RULE in as_list(as_dict(value).get(KEY)) or as_dict(value).get(KEY) == RULE:
                continue
            yield Finding(
                RULE,
                f"{'/'.join(tokens)} in {path.as_posix()} is never used",
                pointer,
                location=source.locate(pointer),
            )
