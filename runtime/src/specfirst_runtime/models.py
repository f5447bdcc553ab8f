"""The base class of generated object models: wire names on the wire, Python names in Python.

A generated field is named in Python style and aliased to the contract's name
(`weight_kg: Annotated[float, Field(alias="weightKg")]`). What comes off the wire (FastAPI's
body validation, `model_validate`, `TypeAdapter`) is read by the contract's names only, exactly
as the contract spells them: `{"weight_kg": 1}` is not a `weightKg`, and where snake-casing made
a field's Python name another field's wire name (`fooBar` → `foo_bar` beside a wire `foo_bar`,
which becomes `foo_bar_1`) there is no doubt which one a key fills. A service constructs models by
the Python names (`PetResponse(weight_kg=4.2)`), which is what mypy's pydantic plugin checks (it
does not read aliases inside `Annotated`). Responses are written by alias (`responses._encode`).

Models are built on first use (`defer_build`), not at import: a generated `models.py` can hold
thousands of classes (GitHub's contract: about 4,000), and building every validator and
serializer at import costs about a second of CPU there. An app builds the models of a tag's
routes when it builds those routes (`specfirst_runtime.routing`), on the first request to one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["ContractModel"]


class ContractModel(BaseModel):
    """A generated object model (see the module's docstring)."""

    model_config = ConfigDict(defer_build=True)  # a subclass's own config is merged in

    def __init__(self, /, **data: Any) -> None:
        __tracebackhide__ = True
        self.__pydantic_validator__.validate_python(
            data, self_instance=self, by_alias=False, by_name=True
        )

    # Tells pydantic this is no custom `__init__` it must call on validation (as `RootModel`
    # does for its own), so data from the wire keeps being validated by alias only.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]
