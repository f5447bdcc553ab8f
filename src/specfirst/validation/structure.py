"""The document against the OpenAPI meta-schema (openapi-spec-validator's own schema files).

jsonschema-rs answers "valid?" for a 13 MB document in milliseconds; only when it says no does the
pure-Python jsonschema validator run, because its errors carry `context` (for `best_match`) and
readable one-line messages. The Python validator is built exactly as openapi-spec-validator's
`jsonschema` backend builds it, so the errors are the ones the library reports with that backend,
whatever `OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND` says.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema_rs
from jsonschema.validators import validator_for  # type: ignore[import-untyped]
from openapi_spec_validator.schemas.utils import get_schema_content

from specfirst.validation.issues import Finding
from specfirst.validation.messages import readable


@cache
def _meta_schema(version: str) -> dict[str, Any]:
    return dict(get_schema_content(version))


@cache
def _python_validator(version: str) -> Any:
    meta = _meta_schema(version)
    return validator_for(meta)(meta)


@cache
def _fast_validator(version: str) -> Any:
    # Formats off: the library's jsonschema backend does not assert them either.
    return jsonschema_rs.validator_for(_meta_schema(version), validate_formats=False)


def structure_findings(document: dict[str, Any], version: str) -> list[Finding]:
    """Every meta-schema error of `document` (`version` is "3.0" or "3.1")."""
    fast = _fast_validator(version)
    if fast.is_valid(document):
        return []
    errors = _python_validator(version).iter_errors(document)
    return [Finding(pointer, message, raw) for pointer, message, raw in readable(errors)]
