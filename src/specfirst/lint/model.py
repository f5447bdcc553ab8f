"""What lint works with: rules (id, default severity, summary), findings, and the rule context."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from specfirst.errors import Location
from specfirst.loader import Contract
from specfirst.openapi import Operation, iter_operations


class Severity(StrEnum):
    """How much a finding matters: errors fail the run, warnings are shown, `off` rules do not run."""

    ERROR = "error"
    WARNING = "warning"
    OFF = "off"


@dataclass(frozen=True)
class Finding:
    """One rule broken at one place. `pointer` is a JSON pointer into the bundled document."""

    rule: str
    message: str
    pointer: str
    severity: Severity = Severity.ERROR
    location: Location | None = None

    def at(self, severity: Severity, location: Location | None) -> Finding:
        return Finding(self.rule, self.message, self.pointer, severity, location)


@dataclass
class LintContext:
    """What a rule may look at: the document and the options of `[tool.specfirst.lint.options]`."""

    document: dict[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)
    has_suppressions: bool = True  # False when the source text has no `x-lint-ignore` (skip a walk)
    contract: Contract | None = None  # the source files, for rules that look beyond the bundle

    @cached_property
    def operations(self) -> list[Operation]:
        return list(iter_operations(self.document))

    def option_list(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.options.get(name)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        return default


Check = Callable[[LintContext], Iterator[Finding]]


@dataclass(frozen=True)
class Rule:
    """A house rule: a stable id (used in config and suppressions), its default severity, and why."""

    id: str
    severity: Severity
    summary: str
    check: Check


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: Severity, summary: str) -> Callable[[Check], Check]:
    """Register `check` under `rule_id`; the id is part of the public interface, never rename it."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"duplicate lint rule id {rule_id}")
        RULES[rule_id] = Rule(rule_id, severity, summary, check)
        return check

    return register
