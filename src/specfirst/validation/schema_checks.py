"""Checks openapi-spec-validator runs on each Schema Object: its meta-schema, and its `default`.

The library checks every schema against the JSON Schema dialect in pure Python (about 1.5 ms each,
3 s on GitHub's contract). Here jsonschema-rs answers first; the library's own checker runs only
for a schema jsonschema-rs rejects, or one whose regular expressions Python's `re` (what the
library's `regex` format uses) refuses, since jsonschema-rs does not assert formats here. So the
errors are the library's, from the library's code, and valid schemas cost microseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, cast

import jsonschema_rs
from jsonschema_path import SchemaPath
from openapi_schema_validator import OAS31_BASE_DIALECT_ID
from openapi_schema_validator._regex import is_valid_regex
from openapi_schema_validator._specifications import REGISTRY as OPENAPI_SPECIFICATIONS
from openapi_schema_validator.validators import OAS30Validator, OAS31Validator
from openapi_spec_validator.validation import keywords
from referencing.exceptions import Unresolvable

from specfirst.loader import split_pointer
from specfirst.openapi import walk_objects
from specfirst.validation.messages import readable

# (pointer suffix below the schema, readable message, raw library message)
Problem = tuple[str, str, str]


@cache
def _fast_meta_validator(version: str) -> Any:
    """jsonschema-rs built on the same meta-schema the library checks schemas against."""
    if version == "3.0":
        return jsonschema_rs.Draft4Validator(OAS30Validator.META_SCHEMA, validate_formats=False)
    resources = [
        (uri, OPENAPI_SPECIFICATIONS.contents(uri))
        for uri in OPENAPI_SPECIFICATIONS
        if uri.startswith("https://spec.openapis.org/oas/3.1/")
    ]
    return jsonschema_rs.validator_for(
        OAS31Validator.META_SCHEMA,
        validate_formats=False,
        registry=jsonschema_rs.Registry(resources),
    )


def regexes_compile(value: Any) -> bool:
    """Whether every `pattern` and `patternProperties` key below `value` is a valid regex.

    Deliberately broader than the meta-schema (it also looks inside `enum`/`default` data): a
    false alarm only sends a schema down the slow, exact path.
    """
    for node in walk_objects(value):
        pattern = node.get("pattern")
        if isinstance(pattern, str) and not is_valid_regex(pattern):
            return False
        pattern_properties = node.get("patternProperties")
        if isinstance(pattern_properties, dict) and not all(
            is_valid_regex(key) for key in pattern_properties
        ):
            return False
    return True


class SchemaChecks:
    """Meta-schema and `default` checks for the Schema Objects of one document."""

    def __init__(self, document: dict[str, Any], version: str, base_uri: str) -> None:
        self.document = document
        self.version = version
        self.base_uri = base_uri
        self._root: SchemaPath | None = None
        self._library_schema_validator: keywords.SchemaValidator | None = None
        self._value_validator: keywords.ValueValidator = (
            keywords.OpenAPIV30ValueValidator(None)  # type: ignore[arg-type]
            if version == "3.0"
            else keywords.OpenAPIV31ValueValidator(None)  # type: ignore[arg-type]
        )
        dialect = document.get("jsonSchemaDialect", OAS31_BASE_DIALECT_ID)
        self.default_dialect = dialect if isinstance(dialect, str) else OAS31_BASE_DIALECT_ID

    @property
    def root(self) -> SchemaPath:
        if self._root is None:
            self._root = SchemaPath.from_dict(self.document, base_uri=self.base_uri)
        return self._root

    def path_at(self, pointer: str) -> SchemaPath:
        """The library's view of the node at `pointer` (a pointer free of `$ref` hops)."""
        path, node = self.root, cast(Any, self.document)
        for token in split_pointer(pointer):
            key: str | int = int(token) if isinstance(node, list) else token
            node = node[key]
            # `/` would split keys on "#", the library's own separator; items() does this too.
            path = path._make_child_relpath(key)
        return path

    def _fast_path_ok(self, value: Any) -> bool:
        if self.version == "3.1" and isinstance(value, Mapping):
            dialect = value.get("$schema", self.default_dialect)
            if dialect != OAS31_BASE_DIALECT_ID:
                return False  # another dialect: let the library pick and run its checker
        elif self.version == "3.1" and self.default_dialect != OAS31_BASE_DIALECT_ID:
            return False
        fast = _fast_meta_validator(self.version)
        return bool(fast.is_valid(value)) and regexes_compile(value)

    def meta_problem(self, pointer: str, value: Any) -> Problem | None:
        """The library's `_validate_schema_meta` verdict for the schema at `pointer`."""
        if self._fast_path_ok(value):
            return None
        if self._library_schema_validator is None:
            cls = (
                keywords.OpenAPIV30SchemaValidator
                if self.version == "3.0"
                else keywords.OpenAPIV31SchemaValidator
            )
            self._library_schema_validator = cls(None)  # type: ignore[arg-type]
        error = self._library_schema_validator._validate_schema_meta(self.path_at(pointer), value)
        if error is None:
            return None
        return readable([error])[0]

    def default_problems(self, pointer: str, value: Any) -> list[Problem]:
        """Errors of `value` (a `default`) against the schema at `pointer`, as the library finds them."""
        try:
            return readable(self._value_validator(self.path_at(pointer), value))
        except Unresolvable:
            return []  # a dangling `$ref` in the schema: reported by refs.broken_refs
