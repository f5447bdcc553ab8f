"""Lint settings from `[tool.specfirst.lint]`: per-rule severities and rule options.

```toml
[tool.specfirst.lint.rules]
operation-summary = "warning"   # error | warning | off
unused-component = "off"

[tool.specfirst.lint.options]
limit-parameters = ["limit", "per_page"]
```

Unknown rule ids, severities or options are errors: a typo must not silently disable a check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from specfirst.config import ConfigError
from specfirst.lint.model import RULES, Rule, Severity

OPTIONS = frozenset({"limit-parameters", "page-parameters", "list-envelopes", "write-methods"})


@dataclass(frozen=True)
class LintSettings:
    severities: Mapping[str, Severity] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    def severity(self, rule: Rule) -> Severity:
        return self.severities.get(rule.id, rule.severity)

    def with_overrides(self, overrides: Iterable[str]) -> LintSettings:
        """Apply command-line `RULE=SEVERITY` overrides on top of the file's settings."""
        severities = dict(self.severities)
        for item in overrides:
            rule_id, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"--rule expects RULE=SEVERITY, got {item!r}")
            severities[_rule_id(rule_id.strip(), "--rule")] = _severity(value.strip(), "--rule")
        return LintSettings(severities, self.options)


def _rule_id(rule_id: str, where: str) -> str:
    if rule_id not in RULES:
        raise ConfigError(
            f"{where}: unknown lint rule {rule_id!r} (known: {', '.join(sorted(RULES))})"
        )
    return rule_id


def _severity(value: object, where: str) -> Severity:
    try:
        return Severity(str(value).lower())
    except ValueError:
        raise ConfigError(
            f"{where}: severity must be error, warning or off, got {value!r}"
        ) from None


def settings_from_table(table: Mapping[str, Any]) -> LintSettings:
    """Read the `[tool.specfirst.lint]` table (already parsed from pyproject.toml)."""
    where = "[tool.specfirst.lint]"
    unknown = set(table) - {"rules", "options"}
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} (use rules, options)"
        )
    rules = table.get("rules", {})
    options = table.get("options", {})
    if not isinstance(rules, dict) or not isinstance(options, dict):
        raise ConfigError(f"{where}: rules and options must be tables")
    severities = {
        _rule_id(rule_id, f"{where}.rules"): _severity(value, f"{where}.rules.{rule_id}")
        for rule_id, value in rules.items()
    }
    for name, value in options.items():
        if name not in OPTIONS:
            raise ConfigError(
                f"{where}.options: unknown option {name!r} (known: {', '.join(sorted(OPTIONS))})"
            )
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}.options.{name} must be a list of strings")
    return LintSettings(severities, dict(options))
