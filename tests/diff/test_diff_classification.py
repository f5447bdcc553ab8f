"""The classification rules, one fixture pair each, with the look-alike that classifies differently.

A case gives `base` and `head` as partial documents, and/or `request` / `response` schemas that the
harness places in `POST /items` (JSON request body) and `GET /items` (200 JSON response).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from specfirst.diff import ContractDiff, Level

CASES = Path(__file__).parent / "fixtures" / "cases"


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def build(case: dict[str, Any], side: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": case.get("openapi", "3.1.0"),
        "info": {"title": "fixture", "version": "1.0.0"},
        "paths": {},
    }
    _merge(document, case.get(side) or {})
    if "request" in case:
        body = {"application/json": {"schema": case["request"][side]}}
        document["paths"].setdefault("/items", {})["post"] = {
            "requestBody": {"required": True, "content": body},
            "responses": {"204": {"description": "done"}},
        }
    if "response" in case:
        content = {"application/json": {"schema": case["response"][side]}}
        document["paths"].setdefault("/items", {})["get"] = {
            "responses": {"200": {"description": "ok", "content": content}}
        }
    return document


def _cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


@pytest.mark.parametrize("case", _cases())
def test_classification(case: dict[str, Any]) -> None:
    result = ContractDiff(build(case, "base"), build(case, "head")).run()
    found = sorted((c.code, c.level.value) for c in result.changes)
    assert found == sorted(tuple(pair) for pair in case["expect"]), [
        c.message for c in result.changes
    ]


def test_identical_documents_have_no_changes() -> None:
    case = {"request": {"base": {"type": "object"}, "head": {"type": "object"}}}
    assert ContractDiff(build(case, "base"), build(case, "head")).run().changes == []


def test_a_shared_component_change_names_every_operation_that_uses_it() -> None:
    def document(max_length: int) -> dict[str, Any]:
        ref = {"$ref": "#/components/schemas/Item"}
        ok = {"description": "ok", "content": {"application/json": {"schema": ref}}}
        return {
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1.0.0"},
            "paths": {
                "/a": {"get": {"responses": {"200": ok}}},
                "/b": {"get": {"responses": {"200": ok}}},
                "/c": {
                    "post": {
                        "requestBody": {"content": {"application/json": {"schema": ref}}},
                        "responses": {"204": {"description": "ok"}},
                    }
                },
            },
            "components": {
                "schemas": {
                    "Item": {
                        "type": "object",
                        "properties": {"name": {"type": "string", "maxLength": max_length}},
                    }
                }
            },
        }

    changes = ContractDiff(document(100), document(50)).run().changes
    by_code = {c.code: c for c in changes}
    request = by_code["request-constraint-narrowed"]
    assert request.level is Level.BREAKING
    assert request.operations == {"POST /c"}
    assert request.message == "Item.name in requests: maxLength lowered from 100 to 50"
    assert request.base == request.head == "/components/schemas/Item/properties/name"
    response = by_code["response-constraint-narrowed"]
    assert response.level is Level.NON_BREAKING
    assert response.operations == {"GET /a", "GET /b"}


def test_every_fixture_case_has_a_distinct_name() -> None:
    names = [p.id for p in _cases()]
    assert len(names) == len(set(names))
