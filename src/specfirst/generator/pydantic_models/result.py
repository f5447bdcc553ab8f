"""What the models stage hands the view builder: the module, and which classes it defines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from specfirst.generator.pydantic_models.join import DEFINITION

Context = Literal["request", "response"]
# `DEFINITION` after a newline: led by a literal, the search jumps from newline to newline
# (7 ms instead of 16 on GitHub's 3.6 MB models.py, on every schema edit's way to formatting).
_AFTER_A_NEWLINE = re.compile(r"\n(?:class (\w+)\b|(\w+) = )")


@dataclass(frozen=True)
class ModelsModule:
    """The generated `models.py` and the names it defines, so that no later stage reads the
    source to learn them.

    Interface for the view builder:
    - `source`: the module's text, header included;
    - `classes`: every top-level class and type alias it defines;
    - `class_for(base, context, splits)`: the class a schema's planned name (`ModelPlan`'s
      class name of a component or hoisted schema) stands for in a request body or a
      response, `Pet` or its `PetRequest`/`PetResponse` variant where readOnly/writeOnly split
      it (`splits`: the name is one of `ModelPlan.families`). Raises `LookupError` when none
      was generated.
    """

    source: str
    classes: frozenset[str]

    @classmethod
    def from_source(cls, source: str) -> ModelsModule:
        """The definitions of a module in datamodel-code-generator's layout (the one `join`
        relies on: top-level `class X` and `X = ...` lines)."""
        names = {a or b for a, b in _AFTER_A_NEWLINE.findall(source)}
        if (first := DEFINITION.match(source)) is not None:
            names.add(first.group(1) or first.group(2))
        return cls(source, frozenset(names))

    def class_for(self, base: str, context: Context, splits: bool) -> str:
        variant = base + ("Request" if context == "request" else "Response")
        if splits and variant in self.classes:
            return variant
        if base in self.classes:
            return base
        if variant in self.classes:
            return variant
        raise LookupError(f"model class {base!r} was not generated")
