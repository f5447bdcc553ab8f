"""Checks openapi-spec-validator runs on each Schema Object: its meta-schema, and its `default`.

The library checks every schema against the JSON Schema dialect in pure Python (about 1.5 ms each,
3 s on GitHub's contract). Here jsonschema-rs answers first; the library's own checker runs only
for a schema jsonschema-rs rejects, or one whose regular expressions Python's `re` (what the
library's `regex` format uses) refuses, since jsonschema-rs does not assert formats here. So the
errors are the library's, from the library's code, and valid schemas cost microseconds.

A `default` is checked by the library's own value validator, unless a `VerdictCache` holds the
verdict for exactly that schema (with what its `$ref`s reach) and value (see `cache.py`). The
libraries are imported only when they have work to do: a valid contract whose defaults are all
cached needs jsonschema-rs alone.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, cast

from specfirst.loader import split_pointer
from specfirst.openapi import References, RefError, walk_objects
from specfirst.validation.cache import VerdictCache
from specfirst.validation.messages import readable
from specfirst.validation.metaschemas import (
    OAS31_BASE_DIALECT_ID,
    draft4_metaschema,
    oas31_metaschema,
    oas31_resources,
)
from specfirst.validation.scan import Scan

if TYPE_CHECKING:
    from jsonschema_path import SchemaPath

# (pointer suffix below the schema, readable message, raw library message)
Problem = tuple[str, str, str]


@cache
def _fast_meta_validator(version: str) -> Any:
    """jsonschema-rs built on the same meta-schema the library checks schemas against."""
    import jsonschema_rs

    if version == "3.0":
        return jsonschema_rs.Draft4Validator(draft4_metaschema(), validate_formats=False)
    return jsonschema_rs.validator_for(
        oas31_metaschema(),
        validate_formats=False,
        registry=jsonschema_rs.Registry(list(oas31_resources())),
    )


@lru_cache(maxsize=4096)
def is_valid_regex(pattern: str) -> bool:
    """`openapi_schema_validator._regex.is_valid_regex`: `regress` when it is installed (the
    library itself is asked then), else whether Python's `re` compiles the pattern."""
    if importlib.util.find_spec("regress") is not None:
        from openapi_schema_validator._regex import is_valid_regex as library

        return bool(library(pattern))
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


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
            isinstance(key, str) and is_valid_regex(key) for key in pattern_properties
        ):
            return False
    return True


# Keys whose string value changes what a `$ref` inside resolves to.
_IDENTIFIERS = (
    "$id",
    "id",
    "$anchor",
    "$dynamicAnchor",
    "$dynamicRef",
    "$recursiveRef",
    "$recursiveAnchor",
)
# Keys whose values are data: no `$ref`, identifier or discriminator inside them acts.
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const"})
# Keywords whose value maps names (any names: `default`, `x-id`...) to schemas.
_NAME_MAPS = frozenset(
    {"properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies"}
)
_PLAIN_REF = re.compile(r"#(/[^%]*)?")


class _UncacheableError(Exception):
    """A schema whose `default` verdict may depend on more than its key would name."""


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=True, allow_nan=True)
    except (TypeError, ValueError, RecursionError) as exc:
        raise _UncacheableError from exc


def _reaches(value: Any) -> list[str]:
    """The `$ref`s written in a schema, outside its data (`default`, `enum`, examples, `x-`
    extensions: the validator does not descend there); `_UncacheableError` for a schema whose
    references may resolve by more than their text."""
    refs: list[str] = []
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        node, names = stack.pop()  # names: a map of names to schemas (`properties`...)
        if isinstance(node, list):
            stack.extend((item, False) for item in node if isinstance(item, dict | list))
        elif not isinstance(node, dict):
            continue
        elif names:
            stack.extend((item, False) for item in node.values() if isinstance(item, dict | list))
        else:
            if "discriminator" in node:
                raise _UncacheableError
            for key in _IDENTIFIERS:
                if isinstance(node.get(key), str):
                    raise _UncacheableError
            ref = node.get("$ref")
            if isinstance(ref, str):
                if _PLAIN_REF.fullmatch(ref) is None:
                    raise _UncacheableError
                refs.append(ref)
            for key, item in node.items():
                if not isinstance(item, dict | list):
                    continue
                if not isinstance(key, str):
                    raise _UncacheableError
                if key in _DATA_KEYS or key.startswith("x-"):
                    continue
                stack.append((item, key in _NAME_MAPS))
    return refs


