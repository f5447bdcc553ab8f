"""openapi-spec-validator's keyword checks, walked over plain dicts with real JSON pointers.

The library walks the document through `jsonschema_path.SchemaPath` objects (about 2 s of
attribute lookups on GitHub's contract), keeps the ids of visited schemas in lists (an O(n²) scan:
8 s there), and its errors carry no location (`json_path == "$"`). This module performs the same
checks, in the same order and with the same de-duplication rules, so it reports the same errors
with the same messages, but knows where each one is: every node is tracked by the pointer where it
is written (after following `$ref`s), which `Contract.locate` turns into file:line.

Mirrored from `openapi_spec_validator.validation.keywords` (0.9.0): RootValidator, TagsValidator,
PathsValidator, PathValidator, OperationValidator, ParametersValidator, ResponsesValidator,
ContentValidator, MediaTypeValidator, ComponentsValidator, SchemasValidator, SchemaValidator.
Where the library would crash on a malformed document (a tag without a name, a `required` that is
not a list), the meta-schema pass has already reported the problem and the check is skipped.
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Iterator
from typing import Any

from specfirst.openapi import HTTP_METHODS, References, RefError
from specfirst.openapi import child as _child_pointer
from specfirst.validation.issues import Finding
from specfirst.validation.messages import one_line
from specfirst.validation.schema_checks import SchemaChecks

Node = tuple[Any, str]  # a resolved value and the pointer where it is written

_MISSING: Any = object()
# The keywords `schema` acts on; a schema with none of them has nothing below it to check.
_SCHEMA_WORK = frozenset({"allOf", "anyOf", "oneOf", "not", "items", "properties", "default"})


def _pointer(pointer: str, key: Any) -> str:
    """`pointer` extended by one token (`openapi.child(pointer, key)`, inlined: it runs for every
    node the walk reaches)."""
    token = key if isinstance(key, str) else str(key)
    if "~" in token or "/" in token:
        token = token.replace("~", "~0").replace("/", "~1")
    return f"{pointer}/{token}"


class SemanticWalker:
    """One pass over a document; `findings` holds what it found, in the library's order."""

    def __init__(self, refs: References, checks: SchemaChecks) -> None:
        self.refs = refs
        self.checks = checks
        self.findings: list[Finding] = []
        self.meta_checked: set[int] = set()
        self.visited: set[int] = set()
        self.operation_ids: dict[Any, str] = {}
        self.unhashable_operation_ids: list[Any] = []
        self.targets: dict[str, Node | None] = {}

    # -- navigation (SchemaPath semantics: every step follows `$ref`s) ------------------------

    def resolve(self, value: Any, pointer: str) -> Node | None:
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str):
                return self.target(ref)
        return value, pointer  # the common case (no reference)

    def target(self, ref: str) -> Node | None:
        """Where the chain of refs starting at `ref` ends (None when it cannot be followed);
        followed once per ref string (the result depends on the string alone)."""
        try:
            return self.targets[ref]
        except KeyError:
            pass
        try:
            found = self.refs.follow({"$ref": ref}, "")
        except RefError:
            found = None  # reported once by refs.broken_refs
        node = None if found is None else (found.node, found.pointer)
        self.targets[ref] = node
        return node

    def child(self, node: Node, key: str) -> Node | None:
        value = node[0]
        if not isinstance(value, dict):
            return None
        item = value.get(key, _MISSING)
        if item is _MISSING:
            return None
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                return self.target(ref)
        return item, _pointer(node[1], key)

    def children(self, node: Node) -> Iterator[tuple[str | int, Node]]:
        value, pointer = node
        items: Any
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            return
        target = self.target
        for key, item in items:
            if isinstance(item, dict):
                ref = item.get("$ref")
                if isinstance(ref, str):
                    resolved = target(ref)
                    if resolved is not None:
                        yield key, resolved
                    continue
            yield key, (item, _pointer(pointer, key))

    def add(self, pointer: str, message: str, related: str | None = None) -> None:
        self.findings.append(Finding(pointer, message, message, related))

    # -- RootValidator ------------------------------------------------------------------------

    def walk(self, document: dict[str, Any]) -> list[Finding]:
        root: Node = (document, "")
        tags = self.child(root, "tags")
        if tags is not None:
            self.tags(tags)
        paths = self.child(root, "paths")
        if paths is not None:
            for url, path_item in self.children(paths):
                self.path(str(url), path_item)
        components = self.child(root, "components")
        if components is not None:
            schemas = self.child(components, "schemas")
            if schemas is not None:
                for _, schema in self.children(schemas):
                    self.schema(schema)
        return self.findings

    def tags(self, tags: Node) -> None:
        seen: set[str] = set()
        for _, tag in self.children(tags):
            name = self.child(tag, "name")
            if name is None or not isinstance(name[0], str):
                continue
            if name[0] in seen:
                self.add(name[1], f"Duplicate tag name '{name[0]}'")
            seen.add(name[0])

    # -- PathValidator / OperationValidator ---------------------------------------------------

    def path(self, url: str, path_item: Node) -> None:
        parameters = self.child(path_item, "parameters")
        if parameters is not None:
            self.parameters(parameters)
        for name, operation in self.children(path_item):
            if name in HTTP_METHODS:
                self.operation(url, str(name), operation, parameters)

    def operation(self, url: str, name: str, operation: Node, path_parameters: Node | None) -> None:
        operation_id = self.child(operation, "operationId")
        if operation_id is not None:
            self.operation_id(url, name, operation_id)
        responses = self.child(operation, "responses")
        if responses is not None:
            for _, response in self.children(responses):
                content = self.child(response, "content")
                if content is None:
                    continue
                for _, media_type in self.children(content):
                    schema = self.child(media_type, "schema")
                    if schema is not None:
                        self.schema(schema)
        declared: dict[str, str] = {}
        parameters = self.child(operation, "parameters")
        if parameters is not None:
            self.parameters(parameters)
            declared.update(self.path_parameter_names(parameters))
        if path_parameters is not None:
            for param_name, where in self.path_parameter_names(path_parameters).items():
                declared.setdefault(param_name, where)
        try:
            in_url = {field for _, field, _, _ in string.Formatter().parse(url) if field}
        except ValueError as exc:
            self.add(_child_pointer("/paths", url), f"Path template {url!r} is malformed: {exc}")
            return
        for param in sorted(in_url):
            if param not in declared:
                self.add(
                    operation[1],
                    f"Path parameter '{param}' for '{name}' operation in '{url}' was not resolved",
                )
        for param in sorted(declared):
            if param not in in_url:
                self.add(
                    declared[param],
                    f"Path parameter '{param}' for '{name}' operation in '{url}' was not resolved",
                )

    def operation_id(self, url: str, name: str, operation_id: Node) -> None:
        value, pointer = operation_id
        if value is None:
            first = None
        else:
            try:
                first = self.operation_ids.get(value)
            except TypeError:  # an unhashable operationId: the library compares with ==
                first = "" if value in self.unhashable_operation_ids else None
                self.unhashable_operation_ids.append(value)
        if first is not None:
            message = f"Operation ID '{value}' for '{name}' in '{url}' is not unique"
            self.add(pointer, one_line(message), related=first or None)
        with contextlib.suppress(TypeError):
            self.operation_ids.setdefault(value, pointer)

    def path_parameter_names(self, parameters: Node) -> dict[str, str]:
        """name → pointer of the parameter, for each `in: path` parameter of a list."""
        names: dict[str, str] = {}
        for _, parameter in self.children(parameters):
            where = self.child(parameter, "in")
            name = self.child(parameter, "name")
            if where is None or not isinstance(where[0], str) or where[0] != "path":
                continue
            if name is not None and isinstance(name[0], str):
                names.setdefault(name[0], parameter[1])
        return names

    def parameters(self, parameters: Node) -> None:
        seen: set[tuple[Any, Any]] = set()
        pointer = parameters[1]
        for index, parameter in self.children(parameters):
            schema = self.child(parameter, "schema")
            if schema is not None:
                self.schema(schema)
            if not isinstance(parameter[0], dict) or not {"name", "in"} <= parameter[0].keys():
                continue  # the library would stop with a KeyError; the meta-schema pass reports it
            key = (parameter[0]["name"], parameter[0]["in"])
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue
            if duplicate:
                self.add(_child_pointer(pointer, index), f"Duplicate parameter '{key[0]}'")

    # -- SchemaValidator ------------------------------------------------------------------------

    def collect_properties(self, schema: Node, seen: frozenset[int] = frozenset()) -> set[str]:
        value = schema[0]
        if id(value) in seen:
            return set()  # the library would recurse forever here
        seen = seen | {id(value)}
        props: set[str] = set()
        properties = self.child(schema, "properties")
        if properties is not None and isinstance(properties[0], dict):
            props.update(properties[0])
        for keyword in ("allOf", "anyOf", "oneOf"):
            group = self.child(schema, keyword)
            if group is not None:
                for _, sub in self.children(group):
                    props.update(self.collect_properties(sub, seen))
        for keyword in ("items", "not"):
            single = self.child(schema, keyword)
            if single is not None:
                props.update(self.collect_properties(single, seen))
        return props

    def schema(
        self, schema: Node, require_properties: bool = True, meta_checked: bool = False
    ) -> None:
        value, pointer = schema
        if not isinstance(value, dict | bool):
            message = f"{value!r} is not of type 'object', 'boolean'"
            self.findings.append(Finding(pointer, one_line(message, value), message))
            return
        schema_id = id(value)
        if not meta_checked and schema_id not in self.meta_checked:
            self.meta_checked.add(schema_id)
            problem = self.checks.meta_problem(pointer, value)
            if problem is not None:
                suffix, message, raw = problem
                self.findings.append(Finding(pointer + suffix, message, raw))
                return
        if schema_id in self.visited:
            return
        self.visited.add(schema_id)
        if not isinstance(value, dict) or value.keys().isdisjoint(_SCHEMA_WORK):
            return

        nested_properties: set[str] = set()
        all_of = self.child(schema, "allOf") if "allOf" in value else None
        if all_of is not None:
            for _, inner in self.children(all_of):
                self.schema(inner, require_properties=False, meta_checked=True)
                nested_properties |= self.collect_properties(inner)
        for keyword in ("anyOf", "oneOf"):
            group = self.child(schema, keyword) if keyword in value else None
            if group is not None:
                for _, inner in self.children(group):
                    self.schema(inner, require_properties=False, meta_checked=True)
        for keyword in ("not", "items"):
            inner_schema = self.child(schema, keyword) if keyword in value else None
            if inner_schema is not None:
                self.schema(inner_schema, require_properties=False, meta_checked=True)
        properties = self.child(schema, "properties") if "properties" in value else None
        if properties is not None:
            self.inner_schemas(properties)

        if all_of is not None and require_properties:
            self.required_properties(schema, properties, nested_properties)

        if "default" in value:
            default = self.child(schema, "default")
            if default is None:
                return
            nullable = self.child(schema, "nullable")
            if default[0] is not None or (nullable is None or nullable[0] is not True):
                for suffix, message, raw in self.checks.default_problems(
                    pointer, value, default[0]
                ):
                    self.findings.append(
                        Finding(default[1] + suffix, f"default value: {message}", raw)
                    )

    def inner_schemas(self, container: Node) -> None:
        """`schema(member, require_properties=False, meta_checked=True)` for each member of
        `container` (`children` order); a member with nothing below it to check (most
        properties) is only marked visited, as `schema` would, without a call or a pointer."""
        value, pointer = container
        items: Any
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            return
        visited = self.visited
        for key, item in items:
            if isinstance(item, dict):
                ref = item.get("$ref")
                if isinstance(ref, str):
                    resolved = self.target(ref)
                    if resolved is not None:
                        self.schema(resolved, require_properties=False, meta_checked=True)
                    continue
                if item.keys().isdisjoint(_SCHEMA_WORK):
                    visited.add(id(item))
                    continue
            self.schema((item, _pointer(pointer, key)), require_properties=False, meta_checked=True)

    def required_properties(self, schema: Node, properties: Node | None, nested: set[str]) -> None:
        required = self.child(schema, "required")
        names = required[0] if required is not None else None
        if not names:
            return
        try:
            declared = set(properties[0]) if properties is not None and properties[0] else set()
            extra = set(names) - declared - nested
        except TypeError:
            return
        if extra:
            pointer = required[1] if required is not None else schema[1]
            message = f"Required list has not defined properties: {sorted(extra, key=str)}"
            self.add(pointer, message)
