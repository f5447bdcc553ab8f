"""The model plan reads readOnly/writeOnly and `$ref`s off each schema's JSON text
(`schemas._scanned`): it must find exactly what a walk over the data finds (`schemas._walked`),
whatever strings hold, and the plan must name classes as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from specfirst.errors import ContractLoadError
from specfirst.generator.schemas import (
    COMPONENT_MARK,
    ModelPlan,
    _read_write_and_refs,
    _scanned,
    _walked,
    splitting_components,
)
from specfirst.loader import load_contract
from specfirst.openapi import components

ROOT = Path(__file__).parents[2]

TRICKY: list[Any] = [
    {"readOnly": True},
    {"readOnly": "true"},
    {"writeOnly": False, "x": {"writeOnly": True}},
    {"description": '"readOnly": true, "$ref": "#/components/schemas/Fake"'},
    {"description": "ends in a backslash \\", "readOnly": True},
    {'x"readOnly': True, 'x"$ref': "#/components/schemas/NotThis"},
    {"enum": [{"readOnly": True}], "examples": [[{"$ref": "#/components/schemas/InList"}]]},
    {"$ref": "#/components/schemas/Pet"},
    {"$ref": "#/components/schemas/Pet/properties/name"},
    {"$ref": "#/components/schemas/a~1b~0c"},
    {"$ref": '#/components/schemas/caf\u00e9 "quoted" \\ back'},
    {"$ref": "#/components/schemas/with%20space"},
    {"$ref": "#/components/responses/NotASchema"},
    {"$ref": "other.yaml#/components/schemas/Elsewhere"},
    {"$ref": 5, "properties": {"$ref": {"type": "string"}}},
    {"allOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]},
    {"properties": {"readOnly": {"type": "boolean", "default": True}}},
    ["readOnly", True, {"readOnly": True}],
    '"readOnly": true',
    {},
]


@pytest.mark.parametrize("schema", TRICKY, ids=range(len(TRICKY)))
def test_the_text_scan_finds_what_a_walk_finds(schema: Any) -> None:
    assert _scanned(json.dumps(schema)) == _walked(schema)
    assert _read_write_and_refs(schema) == _walked(schema)


def test_the_scan_sees_through_strings_and_escaped_keys() -> None:
    # Not trivially equal: these are the answers a walk gives.
    assert _scanned(json.dumps(TRICKY[3])) == (False, set())
    assert _scanned(json.dumps(TRICKY[5])) == (False, set())
    assert _scanned(json.dumps(TRICKY[6])) == (True, {"InList"})
    assert _scanned(json.dumps(TRICKY[10])) == (False, {'caf\u00e9 "quoted" \\ back'})
    assert _scanned(json.dumps(TRICKY[11])) == (False, {"with space"})


def test_data_that_is_no_json_is_walked() -> None:
    schema = {"x": {"readOnly": True}, "y": {1, 2}}  # a set: json.dumps refuses it
    assert _read_write_and_refs(schema) == (True, set())


def test_splitting_with_or_without_texts_agrees() -> None:
    schemas = {
        "A": {"properties": {"id": {"readOnly": True}}},
        "B": {"properties": {"a": {"$ref": "#/components/schemas/A"}}},
        "C": {"items": {"$ref": "#/components/schemas/B"}},
        "D": {"description": '"readOnly": true'},
    }
    texts = {name: json.dumps(schema) for name, schema in schemas.items()}
    assert splitting_components(schemas) == {"A", "B", "C"}
    assert splitting_components(schemas, texts) == {"A", "B", "C"}


@pytest.mark.parametrize(
    ("schemas", "mark"),
    [
        ({"Pet": {"type": "object"}}, COMPONENT_MARK),
        ({"Pet": {"description": f"see {COMPONENT_MARK}Pet"}}, ""),
        ({f"{COMPONENT_MARK}Pet": {"type": "object"}}, ""),
        ({"Pet": {"enum": [[f"x{COMPONENT_MARK}"]]}}, ""),
    ],
)
def test_the_mark_is_dropped_when_the_contract_spells_it(schemas: Any, mark: str) -> None:
    plan = ModelPlan()
    plan.name_components(schemas)
    assert plan.mark == mark


@pytest.mark.parametrize(
    "contract",
    sorted((ROOT / "tests" / "golden").rglob("*.yaml")) + sorted((ROOT / "specs").rglob("*.yaml")),
    ids=lambda path: path.name,
)
def test_every_fixture_schema_scans_as_it_walks(contract: Path) -> None:
    try:
        document = load_contract(contract).document
    except ContractLoadError:  # fixtures that are meant not to load
        pytest.skip("does not load")
    for schema in components(document, "schemas").values():
        assert _scanned(json.dumps(schema)) == _walked(schema)
