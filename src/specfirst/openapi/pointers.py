"""JSON pointers into a bundled document: building them and finding the node one names.

The token escaping itself (`~0`, `~1`) is the loader's; this module adds what readers of a document
need on top: a pointer from tokens, a child pointer, and the node at a pointer (or None).
"""

from __future__ import annotations

from typing import Any

from specfirst.loader import escape_pointer_token, join_pointer, split_pointer

__all__ = [
    "as_dict",
    "as_list",
    "child",
    "escape_pointer_token",
    "find",
    "join_pointer",
    "node_at",
    "pointer_to",
    "split_pointer",
]


def pointer_to(*tokens: str) -> str:
    """The JSON pointer for `tokens` (each escaped): `pointer_to("paths", "/a")` is `/paths/~1a`."""
    return join_pointer(list(tokens))


def child(pointer: str, *tokens: str | int) -> str:
    """`pointer` extended by `tokens`."""
    return pointer + join_pointer([str(t) for t in tokens])


def find(document: Any, pointer: str) -> tuple[bool, Any]:
    """(True, the node at `pointer`), or (False, None) when the pointer does not lead anywhere.

    A list is entered by a decimal index in range.
    """
    node = document
    for token in split_pointer(pointer):
        if isinstance(node, dict):
            if token not in node:
                return False, None
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def node_at(document: Any, pointer: str) -> Any:
    """The node at `pointer`, or None when the pointer does not lead anywhere."""
    return find(document, pointer)[1]


def as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is a mapping, else an empty one (so readers can chain lookups)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """`value` when it is a list, else an empty one."""
    return value if isinstance(value, list) else []
