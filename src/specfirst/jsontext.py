"""JSON text → data with located errors: duplicate keys, nesting too deep, integers too long.

`json.loads` keeps the last of duplicate keys silently, stops with `RecursionError` on deep nesting
and `ValueError` on an integer of more than 4,300 digits; nesting deeper than `MAX_DEPTH` would stop
later stages. Each becomes a `ContractLoadError` at the line of the fault. Finding the place costs a
scan of the text, made only when something is wrong; the checks themselves cost about 0.07 s of
CPU on GitHub's 7 MB contract (duplicate keys 0.03 s, depth 0.04 s), beside 0.06 s for parsing.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from specfirst.errors import ContractLoadError

# Nested collections: the deepest contract of the corpus has 24 levels; jsonschema-rs stops with
# "Recursion limit reached" on invalid documents from about 250. (YAML and JSON alike: `yaml12`.)
MAX_DEPTH = 128
MAX_INT_DIGITS = 4300  # Python's int-from-string limit (sys.get_int_max_str_digits)

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_LONG_INT = re.compile(rf"(?<![\w.\"])-?[0-9]{{{MAX_INT_DIGITS + 1},}}")


_Hook = Callable[[list[tuple[str, Any]]], dict[str, Any]]


def _duplicate_keys() -> tuple[_Hook, list[tuple[dict[str, Any], str]]]:
    """An `object_pairs_hook` that builds dicts as `json.loads` does, and the list where it
    puts `(dict, key)` for each dict that had a duplicated key (the first one). A plain function
    with its names bound at definition: called once per object (80,000 times for GitHub's
    contract), it costs 0.02-0.03 s less than an instance's `__call__`."""
    found: list[tuple[dict[str, Any], str]] = []

    def hook(
        pairs: list[tuple[str, Any]], dict: type[dict[str, Any]] = dict, len: Any = len
    ) -> dict[str, Any]:
        built = dict(pairs)
        if len(built) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    found.append((built, key))
                    break
                seen.add(key)
        return built

    return hook, found


def load_json(raw: bytes, path: Path, known: Known | None = None) -> Any:
    """The data of a JSON document (a UTF-8 BOM is allowed); `ContractLoadError` at the fault.

    `known`: `(start, end, depth)` when all of `raw` but `raw[start:end]` is known to pass
    these checks (the bytes a past load accepted, with that span, one member's value `depth`
    levels down, changed: `generator.pydantic_models.ahead.known_span`). Then only the span
    is checked for duplicate keys and depth, beside a plain `json.loads` (0.06 s less for
    GitHub's contract): objects wholly outside the span are byte for byte ones that passed,
    and those around it have their keys outside it. Any doubt, and every fault, goes the
    full way, so the errors are the same."""
    if known is not None:
        data = _known_json(raw, known)
        if data is not None:
            return data
    hook, duplicated = _duplicate_keys()
    try:
        data = json.loads(raw, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        raise ContractLoadError(
            f"JSON syntax error: {exc.msg}", file=path, line=exc.lineno, column=exc.colno
        ) from None
    except UnicodeDecodeError:
        raise ContractLoadError("not UTF-8 text", file=path) from None
    except RecursionError:
        line, column = _too_deep(_text(raw))
        raise ContractLoadError(
            f"nested more than {MAX_DEPTH} levels deep", file=path, line=line, column=column
        ) from None
    except ValueError:  # an integer literal longer than Python converts
        line, column = _long_integer(_text(raw))
        raise ContractLoadError(
            f"integer literal of more than {MAX_INT_DIGITS} digits is too long; quote it to keep"
            " it as a string",
            file=path,
            line=line,
            column=column,
        ) from None
    if duplicated:
        raise _duplicate(data, *duplicated[0], raw, path)
    if not depth_within(data, MAX_DEPTH):
        line, column = _too_deep(_text(raw))
        raise ContractLoadError(
            f"nested more than {MAX_DEPTH} levels deep", file=path, line=line, column=column
        )
    return data


Known = tuple[int, int, int]


def _known_json(raw: bytes, known: Known) -> Any:
    """`load_json`'s data, checked only in the span `known` names; None when in doubt."""
    start, end, depth = known
    hook, duplicated = _duplicate_keys()
    try:
        data = json.loads(raw)
        value = json.loads(raw[start:end], object_pairs_hook=hook)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError too
        return None
    if duplicated or not depth_within(value, MAX_DEPTH - depth):
        return None
    return data


def depth_within(root: Any, limit: int) -> bool:
    """Breadth first, one level at a time: the next level is what `gc.get_referents` finds in
    this one's dicts and lists (their values and items, gathered in C: the keys of a dict of
    string keys are not visited, and would be dropped as strings anyway), of which only the
    dicts and lists are kept (0.04 s for GitHub's 7 MB, 0.06 s with a Python loop per node)."""
    level, depth = [root] if type(root) is dict or type(root) is list else [], 1
    while level:
        if depth > limit:
            return False
        children = gc.get_referents(*level)
        level = [v for v in children if type(v) is dict or type(v) is list]
        depth += 1
    return True


def _text(raw: bytes) -> str:
    return raw.decode("utf-8-sig", errors="replace")


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _too_deep(text: str) -> tuple[int, int]:
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _line_column(text, match.start())
        elif token in "]}":
            depth -= 1
    return 1, 1


def _long_integer(text: str) -> tuple[int, int]:
    match = _LONG_INT.search(text)
    return _line_column(text, match.start()) if match else (1, 1)


def _duplicate(
    data: Any, mapping: dict[str, Any], key: str, raw: bytes, path: Path
) -> ContractLoadError:
    """The error for `key` written twice in `mapping`, at both places."""
    from specfirst.loader import escape_pointer_token, json_key_offsets

    pointer = _pointer_of(data, mapping)
    text = _text(raw)
    offsets = json_key_offsets(text, pointer, key) if pointer is not None else []
    if len(offsets) < 2:
        return ContractLoadError(f"duplicate key {key!r}", file=path)
    first, second = (_line_column(text, offset) for offset in offsets[:2])
    return ContractLoadError(
        f"duplicate key {key!r}: already at {path}:{first[0]}:{first[1]}",
        file=path,
        line=second[0],
        column=second[1],
        pointer=(pointer or "") + "/" + escape_pointer_token(key),
    )


def _pointer_of(data: Any, target: dict[str, Any]) -> str | None:
    """The JSON pointer of the `target` object inside `data` (found by identity)."""
    from specfirst.loader import escape_pointer_token

    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, pointer = stack.pop()
        if node is target:
            return pointer
        if isinstance(node, dict):
            stack.extend(
                (value, f"{pointer}/{escape_pointer_token(key)}")
                for key, value in node.items()
                if isinstance(value, dict | list)
            )
        elif isinstance(node, list):
            stack.extend(
                (value, f"{pointer}/{index}")
                for index, value in enumerate(node)
                if isinstance(value, dict | list)
            )
    return None
