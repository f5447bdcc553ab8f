"""Split a large models document into many small parts that datamodel-code-generator handles
one by one (in parallel, and each cached on its own).

datamodel-code-generator runs on one core and its time grows with the number of classes (about
17 s for GitHub's 7,000). Splitting serves two ends: every core gets work on a cold run, and an
edit re-runs only the small part that holds the edited schema.

**Which part a schema goes to** depends on its name alone: a hash of the name picks one of
`part_count` buckets (its *home*). Editing, adding or removing a schema never moves another
schema to another part, so every other part's cache entry stays valid and every other class
keeps its name. `part_count` depends on the document's size only (a power of two, so when it
grows each bucket splits in two), never on the machine.

**A large schema is a part of its own.** A schema of `ALONE_BYTES` or more (its own JSON) is
the home of a part of its own, right after its bucket's part: an edit of a small schema in its
bucket re-runs the small schemas' part only, not the large one (GitHub's webhook schemas of up
to 89 kB shared buckets of 10 kB schemas). Whether a schema is alone depends on its own size,
and where its part goes on its own name, so a schema that crosses the threshold moves only
itself (between its bucket's part and a part of its own), and no other schema moves.

**What a part holds besides its home schemas.** A class comes out the same from any part that
holds what shapes it:
- *strong* dependencies, taken whole (and theirs, transitively): `allOf` members, and the
  members of a `oneOf`/`anyOf` inside one (inheritance and merging copy their fields), both ends
  of a discriminator (it writes the tag into each member's class), a `$ref` with a default
  beside it (the default names an enum member);
- a component that may split into request/response variants (`schemas.splitting_components`)
  is put in as a *variant stub* (`variant_stub`): whether it splits, whether it is readOnly or
  writeOnly itself, what a leak stub keeps, and the splitting components it splits through.
  Before its home (in part order) it is taken whole where it has inline objects: the unused
  variants of those (datamodel-code-generator writes them anyway) are classes the join keeps
  from the first part that has them, so the output keeps them where they were. Where no
  variant stub is known, it is a strong dependency;
- a target with a default or `null` of its own (*leaky*: datamodel-code-generator copies both
  into the referring field) is put in as a *leak stub* (`leak_stub`): what the referring field
  reads of it, and nothing that refers on. Where no leak stub is known (a `oneOf`, an alias, a
  keyword not tried), the target is a strong dependency;
- every other `$ref` only needs the target's *name*: the target is put in as a *stub*, an empty
  schema (`{}` gives `class X(RootModel[Any])`). The join drops stubs, and the copies of schemas
  that have another home, so every class comes from its home part.

On GitHub's document, 256 buckets and 24 schemas alone make 278 parts that hold 1.14 times the
schema bytes of one run (none above 90 kB: the largest are the two 89 kB schemas alone).
Classes of inline schemas are named in the order datamodel-code-generator meets them, so two
parts can give different classes one name: `join` links the parts' modules like object files.
When it cannot, the caller generates the whole document in one run, so a refused join only
costs time, never correctness.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from specfirst.generator.schemas import (
    MARK_KEY,
    SCHEMA_PREFIX,
    _read_write_and_refs,
    splitting_closure,
)
from specfirst.loader import split_pointer

PART_BYTES = 10_000  # aimed-for mean part size (JSON of its home schemas)
MAX_PARTS = 256
# A schema of this many bytes or more (`SchemaFacts.size`) is the home of a part of its own, so
# an edit of a schema in its bucket does not re-run it (GitHub: 24 schemas of 37-89 kB; none
# between 27 and 37 kB, so an edit rarely makes one cross: see docs/speed.md, session 7).
ALONE_BYTES = 30_000
# Below this, one run (adyen-checkout, 397 kB, differs when split: see docs/speed.md).
MIN_BYTES = 600_000
# Keywords that may stand beside a `$ref` without changing what the reference means to a class.
_ANNOTATIONS = frozenset(
    {
        "$ref",
        "description",
        "title",
        "example",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "nullable",
        "externalDocs",
    }
)


_COMBINERS = frozenset({"oneOf", "anyOf", "allOf"})


@dataclass(frozen=True)
class Part:
    """One document for datamodel-code-generator, and what each of its schemas is to the join."""

    text: str  # the document as JSON (`json.dumps(document, ensure_ascii=False)`)
    home: frozenset[str]  # schema names (as in the models document) whose classes come from here
    stubs: frozenset[str]  # names put in as `NAME_STUB` or as their leak stub: only referred to
    held: tuple[str, ...] = ()  # every schema name in the document, in its order
    mark: str = ""  # the models document's `MARK_KEY`

    @cached_property
    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.text)
        return document


@dataclass(frozen=True)
class SchemaFacts:
    """What planning the parts reads of one schema of the models document (`schema_facts`): a
    function of that schema alone, so it can be kept with it (`document`)."""

    size: int  # len(json.dumps(schema)): the part count follows the sum
    read_write: bool  # a readOnly/writeOnly node
    refs: tuple[str, ...]  # the schemas its `$ref`s point at or into
    leaks: bool  # its default or nullability is copied into referring fields
    targets: tuple[tuple[str, bool], ...]  # (`$ref` target, needed whole whatever it is)
    discriminated: tuple[str, ...]  # members of the discriminators it holds
    stub: str | None = None  # a leaky schema's `leak_stub` as JSON; None: none, or not leaky

    def to_json(self) -> list[Any]:
        return [
            self.size,
            self.read_write,
            list(self.refs),
            self.leaks,
            [list(t) for t in self.targets],
            list(self.discriminated),
            self.stub,
        ]

    @classmethod
    def from_json(cls, data: Any) -> SchemaFacts:
        size, read_write, refs, leaks, targets, discriminated, stub = data
        if stub is not None and not isinstance(stub, str):
            raise ValueError("a leak stub is kept as its JSON text")
        return cls(
            int(size),
            bool(read_write),
            tuple(refs),
            bool(leaks),
            tuple((str(t), bool(w)) for t, w in targets),
            tuple(discriminated),
            stub,
        )


def schema_facts(schema: Any) -> SchemaFacts:
    read_write, refs = _read_write_and_refs(schema)
    targets: dict[tuple[str, bool], None] = {}
    discriminated: dict[str, None] = {}

    def visit(node: Any, in_all_of: bool) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item, in_all_of)
            return
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        target = _target(ref) if isinstance(ref, str) else None
        if target is not None:
            plain = node.keys() <= _ANNOTATIONS
            targets[(target, not plain or in_all_of)] = None
        discriminator = node.get("discriminator")
        if isinstance(discriminator, dict):
            discriminated.update(dict.fromkeys(sorted(_discriminated(node, discriminator))))
        for key, value in node.items():
            if isinstance(value, dict | list):
                # A union inside an `allOf` member is merged with it: its members too are
                # needed whole. Below a property or an item, a new schema starts.
                visit(value, key == "allOf" or (in_all_of and key in _COMBINERS))

    visit(schema, False)
    leaks = _leaks_into_referrers(schema)
    stub = leak_stub(schema) if leaks else None
    return SchemaFacts(
        len(json.dumps(schema)),
        read_write,
        tuple(sorted(refs)),
        leaks,
        tuple(targets),
        tuple(discriminated),
        None if stub is None else json.dumps(stub, ensure_ascii=False),
    )


def document_text(header: dict[str, Any], schemas: Iterable[tuple[str, str]]) -> str:
    """`json.dumps({**header, "components": {"schemas": ...}}, ensure_ascii=False)`, from the
    schemas' JSON texts (`header` has no `components`)."""
    body = ", ".join(f"{json.dumps(name, ensure_ascii=False)}: {text}" for name, text in schemas)
    components = f'"components": {{"schemas": {{{body}}}}}'
    head = json.dumps(header, ensure_ascii=False)
    return f"{head[:-1]}, {components}}}" if header else f"{{{components}}}"


