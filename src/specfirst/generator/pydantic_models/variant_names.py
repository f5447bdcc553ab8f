"""readOnly/writeOnly variants keep the spelling of their component's class name.

With `snake_case_field`, datamodel-code-generator 0.89 passes a variant's class name through its
field-name rules (`ModelResolver.add` → `get_valid_field_name`): snake_case and back, so
`MongoDBInstanceRequest` comes out `MongoDbInstanceRequest` (linode), and the view builder,
which looks for `<Name>Request`, finds no class. Plain classes keep their names; only the
variants need theirs back.
"""

from __future__ import annotations

from specfirst.generator.pydantic_models.join import (
    DEFINITION,
    TOP_LEVEL_PIECE,
    rename_identifier,
)

_VARIANTS = ("Request", "Response")


def restore_variant_names(source: str, components: set[str]) -> str:
    """`source` with each variant class of a component (`components`: the class names as
    datamodel-code-generator was given them) renamed to `<component><Request|Response>`
    where it came out spelled otherwise."""
    defined = {a or b for a, b in DEFINITION.findall(source)}
    wanted = {name + suffix for name in components for suffix in _VARIANTS} - defined
    if not wanted:
        return source
    by_key: dict[str, list[str]] = {}
    for name in wanted:
        by_key.setdefault(_key(name), []).append(name)
    renames = {}
    for name in sorted(defined - wanted):
        matches = by_key.get(_key(name), [])
        if name.endswith(_VARIANTS) and len(matches) == 1 and matches[0] not in defined:
            renames[name] = matches[0]
            defined.add(matches[0])
    if not renames:
        return source
    pieces = TOP_LEVEL_PIECE.split(source)  # tokenized one by one, and only where named
    for old, new in renames.items():
        pieces = [rename_identifier(p, old, new) for p in pieces]
    return "".join(pieces)


def _key(name: str) -> str:
    return name.replace("_", "").lower()