class SchemaChecks:
    """Meta-schema and `default` checks for the Schema Objects of one document."""

    def __init__(
        self,
        document: dict[str, Any],
        version: str,
        base_uri: str,
        verdicts: VerdictCache | None = None,
        everything: Scan | None = None,
    ) -> None:
        self.document = document
        self.version = version
        self.base_uri = base_uri
        self.verdicts = verdicts
        self.refs = References(document)
        self._root: SchemaPath | None = None
        self._library_schema_validator: Any = None
        self._value_validator: Any = None
        dialect = document.get("jsonSchemaDialect", OAS31_BASE_DIALECT_ID)
        self.default_dialect = dialect if isinstance(dialect, str) else OAS31_BASE_DIALECT_ID
        # ref → (its target's JSON text, or a marker; the refs written in the target)
        self._targets: dict[str, tuple[str, list[str]]] = {}
        # Every regex of the whole document compiles: so do those below any one schema.
        self.all_regexes_compile = (
            everything is not None
            and not everything.odd_names
            and all(is_valid_regex(p) for p in everything.patterns)
        )

    @property
    def root(self) -> SchemaPath:
        if self._root is None:
            from jsonschema_path import SchemaPath

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
        if not fast.is_valid(value):
            return False
        return self.all_regexes_compile or regexes_compile(value)

    def meta_problem(self, pointer: str, value: Any) -> Problem | None:
        """The library's `_validate_schema_meta` verdict for the schema at `pointer`."""
        if self._fast_path_ok(value):
            return None
        if self._library_schema_validator is None:
            from openapi_spec_validator.validation import keywords

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

    def default_problems(self, pointer: str, schema: Any, value: Any) -> list[Problem]:
        """Errors of `value` (a `default`) against `schema`, the schema at `pointer`, as the
        library finds them (or as it found them for the same key, from `verdicts`)."""
        verdicts = self.verdicts
        key = self._default_key(verdicts, schema, value) if verdicts is not None else None
        if verdicts is None or key is None:
            return self._library_default_problems(pointer, value)
        known = verdicts.get(key)
        if known is None:
            known = self._library_default_problems(pointer, value)
            verdicts.put(key, known)
        return known

    def _library_default_problems(self, pointer: str, value: Any) -> list[Problem]:
        from referencing.exceptions import Unresolvable

        if self._value_validator is None:
            from openapi_spec_validator.validation import keywords

            self._value_validator = (
                keywords.OpenAPIV30ValueValidator(None)  # type: ignore[arg-type]
                if self.version == "3.0"
                else keywords.OpenAPIV31ValueValidator(None)  # type: ignore[arg-type]
            )
        try:
            return readable(self._value_validator(self.path_at(pointer), value))
        except Unresolvable:
            return []  # a dangling `$ref` in the schema: reported by refs.broken_refs

    def _target(self, ref: str) -> tuple[str, list[str]]:
        found = self._targets.get(ref)
        if found is None:
            try:
                target = self.refs.target(ref)
            except RefError:
                found = ("missing", [])
            else:
                if target is None:
                    raise _UncacheableError  # not a local pointer (`_PLAIN_REF` lets none through)
                found = ("=" + _json(target.node), _reaches(target.node))
            self._targets[ref] = found
        return found

    def _default_key(self, verdicts: VerdictCache, schema: Any, value: Any) -> str | None:
        """The cache key of a `default`'s verdict, or None when it must not be cached."""
        try:
            parts = [self.version, self.default_dialect, _json(schema), _json(value)]
            seen: set[str] = set()
            pending = _reaches(schema)
            while pending:
                ref = pending.pop()
                if ref not in seen:
                    seen.add(ref)
                    pending.extend(self._target(ref)[1])
            for ref in sorted(seen):
                parts += [ref, self._target(ref)[0]]
        except _UncacheableError:
            return None
        return verdicts.key(parts)
