"""Run the house rules over a contract: severities from settings, suppressions, `file:line` locations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specfirst.errors import Location
from specfirst.lint import rules as _rules  # noqa: F401  (registers the rules)
from specfirst.lint import suppress
from specfirst.lint.model import RULES, Finding, LintContext, Severity
from specfirst.lint.settings import LintSettings
from specfirst.loader import Contract


def lint_document(
    document: dict[str, Any],
    settings: LintSettings | None = None,
    *,
    has_suppressions: bool = True,
    contract: Contract | None = None,
) -> list[Finding]:
    """Findings for a bundled document, in rule order then document order. Findings point into the
    document (no location yet), except those about other files, which come located."""
    settings = settings or LintSettings()
    ctx = LintContext(
        document, settings.options, has_suppressions=has_suppressions, contract=contract
    )
    findings: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for rule in RULES.values():
        severity = settings.severity(rule)
        if severity is Severity.OFF:
            continue
        for finding in rule.check(ctx):
            key = (finding.rule, finding.pointer, finding.message)
            if key in seen:
                continue
            bundled = finding.location is None  # located findings checked their own file
            if bundled and has_suppressions and suppress.is_suppressed(document, finding):
                continue
            seen.add(key)
            findings.append(finding.at(severity, finding.location))
    return findings


def lint_contract(contract: Contract, settings: LintSettings | None = None) -> list[Finding]:
    """Findings with `file:line` of the source file each one points into, sorted by place."""
    has_suppressions = any(suppress.KEY.encode() in s.raw for s in contract.sources.values())
    findings = lint_document(
        contract.document, settings, has_suppressions=has_suppressions, contract=contract
    )
    located = [f if f.location else f.at(f.severity, contract.locate(f.pointer)) for f in findings]
    return sorted(located, key=_place)


def _place(finding: Finding) -> tuple[str, int, int, str]:
    location = finding.location or Location(file=Path(""), line=0, column=0)
    return (str(location.file), location.line, location.column, finding.rule)
