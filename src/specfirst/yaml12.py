"""YAML text → JSON data, as YAML 1.2 (the version OpenAPI names) reads it, with located errors.

PyYAML resolves plain scalars by YAML 1.1: `yes`, `no`, `on`, `off`, `y`, `n` become booleans, `012`
an octal number, `2024-01-01` a date, `1_000` a number. OpenAPI documents are YAML 1.2, where those
are strings (or the decimal 12); a property named `no` must stay `"no"`. libyaml (PyYAML's C parser)
still does the parsing and composing; resolution follows the 1.2 core schema, and the node graph is
turned into data here, without recursion, so that:

- a mapping key written twice is an error at both places (YAML forbids it; PyYAML kept the last);
- keys are the text the author wrote (`200`, `yes`, `01` stay as written);
- aliases cannot blow up: what they would expand to is counted first (nodes and characters), and
  a document over the limits is refused at the line of the alias that crosses them;
- nesting deeper than `MAX_DEPTH` and integer literals Python refuses to convert are located errors,
  not `RecursionError` or `ValueError` tracebacks later.

The `<<` merge key (YAML 1.1, widely used with anchors in OpenAPI files) is still honoured.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from specfirst.errors import ContractLoadError
from specfirst.jsontext import MAX_DEPTH as MAX_DEPTH  # nesting limit, JSON and YAML alike
from specfirst.jsontext import MAX_INT_DIGITS as MAX_INT_DIGITS

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available

# What aliases may add to a document when expanded (JSON has no aliases: a document's size is its
# expansion there). A 13 KB "billion laughs" expands to 10^9 nodes; real contracts add a few thousand.
MAX_ALIAS_NODES = 1_000_000
MAX_ALIAS_CHARS = 16_000_000

_TAG = "tag:yaml.org,2002:"
_NULL, _BOOL, _INT, _FLOAT, _STR = (_TAG + t for t in ("null", "bool", "int", "float", "str"))
_MAP, _SEQ, _MERGE = _TAG + "map", _TAG + "seq", _TAG + "merge"
# Explicit tags whose value is kept as its text (JSON has no dates or bytes).
_AS_TEXT = frozenset({_STR, _TAG + "timestamp", _TAG + "binary"})


_CORE = (
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (_INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        _FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
    (_MERGE, r"^<<$", ["<"]),
)
# first character of a plain scalar → the (tag, pattern) pairs that may match it, in order
_RESOLVERS: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _tag, _pattern, _first in _CORE:
    for _char in _first:
        _RESOLVERS.setdefault(_char, []).append((_tag, re.compile(_pattern)))


class _Yaml12Loader(_Base):  # type: ignore[misc]
    """libyaml parser and composer with the YAML 1.2 core schema's implicit resolution."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, pattern in _RESOLVERS.get(value[:1], ()):
                    if pattern.match(value):
                        return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


# A document can only expand through aliases if it has an anchor and an alias (cheap pre-check).
_ANCHOR = re.compile(rb"(?:^|[\s\[{,:-])&[^\s,\[\]{}]", re.MULTILINE)
_ALIAS = re.compile(rb"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]", re.MULTILINE)


def load_yaml(raw: bytes, path: Path) -> Any:
    """The JSON-compatible data of one YAML document; `ContractLoadError` at the fault otherwise."""
    return loaded_yaml(raw, path)[0]


