"""Pydantic models for a contract's schemas, made by datamodel-code-generator, fast and correct.

The main path is `driver.generate_models`: the planned models document (`schemas.ModelPlan`) is
split into parts (`parts`), each part is run through datamodel-code-generator (`driver`, in
worker processes: `worker`) or taken from the cache, the parts' modules are linked into one
(`join`), and our own passes repair what datamodel-code-generator's options cannot do
(`driver.unmark`, `driver.strict_temporal_imports`, `driver.enums_before_defaults`).
"""

from specfirst.generator.pydantic_models.driver import ModelGenerationError, generate_models

__all__ = ["ModelGenerationError", "generate_models"]
