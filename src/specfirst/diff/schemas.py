"""Compare two schemas for one direction of data flow, following `$ref`s on both sides.

A request schema that accepts less than before breaks clients (they send what used to be valid); a
response schema that can hold more than before breaks clients (they receive what they never handled).
So every keyword change is read as a narrowing or a widening and classified by the direction.

Each compared pair of schemas (by their resolved pointers and the direction) is a node, compared once:
shared components are not compared again for every operation that uses them, ref cycles end at a node
already being compared, and which operations a change reaches is worked out afterwards from the graph.
"""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from specfirst.diff.model import Change, Direction, Level
from specfirst.loader import split_pointer
from specfirst.openapi import as_dict, as_list, child, resolve, schema_types

NodeKey = tuple[str, str, Direction]

DOC_KEYWORDS = ("title", "description", "example", "examples", "externalDocs", "$comment")
# keyword → True when a larger value accepts more (an upper bound), False for a lower bound
BOUNDS = {
    "maximum": True,
    "maxLength": True,
    "maxItems": True,
    "maxProperties": True,
    "minimum": False,
    "minLength": False,
    "minItems": False,
    "minProperties": False,
}
WIDER_FORMATS = {("int32", "int64"), ("float", "double"), ("int32", "double"), ("int64", "double")}
MAX_DEPTH = 400


def narrowing(direction: Direction) -> Level:
    """Accepting less breaks requests; returning less is fine."""
    return Level.BREAKING if direction is Direction.REQUEST else Level.NON_BREAKING


def widening(direction: Direction) -> Level:
    """Accepting more is fine; returning more breaks clients."""
    return Level.NON_BREAKING if direction is Direction.REQUEST else Level.BREAKING


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def component_name(pointer: str) -> str | None:
    tokens = split_pointer(pointer)
    if len(tokens) == 3 and tokens[0] == "components":
        return tokens[2]
    return None


