"""`plan_models` given the component texts the models stage dumped already (`component_texts`,
`ensure_ascii=False`) plans exactly what it plans dumping them itself."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from specfirst.generator.build import plan_models
from specfirst.generator.pydantic_models.document import component_texts
from specfirst.generator.schemas import COMPONENT_MARK
from specfirst.loader import load_contract

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
FIXTURES = [
    *sorted((HERE / "fixtures").glob("*.yaml")),
    *sorted((HERE / "fixtures" / "robustness").glob("*.yaml")),
    *sorted((ROOT / "tests" / "golden" / "fixtures").glob("*.yaml")),
    ROOT / "specs" / "tasks" / "openapi.yaml",
]


def _tricky() -> dict[str, Any]:
    """Non-ASCII text, a key that looks like a member, the mark spelled by the contract."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "Café": {
                    "type": "object",
                    "description": "naïve « quoted » \u2028 text",
                    "properties": {
                        'x"readOnly': {"type": "string"},
                        "id": {"type": "string", "readOnly": True},
                    },
                },
                "Uses": {"properties": {"c": {"$ref": "#/components/schemas/Caf\u00e9"}}},
                "Plain": {"type": "string", "x-note": '\u00e9\\"$ref": "#/x'},
            }
        },
    }


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_the_same_plan_from_the_dumped_texts(fixture: Path) -> None:
    try:
        document = load_contract(fixture).document
    except Exception:  # a fixture that does not load (robustness): nothing to plan
        pytest.skip("does not load")
    texts = component_texts(document)
    assert plan_models(document, texts) == plan_models(copy.deepcopy(document))


def test_the_same_plan_for_tricky_texts() -> None:
    document = _tricky()
    plan = plan_models(document, component_texts(document))
    assert plan == plan_models(copy.deepcopy(document))
    assert "Café" in plan.splitting
    assert "Uses" in plan.splitting
    assert plan.mark == COMPONENT_MARK
    document["components"]["schemas"]["Plain"]["description"] = f"é {COMPONENT_MARK}"
    plan = plan_models(document, component_texts(document))
    assert plan == plan_models(copy.deepcopy(document))
    assert plan.mark == ""