def part_count(
    total_bytes: int, min_bytes: int | None = None, part_bytes: int | None = None
) -> int:
    """A power of two: the mean part holds about `PART_BYTES`; 1 means one run."""
    if total_bytes < (MIN_BYTES if min_bytes is None else min_bytes):
        return 1
    mean = PART_BYTES if part_bytes is None else part_bytes
    count = 1
    while count * 2 <= MAX_PARTS and total_bytes / (count * 2) >= mean:
        count *= 2
    return count


def home_of(name: str, count: int) -> int:
    """The bucket of a schema: a function of its name (without the mark) and the count alone."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


def plan_parts(
    document: dict[str, Any],
    min_bytes: int | None = None,
    part_bytes: int | None = None,
    alone_bytes: int | None = None,
) -> list[Part]:
    """Parts to generate separately, or `[]` when the document is better done in one run."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    return plan_parts_of(
        {key: value for key, value in document.items() if key != "components"},
        {name: json.dumps(schema, ensure_ascii=False) for name, schema in schemas.items()},
        {name: schema_facts(schema) for name, schema in schemas.items()},
        min_bytes,
        part_bytes,
        alone_bytes,
    )


def plan_parts_of(
    header: dict[str, Any],
    texts: dict[str, str],
    facts: dict[str, SchemaFacts],
    min_bytes: int | None = None,
    part_bytes: int | None = None,
    alone_bytes: int | None = None,
) -> list[Part]:
    """`plan_parts` of the document `document_text(header, texts)`, whose schemas have the
    `facts` (`schema_facts`): what is kept per schema is all it reads. `part_bytes` sets the
    bucket count (`part_count`), `alone_bytes` the size from which a schema is alone."""
    count = part_count(sum(f.size for f in facts.values()), min_bytes, part_bytes)
    if count == 1 or len(texts) < 2:
        return []
    mark = header.get("info", {}).get(MARK_KEY, "")
    splitting = _splitting(facts)
    sketches = _variant_stubs(texts, facts, splitting)
    strong, weak, variant = _edges(facts, splitting, sketches)
    sketch_refs = {name: set(refs) for name, (_, refs, _) in sketches.items()}
    # Where no part holding the schema whole would define a class the join keeps (it has no
    # inline object, whose unused variant could be one, and needs nothing else whole), its
    # variant stub serves before its home too.
    anywhere = {
        name for name, (_, _, inline) in sketches.items() if not inline and not strong[name]
    }
    buckets: list[list[str]] = [[] for _ in range(count)]
    for name in texts:
        buckets[home_of(name.removeprefix(mark), count)].append(name)
    homes = _homes(buckets, facts, ALONE_BYTES if alone_bytes is None else alone_bytes)
    part_of = {name: index for index, home in enumerate(homes) for name in home}
    order = {name: at for at, name in enumerate(texts)}  # a part's schemas go in in this order
    parts = []
    for index, home in enumerate(homes):
        # A splitting schema goes in as its variant stub only in parts after its home: the
        # join keeps the first definition of a class, and a part holding the schema whole
        # also defines the unused variants of its inline classes (`RepositoryAdvisoryCweRequest`
        # is unused where its property is readOnly), so before its home a part holds it whole
        # as ever, and the output keeps every class where it was.
        later = {n for n in sketches.keys() - anywhere if part_of[n] >= index}
        real, sketched = _held_in(set(home), later, strong, variant, sketch_refs)
        stubs = {t for n in real for t in weak[n]} - real - sketched
        held = tuple(sorted(real | stubs | sketched, key=order.__getitem__))

        def text_of(name: str, real: set[str] = real, sketched: set[str] = sketched) -> str:
            if name in real:
                return texts[name]
            return sketches[name][0] if name in sketched else _stub_text(facts[name])

        text = document_text(header, ((n, text_of(n)) for n in held))
        parts.append(Part(text, frozenset(home), frozenset(stubs | sketched), held, mark))
    return parts


