"""datamodel-code-generator's `primary-first` naming strategy against our mark and `unmark`:
which components lose their class to an inline schema, and how many inline class names change.

    uv run python bench/primary_first.py CONTRACT [CONTRACT ...]

Both runs generate the models of the whole document in one run (no parts). The first is ours
(`full-path`, component names behind the mark, `unmark`); the second gives datamodel-code-generator
the bare component names and `naming_strategy=primary-first`. A component is named right when
the class under its name (or its `Request`/`Response` variants) has the same kind, base, fields
and enum members in both. Measured for docs/speed.md ("Our own passes").
"""

from __future__ import annotations

import re
import sys
from typing import Any

import datamodel_code_generator
from datamodel_code_generator.enums import NamingStrategy

from specfirst.generator import schemas
from specfirst.generator.build import plan_models
from specfirst.generator.pydantic_models import driver
from specfirst.loader import load_contract

_BLOCK = re.compile(r"^class (\w+)\(([^)]*)\):\n((?:(?:    .*)?\n)*)", re.MULTILINE)
Shape = tuple[str, tuple[str, ...], tuple[str, ...]]


def shapes(source: str) -> dict[str, Shape]:
    found = {}
    for match in _BLOCK.finditer(source + "\n"):
        body = match.group(3)
        fields = tuple(re.findall(r"^    (\w+):", body, re.MULTILINE))
        members = tuple(re.findall(r"^    (\w+) = ", body, re.MULTILINE))
        found[match.group(1)] = (match.group(2).split("[")[0], fields, members)
    return found


def models(document: dict[str, Any], primary_first: bool) -> tuple[str, dict[str, str]]:
    generate = datamodel_code_generator.generate
    mark = schemas.COMPONENT_MARK
    if primary_first:
        schemas.COMPONENT_MARK = "type"  # every contract spells it: ModelPlan then uses no mark

        def with_primary_first(*args: Any, **options: Any) -> Any:
            return generate(*args, **{**options, "naming_strategy": NamingStrategy.PrimaryFirst})

        datamodel_code_generator.generate = with_primary_first  # type: ignore[assignment]
    try:
        plan = plan_models(document)
        return driver._run_datamodel_codegen(plan.build(document)), plan.class_names
    finally:
        schemas.COMPONENT_MARK = mark
        datamodel_code_generator.generate = generate  # type: ignore[assignment]


def main(paths: list[str]) -> None:
    for path in paths:
        document = load_contract(path).document
        ours, names = models(document, primary_first=False)
        theirs, _ = models(document, primary_first=True)
        a, b = shapes(ours), shapes(theirs)
        own = {c for cls in names.values() for c in (cls, cls + "Request", cls + "Response")}
        wrong = []
        for component, cls in sorted(names.items()):
            for name in (cls, cls + "Request", cls + "Response"):
                if name in a and b.get(name) != a[name]:
                    kind = "missing" if name not in b else f"a {b[name][0]} with {b[name][1][:3]}"
                    wrong.append(f"{component} ({name}): {kind}")
        inline_a, inline_b = set(a) - own, set(b) - own
        print(f"{path}: {len(names)} components, {len(wrong)} classes not their own")
        for line in wrong:
            print(f"  {line}")
        print(
            f"  inline class names: {len(inline_a)} ours, {len(inline_b)} primary-first, "
            f"{len(inline_a & inline_b)} the same"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
