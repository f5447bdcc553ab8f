"""Contract validation: OpenAPI 3.0 / 3.1 checks with file:line locations for every error.

Public API: `validate_contract(contract) -> list[ValidationIssue]`.
"""

from specfirst.validation.core import validate_contract
from specfirst.validation.issues import ValidationIssue

__all__ = ["ValidationIssue", "validate_contract"]