def _homes(buckets: list[list[str]], facts: dict[str, SchemaFacts], alone: int) -> list[list[str]]:
    """The parts' home schemas, in part order: each bucket's schemas below `alone` bytes, then
    each of its schemas of `alone` bytes or more as a home of its own (in document order)."""
    homes: list[list[str]] = []
    for bucket in buckets:
        small = [name for name in bucket if facts[name].size < alone]
        homes += [small] if small else []
        homes += [[name] for name in bucket if facts[name].size >= alone]
    return homes


def _held_in(
    home: set[str],
    later: Collection[str],
    strong: dict[str, set[str]],
    variant: dict[str, set[str]],
    sketch_refs: dict[str, set[str]],
) -> tuple[set[str], set[str]]:
    """The schemas a part holds whole, and those it holds as variant stubs: a splitting schema
    in `later` (whose home comes later) is held whole, with what it needs whole."""
    real: set[str] = set()
    pending = list(home)
    while True:
        while pending:  # what is needed whole: strong, and splitting schemas homed later
            name = pending.pop()
            if name not in real:
                real.add(name)
                pending += strong[name]
                pending += (t for t in variant[name] if t in later)
        sketched: set[str] = set()
        stack = [t for n in real for t in variant[n] if t not in real]
        while stack:
            name = stack.pop()
            if name not in sketched and name not in real:
                sketched.add(name)
                for target in sketch_refs[name]:
                    if target not in later:
                        stack.append(target)
                    elif target not in real:
                        pending.append(target)
        if not pending:
            return real, sketched


