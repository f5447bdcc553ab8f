"""What the models stage hands the view builder: the module, and which classes it defines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from specfirst.generator.pydantic_models.join import DEFINITION

Context = Literal["request", "response"]


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
        return cls(source, frozenset(a or b for a, b in DEFINITION.findall(source)))

    def class_for(self, base: str, context: Context, splits: bool) -> str:
        variant = base + ("Request" if context == "request" else "Response")
        if splits and variant in self.classes:
            return variant
        if base in self.classes:
            return base
        if variant in self.classes:
            return variant
        raise LookupError(f"model class {base!r} was not generated")
