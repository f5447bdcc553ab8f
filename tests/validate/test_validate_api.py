"""`validate_contract`: the issues the generator consumes, located where they were written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specfirst.errors import Location
from specfirst.loader import load_contract
from specfirst.validation import ValidationIssue, validate_contract
from specfirst.validation.core import find_problems

FIXTURES = Path(__file__).parent / "fixtures"


def where(issue: ValidationIssue) -> tuple[str, int, str]:
    return issue.location.file.name, issue.location.line, issue.pointer


def test_issue_str_is_file_line_column_pointer_message() -> None:
    issue = ValidationIssue(
        "/info", "'version' is a required property", Location(Path("a.yaml"), 2, 1)
    )

    assert str(issue) == "a.yaml:2:1: /info: 'version' is a required property"
    assert str(ValidationIssue("", "bad", Location(Path("a.yaml"), 1, 1))) == "a.yaml:1:1: /: bad"


def test_errors_inside_referenced_files_point_into_those_files() -> None:
    issues = validate_contract(load_contract(FIXTURES / "referenced_errors/openapi.yaml"))

    assert [where(i) for i in issues] == [
        ("parameters.yaml", 7, "/components/parameters/Limit/schema/default"),
        ("schemas.yaml", 9, "/components/schemas/Pet/properties/age/default"),
        ("schemas.yaml", 15, "/components/schemas/Owner/required"),
    ]
    assert issues[0].message == "default value: 'many' is not of type 'integer'"
    assert issues[2].message == "Required list has not defined properties: ['email']"


def test_every_error_is_reported_once_with_its_own_pointer() -> None:
    issues = validate_contract(load_contract(FIXTURES / "shared_components.yaml"))

    assert sorted({i.pointer for i in issues}) == [
        "/components/schemas/Limit/default",
        "/components/schemas/Named/properties/name/minLength",
        "/components/schemas/Pet/allOf/1/properties/age/default",
        "/components/schemas/Pet/allOf/1/properties/nick/pattern",
        "/components/schemas/Wrong/properties/bad/type",
        "/paths/~1pets/parameters/1",
        "/paths/~1pets~1{petId}/get",
        "/paths/~1pets~1{petId}/get/parameters/0",
        "/tags",
        "/tags/1/name",
    ]
    assert len(issues) == len({(i.pointer, i.message) for i in issues})
    assert all("\n" not in i.message for i in issues)


def test_issues_are_sorted_by_file_and_line() -> None:
    issues = validate_contract(load_contract(FIXTURES / "shared_components.yaml"))

    keys = [(str(i.location.file), i.location.line, i.location.column) for i in issues]
    assert keys == sorted(keys)


def test_messages_do_not_depend_on_the_library_backend_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contract = load_contract(FIXTURES / "shared_components_31.yaml")
    default = validate_contract(contract)
    monkeypatch.setenv("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema-rs")

    assert validate_contract(contract) == default


def test_one_of_errors_name_the_specific_problem() -> None:
    issues = validate_contract(load_contract(FIXTURES / "shared_components_31.yaml"))

    wrong = [i for i in issues if i.pointer == "/components/schemas/Wrong/type"]
    assert [i.message for i in wrong] == [
        "'strin' is not one of ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string']"
    ]


@pytest.mark.parametrize(
    ("openapi", "pointer", "message"),
    [
        (None, "", "'openapi' is a required property"),
        ("2.0", "/openapi", "unsupported OpenAPI version '2.0'"),
        (3.1, "/openapi", "'openapi' must be a string such as \"3.1.0\""),
    ],
)
def test_unsupported_or_missing_version(
    openapi: str | float | None, pointer: str, message: str
) -> None:
    document: dict[str, Any] = {"info": {"title": "x", "version": "1"}, "paths": {}}
    if openapi is not None:
        document["openapi"] = openapi

    [finding] = find_problems(document)

    assert finding.pointer == pointer
    assert finding.message.startswith(message)


def test_circular_and_dangling_local_refs_are_reported_at_the_ref() -> None:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "x", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "A": {"$ref": "#/components/schemas/B"},
                "B": {"$ref": "#/components/schemas/A"},
                "C": {"type": "object", "properties": {"d": {"$ref": "#/components/schemas/D"}}},
                "E": {"type": "object", "example": {"$ref": "#/not/a/reference"}},
                "F": {
                    "type": "object",
                    "properties": {"a": {"$ref": "#/components/schemas/Missing"}},
                    "default": {"a": 1},
                },
            }
        },
    }

    found = {(f.pointer, f.message) for f in find_problems(document)}

    assert found == {
        ("/components/schemas/A/$ref", "circular $ref: #/components/schemas/B"),
        ("/components/schemas/B/$ref", "circular $ref: #/components/schemas/A"),
        (
            "/components/schemas/C/properties/d/$ref",
            "$ref target not found: #/components/schemas/D",
        ),
        (
            "/components/schemas/F/properties/a/$ref",
            "$ref target not found: #/components/schemas/Missing",
        ),
    }


def test_json_contract_positions_survive_surrogate_escapes() -> None:
    issues = validate_contract(load_contract(FIXTURES / "emoji.json"))

    assert [(where(i), i.location.column) for i in issues] == [
        (("emoji.json", 13, "/paths/~1b/get/operationId"), 9)
    ]
    assert issues[0].message.endswith("(first used at " + str(issues[0].location.file) + ":7:9)")
