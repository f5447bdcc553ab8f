"""`specfirst lint`: house rules on top of OpenAPI validity, each with a stable id and `file:line`.

`lint_contract(contract, settings)` returns the findings; `specfirst.commands.lint` is the CLI.
"""

from specfirst.lint.engine import lint_contract, lint_document
from specfirst.lint.model import RULES, Finding, Rule, Severity
from specfirst.lint.settings import LintSettings, settings_from_table

__all__ = [
    "RULES",
    "Finding",
    "LintSettings",
    "Rule",
    "Severity",
    "lint_contract",
    "lint_document",
    "settings_from_table",
]
