"""specfirst reports exactly the errors plain openapi-spec-validator reports, errors in shared
components included (each component is checked once, however often it is referenced).

The reference is the library itself, run the slow way on the same bundled document with its
pure-Python `jsonschema` backend chosen explicitly (its readable messages are the ones we keep).
"""

from __future__ import annotations

import ast
import copy
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator.schemas import schema_v30, schema_v31
from openapi_spec_validator.schemas.backend.jsonschema import create_validator
from openapi_spec_validator.validation import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from specfirst.loader import load_contract
from specfirst.validation import structure
from specfirst.validation.core import find_problems
from specfirst.validation.messages import one_line, readable

FIXTURES = Path(__file__).parent / "fixtures"
LOADABLE = [
    "valid30/openapi.yaml",
    "valid31/openapi.yaml",
    "missing_version.yaml",
    "duplicate_operation_id.yaml",
    "undeclared_path_parameter.yaml",
    "referenced_errors/openapi.yaml",
    "shared_components.yaml",
    "shared_components_31.yaml",
]


class _Reference30(OpenAPIV30SpecValidator):
    schema_validator = create_validator(schema_v30)


class _Reference31(OpenAPIV31SpecValidator):
    schema_validator = create_validator(schema_v31)


def normalise(message: str) -> str:
    message = one_line(message)
    listed = re.fullmatch(r"Required list has not defined properties: (\[.*\])", message)
    if listed:  # the library lists a set: its order varies from run to run
        names = sorted(ast.literal_eval(listed.group(1)), key=str)
        message = f"Required list has not defined properties: {names}"
    return message


def library_errors(document: dict[str, Any], base_uri: str) -> Counter[str]:
    cls = _Reference31 if str(document["openapi"]).startswith("3.1") else _Reference30
    errors = cls(document, base_uri=base_uri).iter_errors()
    return Counter(normalise(one_line(e.message, e.instance)) for e in errors)


@pytest.mark.parametrize("fixture", LOADABLE)
def test_same_errors_as_openapi_spec_validator(fixture: str) -> None:
    contract = load_contract(FIXTURES / fixture)
    base_uri = contract.path.resolve().as_uri()

    ours = Counter(normalise(f.raw) for f in find_problems(contract.document, base_uri))

    assert ours == library_errors(contract.document, base_uri)


def test_shared_component_errors_are_reported_once() -> None:
    contract = load_contract(FIXTURES / "shared_components.yaml")

    findings = find_problems(contract.document, contract.path.resolve().as_uri())

    defaults = [f for f in findings if f.pointer.endswith("/age/default")]
    assert len(defaults) == 1  # Pet is referenced from three operations


@pytest.mark.parametrize(
    "fixture", ["shared_components.yaml", "missing_version.yaml", "referenced_errors/openapi.yaml"]
)
def test_meta_schema_errors_of_failing_subtrees_equal_the_whole_document_errors(
    fixture: str,
) -> None:
    contract = load_contract(FIXTURES / fixture)
    document = copy.deepcopy(contract.document)
    document["paths"]["/extra"] = {"get": {"responses": {"200": {"content": 3}}}}
    document["components"] = {"schemas": {"Bad": {"type": "strin", "nullable": "yes"}}}
    fast = structure._fast_validator("3.0")

    localised = structure._localised_errors(document, "3.0", fast)
    whole = structure._python_validator("3.0").iter_errors(document)

    assert localised is not None
    assert sorted(readable(localised)) == sorted(readable(whole))


def test_errors_at_the_root_fall_back_to_the_whole_document() -> None:
    document = {"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": {}, "bad": 1}

    assert structure._localised_errors(document, "3.0", structure._fast_validator("3.0")) is None
    assert [f.pointer for f in structure.structure_findings(document, "3.0")] == [""]
