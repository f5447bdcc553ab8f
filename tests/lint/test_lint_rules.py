"""Each house rule against its fixtures: cases that must be reported and look-alikes that must not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from specfirst.lint import RULES, lint_document

RULE_FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _cases() -> list[Any]:
    params = []
    for path in sorted(RULE_FIXTURES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            params.append(pytest.param(path.stem, case, id=f"{path.stem}: {case['name']}"))
    return params


@pytest.mark.parametrize(("rule_id", "case"), _cases())
def test_rule_case(rule_id: str, case: dict[str, Any]) -> None:
    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1.0.0"}, **case["document"]}
    found = [f.pointer for f in lint_document(document) if f.rule == rule_id]
    assert sorted(found) == sorted(case["expect"])


def test_every_rule_has_a_reported_and_a_clean_case() -> None:
    for rule_id in RULES:
        path = RULE_FIXTURES / f"{rule_id}.yaml"
        assert path.is_file(), f"no fixture for {rule_id}"
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
        assert any(c["expect"] for c in cases), f"{rule_id}: no case that is reported"
        assert any(not c["expect"] for c in cases), f"{rule_id}: no look-alike that passes"


def test_rule_ids_are_kebab_case_and_messages_are_one_line() -> None:
    for rule in RULES.values():
        assert rule.id == rule.id.lower()
        assert " " not in rule.id
        assert "\n" not in rule.summary