def loaded_yaml(raw: bytes, path: Path) -> tuple[Any, bool]:
    """`load_yaml`'s data, and whether the document used an alias (`yaml_splice` reuses only
    data where none was). Aliases are looked for only where the bytes may hold one and an
    anchor (`_ANCHOR`, `_ALIAS`: markdown's `**bold**` and `R&D` match too): the data is built
    noting every node it reaches, and only at a node reached twice (what an alias gives) is
    the expansion counted (`_check_alias_expansion`, a second parse: 0.5 s on GitHub's
    contract) before it is built again. Until that node, each node was reached once, so the
    build costs what the document's size does, however its merges nest."""
    try:
        root = yaml.compose(raw, Loader=_Yaml12Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        raise ContractLoadError(
            f"YAML syntax error: {message}",
            file=path,
            line=mark.line + 1 if mark else 1,
            column=mark.column + 1 if mark else 1,
        ) from None
    except yaml.YAMLError as exc:
        raise ContractLoadError(f"YAML error: {exc}", file=path) from None
    if root is None:
        return None, False
    if not (_ANCHOR.search(raw) and _ALIAS.search(raw)):
        return _Builder(path).build(root), False
    try:
        return _Builder(path, noting=True).build(root), False
    except _AliasUsedError:
        _check_alias_expansion(raw, path)
    return _Builder(path).build(root), True


class _AliasUsedError(Exception):
    """A node reached twice while building with `noting`: the document uses an alias."""


def _error(path: Path, mark: Any, message: str) -> ContractLoadError:
    return ContractLoadError(message, file=path, line=mark.line + 1, column=mark.column + 1)


def _check_alias_expansion(raw: bytes, path: Path) -> None:
    """Refuse a document whose aliases would expand past the limits, at the alias that crosses them.

    Linear in the events: each anchor's expanded size is counted once, when its node closes.
    """
    anchors: dict[str, tuple[int, int]] = {}
    open_nodes: list[list[Any]] = []  # [anchor, nodes, chars] of each open collection
    added_nodes = added_chars = 0
    for event in yaml.parse(raw, Loader=_Yaml12Loader):
        if isinstance(event, yaml.ScalarEvent):
            size = (1, len(event.value))
            if event.anchor:
                anchors[event.anchor] = size
        elif isinstance(event, yaml.CollectionStartEvent):
            open_nodes.append([event.anchor, 1, 0])
            continue
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, nodes, chars = open_nodes.pop()
            size = (nodes, chars)
            if anchor:
                anchors[anchor] = size
        elif isinstance(event, yaml.AliasEvent):
            size = anchors.get(str(event.anchor), (1, 0))
            added_nodes += size[0]
            added_chars += size[1]
            if added_nodes > MAX_ALIAS_NODES or added_chars > MAX_ALIAS_CHARS:
                raise _error(
                    path,
                    event.start_mark,
                    f"alias *{event.anchor} expands the document past the limit (aliases may add"
                    f" at most {MAX_ALIAS_NODES:,} nodes and {MAX_ALIAS_CHARS:,} characters)",
                )
        else:
            continue
        if open_nodes:
            open_nodes[-1][1] += size[0]
            open_nodes[-1][2] += size[1]


class _Builder:
    """Node graph → data, breadth by breadth (no recursion); aliased collections are shared."""

    def __init__(self, path: Path, noting: bool = False) -> None:
        self.path = path
        self.built: dict[int, Any] = {}
        self.queue: list[tuple[yaml.Node, Any, int]] = []
        # With `noting`, the ids of the nodes reached so far: one reached again raises `_AliasUsedError`.
        self.reached: set[int] | None = set() if noting else None

    def build(self, root: yaml.Node) -> Any:
        value = self.value(root, 1)
        while self.queue:
            node, container, depth = self.queue.pop()
            if isinstance(container, list):
                container.extend(self.value(item, depth + 1) for item in node.value)
            else:
                assert isinstance(node, yaml.MappingNode)
                self.fill(node, container, depth)
        return value

    def value(self, node: yaml.Node, depth: int) -> Any:
        if self.reached is not None:
            self.reach(node)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        known = self.built.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            raise _error(self.path, node.start_mark, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise self.unsupported(node)
            container: Any = {}
        else:
            if node.tag != _SEQ:
                raise self.unsupported(node)
            container = []
        self.built[id(node)] = container
        self.queue.append((node, container, depth))
        return container

    def fill(self, node: yaml.MappingNode, mapping: dict[str, Any], depth: int) -> None:
        own: dict[str, yaml.Node] = {}
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self.merge_pairs(value_node))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _error(self.path, key_node.start_mark, "a mapping key must be a scalar")
            key = str(key_node.value)
            first = own.get(key)
            if first is not None:
                raise _error(
                    self.path,
                    key_node.start_mark,
                    f"duplicate key {key!r}: already at {self.path}:{first.start_mark.line + 1}:"
                    f"{first.start_mark.column + 1}",
                )
            own[key] = key_node
            mapping[key] = value_node  # a placeholder, to keep the written order
        for key_node, value_node in merged:
            key = str(key_node.value)
            if key not in own and key not in mapping:
                mapping[key] = value_node
        for key, child in mapping.items():
            mapping[key] = self.value(child, depth + 1)

    def merge_pairs(self, node: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
        """The pairs a `<<` value brings in (a mapping or a list of mappings; earlier ones win)."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        for source in sources:
            if self.reached is not None:
                self.reach(source)
            if not isinstance(source, yaml.MappingNode):
                raise _error(self.path, source.start_mark, "a merge key (<<) needs a mapping")
            for key_node, value_node in source.value:
                if key_node.tag == _MERGE:
                    pairs.extend(self.merge_pairs(value_node))
                elif isinstance(key_node, yaml.ScalarNode):
                    pairs.append((key_node, value_node))
        return pairs

    def reach(self, node: yaml.Node) -> None:
        assert self.reached is not None
        key = id(node)
        if key in self.reached:
            raise _AliasUsedError
        self.reached.add(key)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag in _AS_TEXT:
            return text
        try:
            if tag == _INT:
                return self.integer(node)
            if tag == _FLOAT:
                lowered = text.lower()
                if lowered.endswith((".inf", ".nan")):
                    return float(lowered.replace(".", ""))
                return float(text)
            if tag == _NULL:
                return None
            if tag == _BOOL:
                return text.lower() == "true"
        except ValueError:
            kind = tag[len(_TAG) :]
            raise _error(self.path, node.start_mark, f"{text[:40]!r} is not a {kind}") from None
        raise self.unsupported(node)

    def integer(self, node: yaml.ScalarNode) -> int:
        text = str(node.value)
        digits = text.lstrip("+-")
        if len(digits) > min(MAX_INT_DIGITS, sys.get_int_max_str_digits() or MAX_INT_DIGITS):
            raise _error(
                self.path,
                node.start_mark,
                f"integer literal of {len(digits):,} digits is too long (at most {MAX_INT_DIGITS});"
                " quote it to keep it as a string",
            )
        if digits.startswith("0o"):
            return int(digits[2:], 8)
        if digits.startswith("0x"):
            return int(digits[2:], 16)
        return int(text, 10)

    def unsupported(self, node: yaml.Node) -> ContractLoadError:
        return _error(
            self.path,
            node.start_mark,
            f"YAML tag {node.tag!r} is not supported: a contract holds JSON-compatible data",
        )
