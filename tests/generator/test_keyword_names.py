"""Properties named like schema keywords (`format`, `type`, `pattern`, `maxLength`, `enum`...).

Issue 13 regression: kubernetes' JSONSchemaProps and asana's CustomFieldBase have a property
named `format`; the string-keyword pass walks every mapping of the document, met the
`properties` map as if it were a schema and looked its `format` (a schema, a dict) up in a
frozenset: `datamodel-code-generator failed: unhashable type: 'dict'`. The fixture
(`fixtures/robustness/keyword_names.yaml`) also goes through test_robustness.py's checks
(valid, generates, imports, routes and serves every operation, no 500, mypy --strict).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from specfirst.generator.pipeline import stage_package
from specfirst.generator.string_keywords import EXTENSION, move_keywords
from specfirst.loader import load_contract

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
FIXTURE = HERE / "fixtures" / "robustness" / "keyword_names.yaml"
PACKAGE = "keyword_names_regression_api"


def test_a_properties_map_with_a_format_property_is_not_taken_for_a_schema() -> None:
    url = {"type": "string", "format": "uri", "maxLength": 30}
    properties = {"format": url, "type": {"type": "string"}, "maxLength": {"type": "integer"}}
    document = {"type": "object", "properties": properties}
    moved = move_keywords(document)
    assert set(moved["properties"]) == {"format", "type", "maxLength"}  # property names kept
    # the schema *named* format is still a special-format string: its keyword moves
    assert moved["properties"]["format"] == {
        "type": "string",
        "format": "uri",
        EXTENSION: {"max_length": 30},
    }
    assert moved["properties"]["type"] is properties["type"]
    assert document["properties"]["format"]["maxLength"] == 30  # the input is left as it was


def test_data_shaped_like_a_schema_is_left_as_it_is() -> None:
    """Only schema objects are rewritten: an example or default that looks like a special-format
    string schema is data, and keeps its keywords."""
    data = {"type": "string", "format": "uri", "maxLength": 30}
    document = {"type": "object", "example": data, "default": [data], "properties": {}}
    assert move_keywords(document) is document


class Echo:
    async def create_column(self, *, body: Any) -> Any:
        return body

    async def create_field(self, *, body: Any) -> Any:
        return body


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("keyword_names")
    cwd = Path.cwd()
    os.chdir(ROOT)  # generated headers name the contract relative to the working folder
    try:
        contract = load_contract(FIXTURE.relative_to(ROOT))
        stage_package(contract, PACKAGE, folder / PACKAGE).rename(folder / PACKAGE)
    finally:
        os.chdir(cwd)
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module(PACKAGE)
        with TestClient(module.create_app(default=Echo())) as test_client:
            yield test_client
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m.startswith(PACKAGE)]:
            del sys.modules[name]


def test_a_property_named_format_keeps_its_own_format_and_keywords(client: TestClient) -> None:
    column = {"name": "age", "format": "https://example.com/a", "type": "integer"}
    accepted = client.post("/columns", json=column)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["format"] == "https://example.com/a"
    too_long = client.post("/columns", json={**column, "format": "https://example.com/" + "a" * 11})
    assert too_long.status_code == 422, too_long.text  # maxLength 30 under format: uri
    not_a_url = client.post("/columns", json={**column, "format": "not a url"})
    assert not_a_url.status_code == 422, not_a_url.text
    wrong_type = client.post("/columns", json={**column, "type": "object"})
    assert wrong_type.status_code == 422, wrong_type.text  # the property named type is an enum


def test_a_format_property_inside_an_all_of_member_is_validated(client: TestClient) -> None:
    good = {"gid": "1", "format": "currency", "id": "0f6c1a52-3b3c-4f57-9a43-4f2a4c4a9e11"}
    assert client.post("/fields", json=good).status_code == 201
    assert client.post("/fields", json={**good, "format": "pounds"}).status_code == 422
    bad_id = {**good, "id": "1f6c1a52-3b3c-4f57-9a43-4f2a4c4a9e11"}  # pattern ^0 beside uuid
    assert client.post("/fields", json=bad_id).status_code == 422