def _edges(
    facts: dict[str, SchemaFacts],
    splitting: set[str],
    sketches: dict[str, tuple[str, tuple[str, ...], bool]],
) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """name → the schemas its class needs whole (strong), those it only names (weak), and the
    splitting ones it refers to that a variant stub (`variant_stub`) stands in for."""
    # Targets whose class a reference cannot stand in for by name alone: datamodel-code-generator
    # reads a target's default and nullability into the referring field (a leak stub holds what
    # it reads, where one is known), and whether it splits into variants and is readOnly or
    # writeOnly itself (a variant stub holds that, where one is known).
    unstubbed = {name for name, fact in facts.items() if fact.leaks and fact.stub is None}
    whole_targets = (splitting | unstubbed) - sketches.keys()
    strong: dict[str, set[str]] = {name: set() for name in facts}
    weak: dict[str, set[str]] = {name: set() for name in facts}
    variant: dict[str, set[str]] = {name: set() for name in facts}
    for name, fact in facts.items():
        for target, whole in fact.targets:
            if target in strong:
                if whole or target in whole_targets:
                    strong[name].add(target)
                elif target in sketches:
                    variant[name].add(target)
                else:
                    weak[name].add(target)
        for member in fact.discriminated:
            if member in strong:
                strong[name].add(member)
                strong[member].add(name)
    return strong, weak, variant


def _splitting(facts: dict[str, SchemaFacts]) -> set[str]:
    """`schemas.splitting_components` of the schemas, from their facts."""
    marked = {name for name, fact in facts.items() if fact.read_write}
    return splitting_closure(marked, {name: fact.refs for name, fact in facts.items()})


# What a referring field reads of a leaky target (datamodel-code-generator 0.89, by experiment:
# `tests/generator/test_model_parts.py`, fixture `model_leaks.yaml`): its `nullable`, `type`
# and `default` (copied into the field), its `enum` (a default is written as a member, and an
# enum class adds no `None` to a union it is a member of), `const`; and the kind of class the
# target makes, which decides whether a default is copied at all (not into a field typed by an
# object model) and whether a union beside it admits null: an object model (`properties`), a
# map (`additionalProperties`), an array (`items`), a root model.
_STUB_KEPT = frozenset({"type", "nullable", "default", "enum", "const"})
# Keywords that shape the target's own class only: its annotations, constraints and fields.
_STUB_DROPPED = frozenset(
    {
        "description",
        "title",
        "example",
        "examples",
        "externalDocs",
        "deprecated",
        "format",
        "required",
        "maxLength",
        "minLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "maxItems",
        "minItems",
        "uniqueItems",
    }
)
# Subschemas that make the target's kind of class. `properties` is kept as its first property,
# an empty schema (any object model is one kind); `additionalProperties` as an empty schema (a
# map of anything is still a map); `items` as it is (an array of anything is another kind: a
# default is copied into the field), so only where it refers to no other schema.
_STUB_EMPTIED = frozenset({"properties", "additionalProperties"})


