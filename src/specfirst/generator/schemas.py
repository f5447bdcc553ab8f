"""Schemas → what datamodel-code-generator sees, and schemas → Python type expressions.

Planning happens before the models exist: every component schema gets a stable class name (valid,
unique, not shadowing what `models.py` imports), and every inline body schema that needs a class is
hoisted under a name derived from its operation. After datamodel-code-generator ran, `TypeNamer`
turns schemas into annotations such as `models.Pet`, `list[models.PetResponse]` or
`Literal["asc", "desc"]`.
"""

from __future__ import annotations

import builtins
import json
import keyword
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from specfirst.generator.extensions import cleaned_copy
from specfirst.generator.patterns import ecma_to_python, enforceable
from specfirst.generator.viewmodel import ANY, BYTES, STR, TypeRef, list_of, literal, model
from specfirst.loader import escape_pointer_token, split_pointer
from specfirst.names import pascal_case
from specfirst.openapi import SCHEMA_PREFIX as SCHEMA_PREFIX  # re-exported (`as`): model_parts
from specfirst.openapi import (
    References,
    RefError,
    component_of,
    enclosing_component,
    iter_refs,
    node_at,
    schema_types,
)
from specfirst.openapi import (
    components as openapi_components,
)
from specfirst.openapi import walk_objects as walk_objects  # imports these two from here

# Put before every component's class name in what datamodel-code-generator is given, and taken
# off its output (`models.unmark`): it names the class of an inline `allOf` member after its
# field alone (`Type`), which can take a component's name; no field-derived name starts so.
COMPONENT_MARK = "ZzSpecfirst"
MARK_KEY = "x-specfirst-mark"  # in the info object of the models document
# How fields are named (`config.FIELD_NAMES`), in the same info object: datamodel-code-generator's
# options follow it, and every cache key over the document changes with it.
FIELD_NAMES_KEY = "x-specfirst-field-names"

# Names that models.py (or the modules importing it) use for something else.
_RESERVED = """
    Any Annotated AnyUrl AnyHttpUrl AwareDatetime Base64Str BaseModel ClassVar ConfigDict
    ContractModel Decimal
    Dict EmailStr Enum Field FilePath HttpUrl IntEnum IPv4Address IPv6Address Json List Literal
    MISSING NaiveDatetime Optional Path RootModel SecretStr StrEnum StrictBool StrictBytes
    StrictFloat StrictInt StrictStr Union UUID date datetime time timedelta
"""
RESERVED_CLASS_NAMES = frozenset(_RESERVED.split())

_SCALARS = {"string", "integer", "number", "boolean"}
_COMPOSITE_KEYS = ("properties", "allOf", "oneOf", "anyOf", "additionalProperties", "not")


def _dumps_each(components: dict[str, Any]) -> dict[str, str] | None:
    """The `json.dumps` of each component (None when one is no JSON data)."""
    try:
        return {name: json.dumps(schema) for name, schema in components.items()}
    except (TypeError, ValueError):
        return None


def _unshadowed(wanted: str) -> str:
    """datamodel-code-generator renames what would shadow its imports: pick the name first."""
    if wanted in RESERVED_CLASS_NAMES or keyword.iskeyword(wanted) or hasattr(builtins, wanted):
        return wanted + "Model"
    return wanted


def _family(candidate: str, splits: bool) -> tuple[str, ...]:
    """The names a class takes: a schema with readOnly/writeOnly properties becomes
    `<Name>Request` + `<Name>Response`, so such a name is free only with both variants
    (`Linode` and `LinodeRequest` never meet)."""
    return (candidate, candidate + "Request", candidate + "Response") if splits else (candidate,)


