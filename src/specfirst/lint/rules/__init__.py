"""The house rules. Importing this package registers every rule in `specfirst.lint.model.RULES`."""

from specfirst.lint.rules import (
    components,
    info,
    operations,
    pagination,
    parameters,
    request_bodies,
    responses,
)

__all__ = [
    "components",
    "info",
    "operations",
    "pagination",
    "parameters",
    "request_bodies",
    "responses",
]