def leak_stub(schema: Any) -> dict[str, Any] | None:
    """The least schema a reference reads as it reads the leaky `schema` (its nullability,
    default, enum and kind of class), referring to no other schema; None where none is known:
    a keyword not listed above (a `oneOf`, `allOf`, `$ref`, a readOnly marker...) keeps the
    target whole."""
    if not isinstance(schema, dict):
        return None
    stub: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _STUB_KEPT or (key == "items" and not _refers(value)):
            stub[key] = value
        elif key in _STUB_EMPTIED and isinstance(value, dict):
            stub[key] = {name: {} for name in list(value)[:1]} if key == "properties" else {}
        elif key == "additionalProperties" and isinstance(value, bool):
            stub[key] = value
        elif key not in _STUB_DROPPED:
            return None
    return stub


# What a referring class reads of a target that may split into request/response variants
# (datamodel-code-generator 0.89, `request-response` mode: `parser/_rw_split.py`, and by
# experiment: `tests/generator/test_model_parts.py`, fixture `model_variants.yaml`): whether it
# splits (a property it reaches through `$ref`s, inline objects, items and map values is
# readOnly or writeOnly: the referring field then names `XRequest` or `XResponse`), and whether
# it is readOnly or writeOnly itself (the referring field is then left out of one variant),
# besides what a leak stub keeps.
_FLAGS = ("readOnly", "writeOnly")


def variant_stub(schema: Any, splitting: set[str], leaky: bool) -> tuple[Any, set[str]] | None:
    """The least schema a reference reads as it reads `schema`, a component that may split
    (`schemas.splitting_components`, the set `splitting`): its own flags, what its leak stub
    keeps where it is `leaky`, and of its properties, items and map values only those through
    which it may split (a flag, or a `$ref` to a splitting component), cut the same way; one
    property flagged itself stands for all the others (the class splits whatever they hold).
    With the splitting components it still refers to (they go in as variant stubs too). None
    where no variant stub is known: a keyword not listed (`oneOf`, `allOf`, a discriminator...)
    keeps the target whole."""
    refs: set[str] = set()
    stub = _sketch(schema, splitting, refs, leaky)
    return None if stub is None else (stub, refs)


def _sketch(node: Any, splitting: set[str], refs: set[str], leaky: bool) -> dict[str, Any] | None:
    if not isinstance(node, dict):
        return None
    stub: dict[str, Any] = {}
    for key, value in node.items():
        if key in _STUB_KEPT or key in _FLAGS:
            stub[key] = value
        elif key == "$ref" and isinstance(value, str) and (target := _target(value)):
            if target in splitting:
                refs.add(target)
            stub[key] = value
        elif key == "properties" and isinstance(value, dict):
            kept = _sketched_properties(value, splitting, refs)
            if kept is None:
                return None
            first = next(iter(value), None)
            stub[key] = kept if kept or first is None else {first: {}}  # an object model
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            if _splits_through(value, splitting):
                cut = _sketch(value, splitting, refs, False)
                if cut is None:
                    return None
                stub[key] = cut
            elif key == "items" and not _refers(value):
                stub[key] = value
            elif key == "items" and leaky:  # the kind of its items decides whether a default
                return None  # is copied: see `leak_stub`
            else:
                stub[key] = {}
        elif key == "additionalProperties" and isinstance(value, bool):
            stub[key] = value
        elif key not in _STUB_DROPPED:
            return None
    return stub


