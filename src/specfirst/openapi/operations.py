"""The operations of a document, their parameters after merging, and their security.

One rule each:
- an operation is a mapping under one of the eight HTTP methods of a path item whose key starts
  with `/` (`x-` keys of the Paths object are extensions); a path item behind a `$ref` is followed;
- an operation's parameters are its path item's, overridden by its own with the same `in` and
  `name` (OpenAPI 3: "a unique parameter is defined by a combination of a name and location"),
  header names compared without case (HTTP field names are case-insensitive); the merged list keeps
  the path item's order, then the operation's new ones;
- an operation's security is its own `security` when it has the key (an empty list included),
  else the document's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from specfirst.openapi.pointers import as_dict, as_list, child, pointer_to
from specfirst.openapi.refs import References

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PARAMETER_LOCATIONS = ("path", "query", "header", "cookie")
PATH_TEMPLATE = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class Operation:
    """One operation of the contract with where it lives (pointers into the bundled document)."""

    path: str
    method: str
    pointer: str
    node: dict[str, Any]
    path_item: dict[str, Any]
    path_item_pointer: str

    @property
    def label(self) -> str:
        """`GET /tasks/{task_id}`: how reviewers name an operation."""
        return f"{self.method.upper()} {self.path}"

    @property
    def operation_id(self) -> str | None:
        value = self.node.get("operationId")
        return value if isinstance(value, str) and value else None


def iter_operations(
    document: Mapping[str, Any], refs: References | None = None
) -> Iterator[Operation]:
    """Every operation under `paths`, in document order, methods in `HTTP_METHODS` order."""
    refs = refs or References(document)
    for path, raw_item in as_dict(document.get("paths")).items():
        if isinstance(path, str) and path.startswith("/"):
            yield from path_item_operations(refs, path, raw_item, pointer_to("paths", path))


def iter_webhooks(
    document: Mapping[str, Any], refs: References | None = None
) -> Iterator[Operation]:
    """Every operation under `webhooks` (3.1); `path` is the webhook's name."""
    refs = refs or References(document)
    for name, raw_item in as_dict(document.get("webhooks")).items():
        yield from path_item_operations(refs, str(name), raw_item, pointer_to("webhooks", name))


def path_item_operations(
    refs: References, path: str, raw_item: Any, pointer: str
) -> Iterator[Operation]:
    """The operations of one path item (written at `pointer`, followed if it is a `$ref`)."""
    item, item_pointer = refs.resolve(raw_item, pointer)
    if not isinstance(item, dict):
        return
    for method in HTTP_METHODS:
        node = item.get(method)
        if isinstance(node, dict):
            yield Operation(
                path=path,
                method=method,
                pointer=child(item_pointer, method),
                node=node,
                path_item=item,
                path_item_pointer=item_pointer,
            )


@dataclass(frozen=True)
class Parameter:
    """An operation's parameter after `$ref` resolution and path-level/operation-level merging."""

    name: str
    location: str  # the `in` value
    node: dict[str, Any]
    pointer: str  # where the parameter object is written (the `$ref` target for shared ones)
    site: str  # where the operation lists it (the entry of its `parameters` array)

    @property
    def key(self) -> tuple[str, str]:
        """What makes a parameter unique: (`in`, name), header names in lower case."""
        return parameter_key(self.location, self.name)

    @property
    def required(self) -> bool:
        return self.node.get("required") is True


def parameter_key(location: str, name: str) -> tuple[str, str]:
    return location, name.lower() if location == "header" else name


def effective_parameters(
    document: Mapping[str, Any], op: Operation, refs: References | None = None
) -> tuple[Parameter, ...]:
    """The parameters `op` takes: path-item ones overridden by the operation's (module docstring).

    Entries that are no parameter object (a dangling `$ref`, no string `name` or `in`) are skipped:
    the validator reports them.
    """
    refs = refs or References(document)
    merged: dict[tuple[str, str], Parameter] = {}
    sources = (
        (op.path_item.get("parameters"), child(op.path_item_pointer, "parameters")),
        (op.node.get("parameters"), child(op.pointer, "parameters")),
    )
    for entries, base in sources:
        for index, raw in enumerate(as_list(entries)):
            site = child(base, index)
            node, pointer = refs.resolve(raw, site)
            if not isinstance(node, dict):
                continue
            name, location = node.get("name"), node.get("in")
            if not isinstance(name, str) or not isinstance(location, str):
                continue
            merged[parameter_key(location, name)] = Parameter(name, location, node, pointer, site)
    return tuple(merged.values())


def effective_security(document: Mapping[str, Any], op: Operation) -> list[dict[str, Any]]:
    """The operation's security requirements (its own, else the document's), mappings only."""
    value = op.node["security"] if "security" in op.node else document.get("security")
    return [req for req in as_list(value) if isinstance(req, dict)]


def status_class(status: str) -> str | None:
    """`"404"` and `"4XX"` → `"4"`; `"default"` and junk → None."""
    text = str(status).upper()
    if len(text) == 3 and text[0] in "12345" and (text[1:].isdigit() or text[1:] == "XX"):
        return text[0]
    return None
