"""Constrained scalars inside arrays and maps written in place, not as classes of their own.

datamodel-code-generator gives an inline item schema with constraints (`items: {type: string,
maxLength: 20}`) a class, `class PetTag(RootModel[str])` with `root: Annotated[str,
Field(max_length=20)]`, and types the field `list[PetTag]`, so a service writes `[PetTag("a")]`
and reads `[t.root for t in pet.tags]`. (It does the same for map values, as a type alias.) No
option of 0.89 writes them in place: `--collapse-root-models` keeps a constrained root beside a
container on purpose (its rule `constraints-beside-container`), `--use-type-alias` turns every
root model into an alias, components and discriminated unions included. This pass writes the
root's annotation where the class was named (`list[Annotated[str, Field(max_length=20)]]`) and
drops the class. Only inline classes (not a component's: a named schema keeps its class) whose
whole body is the `root` annotation, and whose annotation names no class of the module.
"""

from __future__ import annotations

import re

from specfirst.generator.pydantic_models.join import DEFINITION

_ROOT_CLASS = re.compile(
    r"^class (\w+)\(RootModel\[[^\n]*\]\):\n"
    r'(?:    """\n(?:    [^\n]*\n|\n)*?    """\n\n)?'  # a docstring (the item's description)
    r"    root: ([^\n]+)\n",
    re.MULTILINE,
)
_TYPE_ALIAS = re.compile(r'^(\w+) = TypeAliasType\("\1", ([^\n]+)\)\n', re.MULTILINE)
_NEXT_TOP_LEVEL = re.compile(r"^\S", re.MULTILINE)


def inline_scalar_items(source: str, components: set[str]) -> str:
    """`source` with inline scalar root classes and aliases written where they are named.
    `components`: the component class names as datamodel-code-generator was given them (marked,
    like the inline classes named after them: only this set tells them apart)."""
    defined = {a or b for a, b in DEFINITION.findall(source)}  # as `ModelsModule` reads them
    inlined: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    for match in [*_ROOT_CLASS.finditer(source), *_TYPE_ALIAS.finditer(source)]:
        name, annotation = match.group(1), match.group(2).strip()
        if name in components:
            continue
        bare = _without_strings(annotation)
        if _has_default(bare) or set(re.findall(r"\b[A-Za-z_]\w*\b", bare)) & defined:
            continue
        following = _NEXT_TOP_LEVEL.search(source, match.end())
        end = following.start() if following else len(source)
        if source[match.end() : end].strip():  # more than the root in its body
            continue
        inlined[name] = annotation
        spans.append((match.start(), end))
    if not inlined:
        return source
    pieces, cursor = [], 0
    for start, end in sorted(spans):
        pieces.append(source[cursor:start])
        cursor = end
    pieces.append(source[cursor:])
    result = "".join(pieces)
    result = re.sub(
        rf"^(?:{'|'.join(map(re.escape, inlined))})\.model_rebuild\(\)\n", "", result, flags=re.M
    )
    names = "|".join(map(re.escape, sorted(inlined, key=len, reverse=True)))
    # Only where a type is named: not inside strings (a description may say `Text`), not as a
    # field's own name (`    Text: ...` with `field_names = "wire"`), class name or attribute.
    uses = re.compile(
        rf"{_STRING}|^ +\w+:|class \w+|(?<![.\w])({names})(?!\w)", re.MULTILINE | re.DOTALL
    )
    return uses.sub(lambda m: inlined[m.group(1)] if m.group(1) else m.group(0), result)


_STRING = "|".join(  # Python string literals: triple-quoted (over lines), then one-line
    (
        r'"""(?:\\.|[^\\])*?"""',
        r"'''(?:\\.|[^\\])*?'''",
        r'"(?:\\.|[^"\\\n])*"',
        r"'(?:\\.|[^'\\\n])*'",
    )
)


def _without_strings(annotation: str) -> str:
    return re.sub(_STRING, "''", annotation, flags=re.DOTALL)


def _has_default(annotation: str) -> bool:
    """Whether `annotation = default` (an `=` outside brackets; strings already blanked)."""
    depth = 0
    for index, char in enumerate(annotation):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "=" and depth == 0 and annotation[index + 1 : index + 2] != "=":
            return True
    return False