def _sketched_properties(
    properties: dict[str, Any], splitting: set[str], refs: set[str]
) -> dict[str, Any] | None:
    for name, schema in properties.items():
        if isinstance(schema, dict) and _flagged(schema):
            return {name: {flag: True for flag in _FLAGS if schema.get(flag) is True}}
    kept = {}
    for name, schema in properties.items():
        if _splits_through(schema, splitting):
            cut = _sketch(schema, splitting, refs, False)
            if cut is None:
                return None
            kept[name] = cut
    return kept


def _flagged(node: dict[str, Any]) -> bool:
    return any(node.get(flag) is True for flag in _FLAGS)


def _splits_through(node: Any, splitting: set[str]) -> bool:
    """Whether a flag or a `$ref` to a splitting component is anywhere in `node`."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if _flagged(node) or (isinstance(ref, str) and _target(ref) in splitting):
            return True
        return any(_splits_through(value, splitting) for value in node.values())
    return isinstance(node, list) and any(_splits_through(item, splitting) for item in node)


def _variant_stubs(
    texts: dict[str, str], facts: dict[str, SchemaFacts], splitting: set[str]
) -> dict[str, tuple[str, tuple[str, ...], bool]]:
    """Splitting component → its variant stub as JSON, the splitting components it refers to,
    and whether it has an inline object; only for those whose every such component has a
    variant stub too (the others are taken whole)."""
    found: dict[str, tuple[str, tuple[str, ...], bool]] = {}
    for name in splitting & texts.keys():
        schema = json.loads(texts[name])
        made = variant_stub(schema, splitting, facts[name].leaks)
        if made is not None:
            inline = isinstance(schema, dict) and _inline_object(schema, root=True)
            stub = json.dumps(made[0], ensure_ascii=False)
            found[name] = stub, tuple(sorted(made[1])), inline
    while missing := [n for n, (_, refs, _) in found.items() if not found.keys() >= set(refs)]:
        for name in missing:
            del found[name]
    return found


def _inline_object(node: Any, root: bool = False) -> bool:
    """Whether an object schema with properties is anywhere below the root of `node`."""
    if isinstance(node, dict):
        if "properties" in node and not root:
            return True
        return any(_inline_object(value) for value in node.values())
    return isinstance(node, list) and any(_inline_object(item) for item in node)


def _refers(node: Any) -> bool:
    if isinstance(node, dict):
        return "$ref" in node or any(_refers(value) for value in node.values())
    return isinstance(node, list) and any(_refers(item) for item in node)


# A schema a part only refers to by name goes in as an object without properties: referring
# fields read only its class name, and datamodel-code-generator makes a class without
# properties faster than a root model of `Any` (`{}`), whose type it works out: 1,000 such
# stubs, each with a field referring to it, 0.65 CPU s against 0.98 (about 0.3 ms a stub;
# GitHub's parts hold 1,848). The stub's own class is never kept (the join keeps home
# classes), and imports only it needed are unused, so ruff drops them.
NAME_STUB = '{"type": "object"}'


def _stub_text(fact: SchemaFacts) -> str:
    return fact.stub if fact.leaks and fact.stub is not None else NAME_STUB


def _leaks_into_referrers(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    nullable = schema.get("nullable") is True or (isinstance(kind, list) and "null" in kind)
    return nullable or "default" in schema


def _discriminated(node: dict[str, Any], discriminator: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    mapping = discriminator.get("mapping")
    if isinstance(mapping, dict):
        names |= {t for v in mapping.values() if isinstance(v, str) and (t := _target(v))}
    for key in ("oneOf", "anyOf"):
        for member in node.get(key) or []:
            ref = member.get("$ref") if isinstance(member, dict) else None
            if isinstance(ref, str) and (target := _target(ref)):
                names.add(target)
    return names


def _target(ref: str) -> str | None:
    if not ref.startswith(SCHEMA_PREFIX):
        return None
    tokens = split_pointer(ref[1:])
    return tokens[2] if len(tokens) >= 3 else None