def needs_class(schema: Any) -> bool:
    """Whether an inline schema must become a model (objects, compositions, non-scalar enums)."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    types = schema_types(schema).names
    if "object" in types or any(key in schema for key in _COMPOSITE_KEYS):
        return True
    if len(types) > 1 and not set(types) <= _SCALARS:
        return True
    return "enum" in schema and not all(
        isinstance(v, str | int | float | bool) for v in schema["enum"]
    )


@dataclass
class ModelPlan:
    """What datamodel-code-generator is given, and how contract names map to class names."""

    class_names: dict[str, str] = field(default_factory=dict)  # component name → class base name
    hoisted: dict[str, str] = field(default_factory=dict)  # bundled pointer → class base name
    # Every class name in use, with the `Request`/`Response` variants each one may split into.
    taken: set[str] = field(default_factory=lambda: set(RESERVED_CLASS_NAMES))
    splitting: set[str] = field(default_factory=set)  # components that may get both variants
    mark: str = COMPONENT_MARK  # before each class name in the built document
    families: set[str] = field(default_factory=set)  # names reserved with both variants
    # The component schemas a `$ref` of an operation, a parameter, a body or a response led into
    # while planning (`build.plan_models`): what it read of them beyond `name_components`.
    schema_reads: set[str] = field(default_factory=set)
    # The component schemas the hoisted inline schemas' `$ref`s reach (whether each splits).
    hoisted_refs: set[str] = field(default_factory=set)

    def _class_name(self, wanted: str, key: object, splits: bool = True) -> str:
        wanted = _unshadowed(wanted)
        name, counter = wanted, 2
        while self._taken(name, splits):
            name, counter = f"{wanted}{'_' if wanted[-1].isdigit() else ''}{counter}", counter + 1
        self.taken.update(_family(name, splits))
        if splits:
            self.families.add(name)
        return name

    def _taken(self, candidate: str, splits: bool) -> bool:
        return any(n in self.taken for n in _family(candidate, splits))

    def gets_wanted_name(self, wanted: str, splits: bool) -> bool:
        """Whether `_class_name` would give `wanted` itself now (its family is free)."""
        return not self._taken(_unshadowed(wanted), splits)

    def read_through(self, refs: Iterable[str]) -> None:
        """Note the component schemas these looked-up `$ref`s point at or into (`schema_reads`)."""
        for ref in refs:
            _add_schema_name(self.schema_reads, ref)

    def name_components(
        self, components: dict[str, Any], texts: dict[str, str] | None = None
    ) -> None:
        # The mark goes before every class name, unless the contract itself spells it (in a
        # name or a schema: what `COMPONENT_MARK in json.dumps(components)` finds, as only a
        # string token of that text can hold it). `texts`: each component's `json.dumps`, when
        # the caller has them (`ensure_ascii` or not: the mark and the members `_scanned`
        # looks for are ASCII, written alike either way).
        texts = _dumps_each(components) if texts is None else texts
        spelt = any(COMPONENT_MARK in name for name in components) or (
            any(COMPONENT_MARK in text for text in texts.values())
            if texts is not None
            else COMPONENT_MARK in json.dumps(components)
        )
        self.mark = "" if spelt else COMPONENT_MARK
        self.splitting = splitting_components(components, texts)
        # Splitting schemas first, then shorter names: `Linode` keeps its name, `LinodeRequest` yields.
        wanted = {name: pascal_case(name) for name in components}
        order = sorted(
            components, key=lambda n: (n not in self.splitting, len(wanted[n]), wanted[n], n)
        )
        for name in order:
            self.class_names[name] = self._class_name(
                wanted[name], ("c", name), name in self.splitting
            )

    def hoist(self, schema: Any, pointer: str, wanted: str) -> None:
        """Give `schema` (found at `pointer`) a class if it needs one; arrays hoist their items."""
        if not isinstance(schema, dict) or pointer in self.hoisted:
            return
        if needs_class(schema):
            read_write, refs = _read_write_and_refs(schema)
            self.hoisted_refs |= refs
            splits = read_write or bool(refs & self.splitting)
            self.hoisted[pointer] = self._class_name(wanted, ("h", pointer), splits)
            return
        if schema_types(schema).names == ("array",) and isinstance(schema.get("items"), dict):
            self.hoist(schema["items"], pointer + "/items", wanted + "Item")

    def build(
        self,
        document: dict[str, Any],
        keep: set[str] | None = None,
        field_names: str = "snake_case",
    ) -> dict[str, Any]:
        """The document datamodel-code-generator gets: renamed components (those in `keep`, or
        all) plus hoisted schemas, each name behind `COMPONENT_MARK` (unless the contract itself
        spells the mark); `field_names` goes in its info object (`FIELD_NAMES_KEY`)."""
        components = openapi_components(document, "schemas")
        self.mark = "" if COMPONENT_MARK in json.dumps(components) else COMPONENT_MARK
        schemas: dict[str, Any] = {}
        for name, schema in components.items():
            if keep is not None and name not in keep:
                continue
            schemas[self.mark + self.class_names[name]] = self._rewrite(schema)
        for pointer, name in self.hoisted.items():
            schemas[self.mark + name] = self._rewrite(node_at(document, pointer))
        return {
            "openapi": document.get("openapi", "3.1.0"),
            "info": {
                "title": "models",
                "version": "0",
                MARK_KEY: self.mark,
                FIELD_NAMES_KEY: field_names,
            },
            "paths": {},
            "components": {"schemas": schemas},
        }

    def _rewrite(self, schema: Any, names: Mapping[str, str] | None = None) -> Any:
        """`schema` as datamodel-code-generator gets it. `names`: where the class names are read
        (`class_names` by default; `pydantic_models.document` passes a mapping that records
        which names a schema read, to keep its rewritten copy for as long as they hold)."""
        names = self.class_names if names is None else names
        # x-… that datamodel-code-generator would trust or trip on, and malformed `type`s, go
        result = cleaned_copy(schema)
        for node in walk_objects(result):
            ref = node.get("$ref")
            if isinstance(ref, str):
                node["$ref"] = self._renamed_ref(ref, names)
            pattern = node.get("pattern")
            if isinstance(pattern, str):
                node["pattern"] = ecma_to_python(pattern)
                if not enforceable(node["pattern"]):
                    del node["pattern"]  # no engine takes it: unchecked rather than no import
            discriminator = node.get("discriminator")
            mapping = discriminator.get("mapping") if isinstance(discriminator, dict) else None
            if isinstance(mapping, dict):
                for tag, target in mapping.items():
                    if isinstance(target, str) and target in names:
                        target = SCHEMA_PREFIX + escape_pointer_token(target)  # a bare name
                    if isinstance(target, str):
                        mapping[tag] = self._renamed_ref(target, names)
        return result

    def _renamed_ref(self, ref: str, names: Mapping[str, str]) -> str:
        if not ref.startswith(SCHEMA_PREFIX):
            return ref
        tokens = split_pointer(ref[len("#") :])
        if len(tokens) < 3 or tokens[2] not in names:
            return ref
        tokens[2] = self.mark + names[tokens[2]]
        return "#" + "".join("/" + escape_pointer_token(t) for t in tokens)


def _read_write_and_refs(schema: Any) -> tuple[bool, set[str]]:
    """Whether `schema` has a readOnly/writeOnly node, and the component schemas its `$ref`s
    point at or into: read off its JSON text (`_scanned`), walked only when it has none."""
    try:
        text = json.dumps(schema)
    except (TypeError, ValueError):  # not JSON data (a YAML oddity, a cycle)
        return _walked(schema)
    return _scanned(text)


def _walked(schema: Any) -> tuple[bool, set[str]]:
    read_write = False
    names: set[str] = set()
    for node in walk_objects(schema):
        if node.get("readOnly") is True or node.get("writeOnly") is True:
            read_write = True
        ref = node.get("$ref")
        if isinstance(ref, str):
            _add_schema_name(names, ref)
    return read_write, names


# In `json.dumps` text (its default separators): a member `"readOnly": true`, and a `$ref` with a
# string value. Inside a string every `"` is escaped, so a match is a real member unless its
# first quote is escaped (then the string it closes is a key such as `x"$ref`).
_READ_WRITE_TRUE = ('"readOnly": true', '"writeOnly": true')
_STRING_REF = '"$ref": "'
_scanstring: Any = json.decoder.scanstring  # type: ignore[attr-defined]  # C accelerated


def _scanned(text: str) -> tuple[bool, set[str]]:
    """`_walked` of the data `text` is the `json.dumps` of, in C: a dict of the data is an object
    of the text, `True` is `true`, and a string is written once, with its escapes."""
    read_write = any(_members(text, member) for member in _READ_WRITE_TRUE)
    names: set[str] = set()
    for at in _members(text, _STRING_REF):
        _add_schema_name(names, _scanstring(text, at + len(_STRING_REF))[0])
    return read_write, names


def _members(text: str, member: str) -> list[int]:
    """Where `member` starts in `text` as a member (not inside a string)."""
    found: list[int] = []
    at = text.find(member)
    while at >= 0:
        if at == 0 or text[at - 1] != "\\":
            found.append(at)
        at = text.find(member, at + 1)
    return found


def _add_schema_name(names: set[str], ref: str) -> None:
    found = enclosing_component(ref)
    if found is not None and found[0] == "schemas":
        names.add(found[1])


def splitting_components(
    components: dict[str, Any], texts: dict[str, str] | None = None
) -> set[str]:
    """Components datamodel-code-generator may split into request/response variants: those with
    readOnly/writeOnly properties, and those referring to one (an over-estimate is harmless).
    `texts`: the `json.dumps` of every component, when the caller has them."""
    marked: set[str] = set()
    refs: dict[str, set[str]] = {}
    for name, schema in components.items():
        text = texts.get(name) if texts is not None else None
        read_write, refs[name] = (
            _scanned(text) if text is not None else _read_write_and_refs(schema)
        )
        if read_write:
            marked.add(name)
    return splitting_closure(marked, refs)


def splitting_closure(marked: Iterable[str], refs: Mapping[str, Iterable[str]]) -> set[str]:
    """`marked` (components with readOnly/writeOnly properties) and every component whose
    `$ref`s (`refs`: name → the components it refers to) reach one of them."""
    users: defaultdict[str, set[str]] = defaultdict(set)
    for name, targets in refs.items():
        for target in targets:
            users[target].add(name)
    return reachable(marked, users)


def operation_schemas(document: dict[str, Any]) -> set[str]:
    """The component schemas that the operations under `paths` reach, through any `$ref`
    (parameters, bodies, responses, headers, callbacks; other schemas; discriminator mappings).
    Webhooks and schemas nothing points at are left out."""
    components = openapi_components(document, "schemas")
    refs = References(document)
    found: set[str] = set()
    followed: set[str] = set()
    pending: list[Any] = [document.get("paths") or {}]
    while pending:
        for ref in iter_refs(pending.pop()):
            if ref in followed or not ref.startswith("#/"):
                continue
            followed.add(ref)
            component = enclosing_component(ref)
            if component is not None and component[0] == "schemas":
                if component[1] in components and component[1] not in found:
                    found.add(component[1])
                    pending.append(components[component[1]])
                continue
            try:
                target = refs.target(ref)
            except RefError:
                continue  # validation reports broken references
            if target is not None:
                pending.append(target.node)
    return found


def reachable(start: Iterable[str], edges: dict[str, set[str]]) -> set[str]:
    """`start` and every name reached from it along `edges`."""
    found: set[str] = set()
    pending = list(start)
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending.extend(edges[name] - found)
    return found


_STRING_FORMATS = {
    "date-time": TypeRef("datetime", module="datetime"),
    "date": TypeRef("date", module="datetime"),
    "uuid": TypeRef("UUID", module="uuid"),
    "binary": BYTES,
}
_SCALAR_TYPES = {"integer": TypeRef("int"), "number": TypeRef("float"), "boolean": TypeRef("bool")}


class TypeNamer:
    """Python annotations for schemas, once the model classes are known."""

    def __init__(self, document: dict[str, Any], plan: ModelPlan, classes: Collection[str]) -> None:
        self.document = document
        self.plan = plan
        self.classes = classes
        self.components = openapi_components(document, "schemas")
        self.refs = References(document)

    def class_for(self, base: str, context: str) -> str:
        """`Pet`, or `PetRequest`/`PetResponse` where readOnly/writeOnly split the model (then
        `Pet` may be an inline class's name)."""
        variant = base + ("Request" if context == "request" else "Response")
        if base in self.plan.families and variant in self.classes:
            return variant
        if base in self.classes:
            return base
        if variant in self.classes:
            return variant
        raise LookupError(f"model class {base!r} was not generated")

    def component(self, ref: str) -> tuple[str, Any] | None:
        """(name, schema) of the component schema `ref` names as a whole, else None."""
        found = component_of(ref)
        if found is None or found[0] != "schemas" or found[1] not in self.components:
            return None
        return found[1], self.components[found[1]]

    def annotation(self, schema: Any, pointer: str, context: str) -> TypeRef:
        """The type of a body or response value (models for objects)."""
        if not isinstance(schema, dict) or not schema:
            return ANY
        ref = schema.get("$ref")
        if isinstance(ref, str):
            found = self.component(ref)
            if found is None:
                return ANY
            return model(self.class_for(self.plan.class_names[found[0]], context))
        if pointer in self.plan.hoisted:
            return model(self.class_for(self.plan.hoisted[pointer], context))
        types = schema_types(schema)
        if types.names == ("array",):
            items = schema.get("items")
            result = list_of(self.annotation(items, pointer + "/items", context) if items else ANY)
        else:
            result = self.scalar(schema) or ANY
        return result.or_none() if types.nullable else result

    def scalar(self, schema: dict[str, Any]) -> TypeRef | None:
        """A scalar's Python type (`int`, `Literal['a', 'b']`, `datetime.date`), else None."""
        types = schema_types(schema).names
        enum = schema.get("enum")
        if (
            isinstance(enum, list)
            and enum
            and all(isinstance(v, str | int) and not isinstance(v, bool) for v in enum)
        ):
            return literal(tuple(enum))
        if "const" in schema and isinstance(schema["const"], str | int):
            return literal((schema["const"],))
        if len(types) != 1 or types[0] not in _SCALARS:
            return None
        kind = types[0]
        if kind == "string":
            return _STRING_FORMATS.get(str(schema.get("format", "")), STR)
        return _SCALAR_TYPES[kind]

    def resolve(self, schema: Any) -> tuple[dict[str, Any], str | None]:
        """Follow `$ref`s to a schema; also the component name when the last one named one."""
        try:
            found = self.refs.follow(schema, "")
        except RefError:
            return {}, None
        if found is None or not isinstance(found.node, dict):
            return {}, None
        component = found.component
        return found.node, component[1] if component and component[0] == "schemas" else None
