"""What lets a valid contract be validated without importing the pure-Python validators: the
meta-schemas read from the libraries' files are the ones the libraries use, the regex check is
theirs, the jsonschema-rs scan finds what a Python walk finds, and a valid contract whose
defaults are cached imports none of them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from specfirst.errors import ContractLoadError
from specfirst.loader import load_contract
from specfirst.validation import metaschemas, schema_checks
from specfirst.validation.scan import python_scan, scan

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parents[2]


def test_the_meta_schemas_are_the_libraries_own() -> None:
    from openapi_schema_validator import OAS31_BASE_DIALECT_ID
    from openapi_schema_validator._specifications import REGISTRY
    from openapi_schema_validator.validators import OAS30Validator, OAS31Validator
    from openapi_spec_validator.schemas.utils import get_schema_content

    assert metaschemas.OAS31_BASE_DIALECT_ID == OAS31_BASE_DIALECT_ID
    assert metaschemas.draft4_metaschema() == OAS30Validator.META_SCHEMA
    assert metaschemas.oas31_metaschema() == OAS31Validator.META_SCHEMA
    library = sorted(
        (uri, REGISTRY.contents(uri))
        for uri in REGISTRY
        if uri.startswith(metaschemas.OAS31_PREFIX)
    )
    assert list(metaschemas.oas31_resources()) == library
    assert len(library) >= 2
    for version in ("3.0", "3.1"):
        assert metaschemas.openapi_schema(version) == dict(get_schema_content(version))


@pytest.mark.parametrize(
    "pattern", ["^[a-z]+$", "(unclosed", r"\d{2,}", "[", "(?P<x>a)(?P=x)", r"\p{L}", "a{2,1}", ""]
)
def test_the_regex_check_is_the_librarys(pattern: str) -> None:
    from openapi_schema_validator._regex import is_valid_regex

    assert schema_checks.is_valid_regex(pattern) == is_valid_regex(pattern)


def _documents() -> list[Path]:
    return sorted(
        p
        for p in FIXTURES.rglob("*")
        if p.suffix in {".yaml", ".json"} and p.name != "schemas.yaml"
    )


# The fixtures that are not a document at all (the scan has nothing to read there).
UNLOADABLE = frozenset({"yaml_syntax.yaml"})


@pytest.mark.parametrize("path", _documents(), ids=lambda p: p.name)
def test_the_scan_finds_what_a_python_walk_finds(path: Path) -> None:
    if path.name in UNLOADABLE:
        with pytest.raises(ContractLoadError):
            load_contract(path)
        return
    document = load_contract(path).document
    assert scan(document) == python_scan(document)


def test_the_scan_reaches_refs_and_patterns_anywhere() -> None:
    document: dict[str, Any] = {
        "a": [{"$ref": "#/one", "pattern": "p1"}, [[{"x": {"$ref": "#/two"}}]]],
        "$ref": {"$ref": "#/three", "pattern": {"pattern": "p2"}},
        "patternProperties": {"k1": {"$ref": 4}, "k2": {"patternProperties": {"k3": {}}}},
        "pattern": ["not a string", {"pattern": "p3"}],
        "example": {"$ref": "#/four"},
    }
    found = scan(document)
    assert found == python_scan(document)
    assert found.refs == {"#/one", "#/two", "#/three", "#/four"}
    assert found.patterns == {"p1", "p2", "p3", "k1", "k2", "k3"}


def test_a_valid_contract_with_cached_defaults_imports_no_python_validator(
    tmp_path: Path,
) -> None:
    contract = FIXTURES / "valid30" / "openapi.yaml"
    document = load_contract(contract).document
    assert "default" in json.dumps(document)  # there is a default to judge
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from specfirst.loader import load_contract
        from specfirst.validation import validate_contract
        contract = load_contract({str(contract)!r})
        assert validate_contract(contract, Path({str(tmp_path)!r})) == []
        heavy = ("jsonschema", "jsonschema_path", "openapi_spec_validator",
                 "openapi_schema_validator", "referencing", "jsonschema_specifications")
        print(sorted(m for m in heavy if m in sys.modules))
        """
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.strip()
        for _ in range(2)
    ]
    assert runs[0] != "[]"  # the first run asked the library about the defaults
    assert runs[1] == "[]"  # the second had every verdict cached
