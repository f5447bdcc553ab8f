"""The meta-schemas validation checks against, read from the libraries' own files.

Importing openapi-spec-validator, openapi-schema-validator or jsonschema-specifications to get at
them costs about 0.3 s (jsonschema-path brings requests, openapi-schema-validator pydantic-settings,
jsonschema-specifications crawls a registry); a valid contract needs none of their code, only
these JSON files and jsonschema-rs. So the files are found with `importlib.util.find_spec`, which
locates a package without running it, and read as JSON. `tests/validate/test_fast_imports.py`
checks that each one equals what the library itself uses.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

# `openapi_schema_validator.OAS31_BASE_DIALECT_ID` (checked equal by the tests).
OAS31_BASE_DIALECT_ID = "https://spec.openapis.org/oas/3.1/dialect/base"
OAS31_PREFIX = "https://spec.openapis.org/oas/3.1/"


def package_folder(package: str) -> Path:
    """Where an installed top-level package lives, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"No module named {package!r}", name=package)
    return Path(next(iter(spec.submodule_search_locations)))


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def openapi_schema(version: str) -> dict[str, Any]:
    """`openapi_spec_validator.schemas.utils.get_schema_content(version)`: the OpenAPI 3.0 / 3.1
    document schema."""
    folder = package_folder("openapi_spec_validator") / "resources" / "schemas"
    content: dict[str, Any] = _read(folder / f"v{version}" / "schema.json")
    return content


@cache
def draft4_metaschema() -> dict[str, Any]:
    """`OAS30Validator.META_SCHEMA`: the draft 4 meta-schema (a 3.0 Schema Object's dialect)."""
    folder = package_folder("jsonschema_specifications") / "schemas" / "draft4"
    content: dict[str, Any] = _read(folder / "metaschema.json")
    return content


@cache
def oas31_resources() -> tuple[tuple[str, Any], ...]:
    """(id, contents) of openapi-schema-validator's OpenAPI 3.1 dialect and vocabulary files, as
    its `REGISTRY` holds them under `OAS31_PREFIX`, sorted by id."""
    found: dict[str, Any] = {}
    for path in sorted((package_folder("openapi_schema_validator") / "schemas").rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        contents = _read(path)
        resource_id = contents.get("$id") if isinstance(contents, dict) else None
        if isinstance(resource_id, str) and resource_id.startswith(OAS31_PREFIX):
            found[resource_id] = contents
    return tuple(sorted(found.items()))


@cache
def oas31_metaschema() -> dict[str, Any]:
    """`OAS31Validator.META_SCHEMA`: the OpenAPI 3.1 base dialect."""
    content: dict[str, Any] = dict(oas31_resources())[OAS31_BASE_DIALECT_ID]
    return content