@dataclass
class View:
    """A schema with its `allOf` parts merged: keywords, properties (with where each is written)."""

    node: dict[str, Any]
    pointer: str
    properties: dict[str, tuple[Any, str]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    is_bool: bool | None = None  # for boolean schemas (3.1)


@dataclass
class Node:
    changes: list[Change] = field(default_factory=list)
    children: set[NodeKey] = field(default_factory=set)


class SchemaComparer:
    """Compares schemas of two documents; `nodes` keeps every compared pair for attribution."""

    def __init__(self, base: dict[str, Any], head: dict[str, Any]) -> None:
        self.base = base
        self.head = head
        self.nodes: dict[NodeKey, Node] = {}
        self._depth = 0

    # -- entry point --------------------------------------------------------------------------------
    def compare(
        self,
        base_raw: Any,
        base_pointer: str,
        head_raw: Any,
        head_pointer: str,
        direction: Direction,
        label: str,
        context: str = "",
    ) -> NodeKey | None:
        """Compare two schemas; the key of their node (None when either side is not a schema)."""
        base_node, base_pointer = resolve(self.base, base_raw, base_pointer)
        head_node, head_pointer = resolve(self.head, head_raw, head_pointer)
        if not isinstance(base_node, dict | bool) or not isinstance(head_node, dict | bool):
            return None
        key = (base_pointer, head_pointer, direction)
        if key in self.nodes or self._depth > MAX_DEPTH:
            return key if key in self.nodes else None
        node = self.nodes[key] = Node()
        name = component_name(head_pointer) or component_name(base_pointer)
        if name is not None:
            label, context = name, f" in {direction.value}s"
        self._depth += 1
        try:
            _Pair(self, node, direction, label, context).run(
                self._view(self.base, base_node, base_pointer),
                self._view(self.head, head_node, head_pointer),
            )
        finally:
            self._depth -= 1
        return key

    # -- helpers ------------------------------------------------------------------------------------
    def _view(self, document: dict[str, Any], schema: Any, pointer: str, depth: int = 0) -> View:
        if isinstance(schema, bool):
            return View({}, pointer, is_bool=schema)
        view = View(
            {k: v for k, v in schema.items() if k != "allOf"},
            pointer,
            {
                name: (raw, child(pointer, "properties", name))
                for name, raw in as_dict(schema.get("properties")).items()
            },
            {r for r in as_list(schema.get("required")) if isinstance(r, str)},
        )
        for index, part_raw in enumerate(as_list(schema.get("allOf"))):
            part, part_pointer = resolve(document, part_raw, child(pointer, "allOf", index))
            if not isinstance(part, dict) or depth > 32:
                continue
            part_view = self._view(document, part, part_pointer, depth + 1)
            for key, value in part_view.node.items():
                view.node.setdefault(key, value)
            for name, entry in part_view.properties.items():
                view.properties.setdefault(name, entry)
            view.required |= part_view.required
        return view


class _Pair:
    """The comparison of one pair of schemas (one node)."""

    def __init__(
        self, owner: SchemaComparer, node: Node, direction: Direction, label: str, context: str
    ) -> None:
        self.owner = owner
        self.node = node
        self.direction = direction
        self.label = label
        self.context = context
        self.base_pointer = ""
        self.head_pointer = ""

    def add(
        self,
        level: Level,
        code: str,
        what: str,
        base: str | None = None,
        head: str | None = None,
        *,
        label: str | None = None,
    ) -> None:
        context = "" if level is Level.DOCS else self.context  # docs read the same both ways
        prefix = f"{label or self.label}{context}"
        scoped = code if level is Level.DOCS else f"{self.direction.value}-{code}"
        self.node.changes.append(
            Change(
                level,
                scoped,
                f"{prefix}: {what}",
                base if base is not None else self.base_pointer,
                head if head is not None else self.head_pointer,
            )
        )

    def recurse(
        self,
        base: tuple[Any, str],
        head: tuple[Any, str],
        label: str,
        direction: Direction | None = None,
    ) -> None:
        key = self.owner.compare(
            base[0], base[1], head[0], head[1], direction or self.direction, label, self.context
        )
        if key is not None:
            self.node.children.add(key)

    # -- the comparison -----------------------------------------------------------------------------
    def run(self, base: View, head: View) -> None:
        self.base_pointer, self.head_pointer = base.pointer, head.pointer
        if base.is_bool is not None or head.is_bool is not None:
            if base.is_bool != head.is_bool or base.node != head.node:
                self.add(Level.BREAKING, "schema-replaced", "schema replaced")
            return
        b, h = base.node, head.node
        self.docs(b, h)
        self.types(b, h)
        self.enums(b, h)
        self.formats(b, h)
        self.bounds(b, h)
        self.pattern(b, h)
        self.defaults(b, h)
        self.composition(b, h)
        self.objects(base, head)
        if "items" in b and "items" in h:
            self.recurse(
                (b["items"], child(base.pointer, "items")),
                (h["items"], child(head.pointer, "items")),
                f"{self.label}[]",
            )

    def docs(self, b: dict[str, Any], h: dict[str, Any]) -> None:
        for keyword in DOC_KEYWORDS:
            if b.get(keyword) != h.get(keyword):
                verb = "added" if keyword not in b else "removed" if keyword not in h else "changed"
                self.add(Level.DOCS, "docs-changed", f"{keyword} {verb}")
        if h.get("deprecated") is True and b.get("deprecated") is not True:
            self.add(Level.NON_BREAKING, "deprecated", "deprecated")

    def types(self, b: dict[str, Any], h: dict[str, Any]) -> None:
        before, after = schema_types(b).declared, schema_types(h).declared
        if before == after:
            return
        composed = ("oneOf", "anyOf")
        if not after:
            if not any(h.get(k) for k in composed):  # else "became oneOf" says it
                self.add(
                    widening(self.direction),
                    "type-widened",
                    f"type {_types(before)} removed (any type)",
                )
            return
        if not before:
            if not any(b.get(k) for k in composed):
                self.add(
                    narrowing(self.direction),
                    "type-narrowed",
                    f"type restricted to {_types(after)}",
                )
            return
        removed, added = set(before - after), set(after - before)
        # integer ⊂ number: integer → number widens, number → integer narrows
        if "integer" in removed and "number" in after:
            removed.discard("integer")
        if "integer" in added and "number" in before:
            added.discard("integer")
        if added == {"null"} and not removed:
            self.add(widening(self.direction), "became-nullable", "became nullable")
        elif removed == {"null"} and not added:
            self.add(narrowing(self.direction), "no-longer-nullable", "no longer nullable")
        elif added and removed:
            self.add(
                Level.BREAKING,
                "type-changed",
                f"type changed from {_types(before)} to {_types(after)}",
            )
        elif added:
            self.add(
                widening(self.direction),
                "type-widened",
                f"type widened from {_types(before)} to {_types(after)}",
            )
        elif removed:
            self.add(
                narrowing(self.direction),
                "type-narrowed",
                f"type narrowed from {_types(before)} to {_types(after)}",
            )

    def enums(self, b: dict[str, Any], h: dict[str, Any]) -> None:
        before, after = _enum(b), _enum(h)
        if before == after:
            return
        if before is None:
            self.add(
                narrowing(self.direction),
                "enum-added",
                f"values restricted to {', '.join(sorted(after or ()))}",
            )
            return
        if after is None:
            level = Level.NON_BREAKING if self.direction is Direction.REQUEST else Level.WARNING
            self.add(level, "enum-removed", "no longer restricted to an enum")
            return
        removed, added = sorted(before - after), sorted(after - before)
        if removed:
            self.add(
                narrowing(self.direction),
                "enum-value-removed",
                f"enum value{'s' if len(removed) > 1 else ''} {', '.join(removed)} removed",
            )
        if added:
            level = Level.NON_BREAKING if self.direction is Direction.REQUEST else Level.WARNING
            self.add(
                level,
                "enum-value-added",
                f"enum value{'s' if len(added) > 1 else ''} {', '.join(added)} added",
            )

    def formats(self, b: dict[str, Any], h: dict[str, Any]) -> None:
        before, after = b.get("format"), h.get("format")
        if before == after:
            return
        if before is None:
            self.add(narrowing(self.direction), "format-added", f"format {after} added")
        elif after is None:
            self.add(widening(self.direction), "format-removed", f"format {before} removed")
        elif (before, after) in WIDER_FORMATS:
            self.add(
                widening(self.direction),
                "format-widened",
                f"format widened from {before} to {after}",
            )
        elif (after, before) in WIDER_FORMATS:
            self.add(
                narrowing(self.direction),
                "format-narrowed",
                f"format narrowed from {before} to {after}",
            )
        else:
            self.add(Level.BREAKING, "format-changed", f"format changed from {before} to {after}")

    def bounds(self, b: dict[str, Any], h: dict[str, Any]) -> None:
        for keyword, upper in BOUNDS.items():
            if keyword in ("maximum", "minimum"):
                continue  # with exclusiveMaximum/exclusiveMinimum below
            before, after = _number(b.get(keyword)), _number(h.get(keyword))
            if before == after:
                continue
            if before is None:
                narrower = True
                what = f"{keyword} {_num(after)} added"
            elif after is None:
                narrower = False
                what = f"{keyword} {_num(before)} removed"
            else:
                narrower = after < before if upper else after > before
                verb = "lowered" if after < before else "raised"
                what = f"{keyword} {verb} from {_num(before)} to {_num(after)}"
            self.bound_change(narrower, what)
        for upper in (False, True):
            before_bound, after_bound = _bound(b, upper=upper), _bound(h, upper=upper)
            if before_bound == after_bound:
                continue
            name = "maximum" if upper else "minimum"
            if before_bound is None:
                assert after_bound is not None
                self.bound_change(True, f"{name} {_show_bound(after_bound)} added")
            elif after_bound is None:
                self.bound_change(False, f"{name} {_show_bound(before_bound)} removed")
            else:
                (b_value, b_excl), (a_value, a_excl) = before_bound, after_bound
                if a_value == b_value:
                    narrower = a_excl and not b_excl
                else:
                    narrower = a_value < b_value if upper else a_value > b_value
                self.bound_change(
                    narrower,
                    f"{name} changed from {_show_bound(before_bound)} to {_show_bound(after_bound)}",
                )
        before_m, after_m = _number(b.get("multipleOf")), _number(h.get("multipleOf"))
        if before_m != after_m:
            if before_m is None or after_m is None:
                self.bound_change(
                    after_m is not None, f"multipleOf {'added' if after_m else 'removed'}"
                )
            elif after_m % before_m == 0:
                self.bound_change(
                    True, f"multipleOf changed from {_num(before_m)} to {_num(after_m)}"
                )
            elif before_m % after_m == 0:
                self.bound_change(
                    False, f"multipleOf changed from {_num(before_m)} to {_num(after_m)}"
                )
            else:
                self.add(
                    Level.BREAKING,
                    "constraint-changed",
                    f"multipleOf changed from {_num(before_m)} to {_num(after_m)}",
                )
        if bool(b.get("uniqueItems")) != bool(h.get("uniqueItems")):
            self.bound_change(
                bool(h.get("uniqueItems")),
                f"uniqueItems {'set' if h.get('uniqueItems') else 'cleared'}",
            )

    def bound_change(self, narrower: bool, what: str) -> None:
        if narrower:
            self.add(narrowing(self.direction), "constraint-narrowed", what)
        else:
            self.add(widening(self.direction), "constraint-widened", what)

    def pattern(self, b: dict[str, Any], h: dict[str, Any]) -> None:
        before, after = b.get("pattern"), h.get("pattern")
        if before == after:
            return
        if before is None:
            self.add(narrowing(self.direction), "pattern-added", f"pattern {after} added")
        elif after is None:
            self.add(widening(self.direction), "pattern-removed", f"pattern {before} removed")
        else:
            self.add(Level.BREAKING, "pattern-changed", f"pattern changed from {before} to {after}")

    def defaults(self, b: dict[str, Any], h: dict[str, Any]) -> None:
        if self.direction is Direction.REQUEST and b.get("default") != h.get("default"):
            before = _show(b["default"]) if "default" in b else "none"
            after = _show(h["default"]) if "default" in h else "none"
            self.add(Level.WARNING, "default-changed", f"default changed from {before} to {after}")

    def composition(self, b: dict[str, Any], h: dict[str, Any]) -> None:
        for keyword in ("oneOf", "anyOf"):
            before, after = as_list(b.get(keyword)), as_list(h.get(keyword))
            if not before and not after:
                continue
            if before and after:
                self.alternatives(keyword, before, after)
            elif after:
                self.add(
                    widening(self.direction) if _types_fit(b, h) else Level.BREAKING,
                    "alternatives-added",
                    f"became {keyword} with {len(after)} alternatives",
                )
            else:
                self.add(
                    narrowing(self.direction) if _types_fit(h, b) else Level.BREAKING,
                    "alternatives-removed",
                    f"no longer {keyword}",
                )
        before_d = as_dict(b.get("discriminator")).get("propertyName")
        after_d = as_dict(h.get("discriminator")).get("propertyName")
        if before_d != after_d and before_d is not None and after_d is not None:
            self.add(
                Level.BREAKING,
                "discriminator-changed",
                f"discriminator changed from {before_d} to {after_d}",
            )

    def alternatives(self, keyword: str, before: list[Any], after: list[Any]) -> None:
        """Pair alternatives by what they name (component, allOf of components, title), then by
        the properties they share, then by position; report the rest as added or removed."""
        base_pointer, head_pointer = self.base_pointer, self.head_pointer
        b_refs = [_alternative_name(x) for x in before]
        h_refs = [_alternative_name(x) for x in after]
        pairs: list[tuple[int, int]] = []
        left_b = list(range(len(before)))
        left_h = list(range(len(after)))
        h_index: dict[str, list[int]] = {}
        for j, ref in enumerate(h_refs):
            if ref is not None:
                h_index.setdefault(ref, []).append(j)
        for i, ref in enumerate(b_refs):
            candidates = h_index.get(ref, []) if ref is not None else []
            if candidates:  # the same component may be listed twice: pair them in order
                j = candidates.pop(0)
                pairs.append((i, j))
                left_b.remove(i)
                left_h.remove(j)
        unnamed_b = [i for i in left_b if b_refs[i] is None]
        unnamed_h = [j for j in left_h if h_refs[j] is None]
        for i in unnamed_b:
            b_props = _property_names(before[i])
            b_types = schema_types(as_dict(before[i])).declared
            scored = [
                (
                    _overlap(b_props, _property_names(after[j])),
                    b_types == schema_types(as_dict(after[j])).declared,
                    -abs(i - j),
                    j,
                )
                for j in unnamed_h
            ]
            best = max(scored, default=None)
            if best is None or (b_props and best[0] < 0.5):
                continue
            j = best[3]
            pairs.append((i, j))
            unnamed_h.remove(j)
            left_b.remove(i)
            left_h.remove(j)
        for i, j in pairs:
            name = b_refs[i] or f"{keyword}[{i}]"
            self.recurse(
                (before[i], child(base_pointer, keyword, i)),
                (after[j], child(head_pointer, keyword, j)),
                f"{self.label}<{name}>",
            )
        for i in left_b:
            self.add(
                narrowing(self.direction),
                "alternative-removed",
                f"{keyword} alternative {b_refs[i] or i} removed",
                child(base_pointer, keyword, i),
                head_pointer,
            )
        for j in left_h:
            self.add(
                widening(self.direction),
                "alternative-added",
                f"{keyword} alternative {h_refs[j] or j} added",
                base_pointer,
                child(head_pointer, keyword, j),
            )

    def objects(self, base: View, head: View) -> None:
        docs = (self.owner.base, self.owner.head)
        b_props = {n: e for n, e in base.properties.items() if self.visible(docs[0], e[0])}
        h_props = {n: e for n, e in head.properties.items() if self.visible(docs[1], e[0])}
        b_req = base.required & set(b_props) if b_props else base.required
        h_req = head.required & set(h_props) if h_props else head.required
        closed = head.node.get("additionalProperties") is False
        request = self.direction is Direction.REQUEST
        for name in sorted(set(b_props) | set(h_props)):
            label = f"{self.label}.{name}"
            if name not in h_props:
                b_ptr = b_props[name][1]
                if request:
                    level = Level.BREAKING if closed else Level.WARNING
                    what = "property removed" + (
                        " (sending it is now rejected)" if closed else " (it is now ignored)"
                    )
                else:
                    level, what = Level.BREAKING, "property removed"
                self.add(level, "property-removed", what, b_ptr, head.pointer, label=label)
            elif name not in b_props:
                h_ptr = h_props[name][1]
                if request and name in h_req:
                    self.add(
                        Level.BREAKING,
                        "required-property-added",
                        "new required property",
                        base.pointer,
                        h_ptr,
                        label=label,
                    )
                else:
                    self.add(
                        Level.NON_BREAKING,
                        "property-added",
                        "new optional property" if request else "new property",
                        base.pointer,
                        h_ptr,
                        label=label,
                    )
            else:
                b_ptr, h_ptr = b_props[name][1], h_props[name][1]
                was, now = name in b_req, name in h_req
                if was and not now:
                    self.add(
                        Level.NON_BREAKING if request else Level.BREAKING,
                        "property-became-optional",
                        "became optional",
                        b_ptr,
                        h_ptr,
                        label=label,
                    )
                elif now and not was:
                    self.add(
                        Level.BREAKING if request else Level.NON_BREAKING,
                        "property-became-required",
                        "became required",
                        b_ptr,
                        h_ptr,
                        label=label,
                    )
                self.recurse(b_props[name], h_props[name], label)
        b_add, h_add = base.node.get("additionalProperties"), head.node.get("additionalProperties")
        if isinstance(b_add, dict) and isinstance(h_add, dict):
            self.recurse(
                (b_add, child(base.pointer, "additionalProperties")),
                (h_add, child(head.pointer, "additionalProperties")),
                f"{self.label}{{*}}",
            )
        elif b_add is not False and h_add is False and request:
            self.add(
                Level.BREAKING, "additional-properties-closed", "no longer accepts other properties"
            )

    def visible(self, document: dict[str, Any], raw: Any) -> bool:
        """readOnly properties are not sent; writeOnly ones are not received."""
        schema, _ = resolve(document, raw, "")
        schema = as_dict(schema)
        hidden = "readOnly" if self.direction is Direction.REQUEST else "writeOnly"
        return schema.get(hidden) is not True


def _types(types: AbstractSet[str]) -> str:
    return " | ".join(sorted(types))


def _enum(schema: dict[str, Any]) -> set[str] | None:
    if "const" in schema:
        return {_show(schema["const"])}
    values = schema.get("enum")
    if isinstance(values, list):
        return {_show(v) for v in values if v is not None or schema.get("nullable") is not True}
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _num(value: float | None) -> str:
    return "none" if value is None else (str(int(value)) if value == int(value) else str(value))


Bound = tuple[float, bool]  # (value, exclusive)


def _bound(schema: dict[str, Any], *, upper: bool) -> Bound | None:
    """A range end in 3.1 terms: 3.0's `minimum: 0, exclusiveMinimum: true` equals 3.1's
    `exclusiveMinimum: 0`, so migrating a contract between versions is no change."""
    inclusive = _number(schema.get("maximum" if upper else "minimum"))
    flag = schema.get("exclusiveMaximum" if upper else "exclusiveMinimum")
    exclusive = _number(flag)
    candidates: list[Bound] = []
    if inclusive is not None:
        candidates.append((inclusive, flag is True))
    if exclusive is not None:
        candidates.append((exclusive, True))
    if not candidates:
        return None
    # the tighter end wins; at the same value an exclusive end is tighter
    if upper:
        return min(candidates, key=lambda c: (c[0], not c[1]))
    return max(candidates, key=lambda c: (c[0], c[1]))


def _show_bound(bound: Bound) -> str:
    return f"{_num(bound[0])}{' (exclusive)' if bound[1] else ''}"


def _ref_of(raw: Any) -> str | None:
    ref = as_dict(raw).get("$ref")
    if isinstance(ref, str):
        return component_name(ref.lstrip("#")) or ref
    return None


def _alternative_name(raw: Any) -> str | None:
    """What an alternative names: its component, the components it combines, or its title."""
    named = _ref_of(raw)
    if named is not None:
        return named
    node = as_dict(raw)
    parts = [_ref_of(part) for part in as_list(node.get("allOf"))]
    if parts and all(parts):
        return " + ".join(p for p in parts if p)
    title = node.get("title")
    return f"'{title}'" if isinstance(title, str) and title else None


def _property_names(raw: Any) -> frozenset[str]:
    return frozenset(as_dict(as_dict(raw).get("properties")))


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _types_fit(narrow: dict[str, Any], wide: dict[str, Any]) -> bool:
    """Does the non-composed side's type appear among the composed side's alternatives?"""
    mine = schema_types(narrow).declared
    theirs: set[str] = set()
    for alternative in as_list(wide.get("oneOf")) + as_list(wide.get("anyOf")):
        theirs |= schema_types(as_dict(alternative)).declared
        if "$ref" in narrow and as_dict(alternative).get("$ref") == narrow["$ref"]:
            return True
    return bool(mine) and mine <= theirs
