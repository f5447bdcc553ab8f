"""The Tasks contract itself: it passes the house rules and its examples obey its schemas.

Examples are what reviewers and `/docs` users read first; one that the schema rejects would
teach clients a request the server refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from specfirst.loader import load_contract

CONTRACT = Path(__file__).resolve().parents[2] / "specs" / "tasks" / "openapi.yaml"
BASE = "urn:tasks-contract"
METHODS = ("get", "put", "post", "delete", "patch")


def _document() -> dict[str, Any]:
    return load_contract(CONTRACT).document


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for token in node["$ref"].removeprefix("#/").split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(where, JSON pointer of the schema, example value) for every example in the contract."""
    for path, item in document["paths"].items():
        escaped = path.replace("~", "~0").replace("/", "~1")
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            op_ptr = f"/paths/{escaped}/{method}"
            media_sets: list[tuple[str, dict[str, Any]]] = []
            body = _resolve(document, operation.get("requestBody"))
            if body:
                media_sets.append((f"{op_ptr}/requestBody", body["content"]))
            for status, response in operation["responses"].items():
                resolved = _resolve(document, response)
                if "content" in resolved:
                    media_sets.append((f"{op_ptr}/responses/{status}", resolved["content"]))
            for where, content in media_sets:
                for media_type, media in content.items():
                    key = media_type.replace("/", "~1")
                    schema_ptr = f"{where}/content/{key}/schema"
                    if "$ref" in media["schema"]:
                        schema_ptr = media["schema"]["$ref"].removeprefix("#")
                    if "example" in media:
                        yield f"{where} {media_type}", schema_ptr, media["example"]
                    for name, example in media.get("examples", {}).items():
                        value = _resolve(document, example)["value"]
                        yield f"{where} {media_type} {name}", schema_ptr, value
    for name, schema in document["components"]["schemas"].items():
        for index, value in enumerate(schema.get("examples", [])):
            yield f"schema {name} example {index}", f"/components/schemas/{name}", value


DOCUMENT = _document()
CASES = list(_examples(DOCUMENT))


def test_contract_has_examples_for_every_operation() -> None:
    operations = {
        (path, method)
        for path, item in DOCUMENT["paths"].items()
        for method in METHODS
        if method in item
    }
    assert len(operations) == 16
    covered = {
        where.split(" ")[0].rsplit("/responses", 1)[0]
        for where, _, _ in CASES
        if where.startswith("/paths/")
    }
    covered = {c.rsplit("/requestBody", 1)[0] for c in covered}
    assert len(covered) == len(operations)


@pytest.mark.parametrize(("where", "pointer", "value"), CASES, ids=[c[0] for c in CASES])
def test_example_matches_its_schema(where: str, pointer: str, value: Any) -> None:
    registry: Registry[Any] = Registry().with_resource(
        BASE, Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
    )
    validator = OAS31Validator(
        {"$ref": f"{BASE}#{pointer}"}, registry=registry, format_checker=oas31_format_checker
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]
    assert errors == [], where


def test_contract_passes_house_rules() -> None:
    from specfirst.cli import main

    assert main(["lint", str(CONTRACT)]) == 0
