"""Compare two bundled contracts operation by operation: what changed, and how bad it is for clients.

Operations are matched by method and path shape (`/tasks/{}`: renaming a path parameter is not a new
path), then by operationId (a moved operation). Within an operation: parameters by location and name,
the request body by media type, responses by status and media type; schemas go to `SchemaComparer`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from specfirst.diff.model import Change, Direction, Level
from specfirst.diff.schemas import NodeKey, SchemaComparer
from specfirst.loader import join_pointer, split_pointer
from specfirst.openapi import (
    PATH_TEMPLATE,
    Operation,
    Parameter,
    as_dict,
    child,
    effective_parameters,
    effective_security,
    iter_operations,
    node_at,
    pointer_to,
    resolve,
    status_class,
)

_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


def path_shape(path: str) -> str:
    """`/tasks/{task_id}` → `/tasks/{}`: the shape clients call, whatever the parameter is named."""
    return PATH_TEMPLATE.sub("{}", path)


OpKey = tuple[str, str]  # (method, path shape)


def match_operations(
    base: dict[str, Any], head: dict[str, Any]
) -> tuple[list[tuple[Operation, Operation]], list[Operation], list[Operation]]:
    """(matched pairs, only in base, only in head)."""
    base_ops = {(op.method, path_shape(op.path)): op for op in iter_operations(base)}
    head_ops = {(op.method, path_shape(op.path)): op for op in iter_operations(head)}
    pairs = [(base_ops[k], head_ops[k]) for k in base_ops if k in head_ops]
    removed = [op for k, op in base_ops.items() if k not in head_ops]
    added = [op for k, op in head_ops.items() if k not in base_ops]
    by_id = {op.operation_id: op for op in added if op.operation_id}
    for op in list(removed):
        moved = by_id.get(op.operation_id) if op.operation_id else None
        if moved is not None and moved.method == op.method:
            pairs.append((op, moved))
            removed.remove(op)
            added.remove(moved)
    return pairs, removed, added


@dataclass
class DiffResult:
    changes: list[Change]
    base_version: str | None
    head_version: str | None

    def count(self, level: Level) -> int:
        return sum(1 for c in self.changes if c.level is level)


class ContractDiff:
    """One comparison of a base and a head document."""

    def __init__(self, base: dict[str, Any], head: dict[str, Any]) -> None:
        self.base = base
        self.head = head
        self.schemas = SchemaComparer(base, head)
        self.changes: list[Change] = []
        self.roots: dict[NodeKey, set[str]] = {}
        self._op = ""

    def run(self) -> DiffResult:
        self.info()
        pairs, removed, added = match_operations(self.base, self.head)
        for op in removed:
            self.add(
                Level.BREAKING,
                "operation-removed",
                f"{op.label} removed",
                op.pointer,
                _parent_in(self.head, op.pointer),
                label=op.label,
            )
        for op in added:
            self.add(
                Level.NON_BREAKING,
                "operation-added",
                f"{op.label} added",
                _parent_in(self.base, op.pointer),
                op.pointer,
                label=op.label,
            )
        for base_op, head_op in pairs:
            self.operation(base_op, head_op)
        self.security_schemes()
        return DiffResult(self.collect(), _version(self.base), _version(self.head))

    # -- recording ----------------------------------------------------------------------------------
    def add(
        self,
        level: Level,
        code: str,
        message: str,
        base: str | None,
        head: str | None,
        *,
        label: str | None = None,
    ) -> None:
        op = label if label is not None else self._op
        self.changes.append(Change(level, code, message, base, head, {op} if op else set()))

    def schema(
        self,
        base: tuple[Any, str],
        head: tuple[Any, str],
        direction: Direction,
        label: str,
    ) -> None:
        key = self.schemas.compare(base[0], base[1], head[0], head[1], direction, label)
        if key is not None:
            self.roots.setdefault(key, set()).add(self._op)

    def collect(self) -> list[Change]:
        """Operation-level changes plus schema changes, each with the operations it reaches."""
        parents: dict[NodeKey, set[NodeKey]] = {}
        for key, node in self.schemas.nodes.items():
            for kid in node.children:
                parents.setdefault(kid, set()).add(key)
        merged: dict[tuple[str, str, str | None, str | None], Change] = {}
        for change in self.changes:
            _merge(merged, change)
        for key, node in self.schemas.nodes.items():
            if not node.changes:
                continue
            reached = self._operations_reaching(key, parents)
            for change in node.changes:
                change.operations |= reached
                _merge(merged, change)
        return sorted(
            merged.values(), key=lambda c: (-c.level.rank, sorted(c.operations), c.message)
        )

    def _operations_reaching(self, key: NodeKey, parents: dict[NodeKey, set[NodeKey]]) -> set[str]:
        found: set[str] = set()
        seen = {key}
        queue = deque([key])
        while queue:
            current = queue.popleft()
            found |= self.roots.get(current, set())
            for parent in parents.get(current, ()):
                if parent not in seen:
                    seen.add(parent)
                    queue.append(parent)
        return found

    # -- document level -----------------------------------------------------------------------------
    def info(self) -> None:
        b_info, h_info = as_dict(self.base.get("info")), as_dict(self.head.get("info"))
        for key in ("title", "description", "summary", "termsOfService", "contact", "license"):
            if b_info.get(key) != h_info.get(key):
                self.add(Level.DOCS, "docs-changed", f"info.{key} changed", "/info", "/info")
        b_urls = [s.get("url") for s in _dicts(self.base.get("servers"))]
        h_urls = [s.get("url") for s in _dicts(self.head.get("servers"))]
        for index, url in enumerate(b_urls):
            if url not in h_urls:
                self.add(
                    Level.WARNING,
                    "server-removed",
                    f"server {url} removed",
                    pointer_to("servers", str(index)),
                    "/servers" if h_urls else "",
                )
        for index, url in enumerate(h_urls):
            if url not in b_urls:
                self.add(
                    Level.NON_BREAKING,
                    "server-added",
                    f"server {url} added",
                    "/servers" if b_urls else "",
                    pointer_to("servers", str(index)),
                )

    def security_schemes(self) -> None:
        self._op = ""
        b_schemes = as_dict(as_dict(self.base.get("components")).get("securitySchemes"))
        h_schemes = as_dict(as_dict(self.head.get("components")).get("securitySchemes"))
        for name in sorted(set(b_schemes) & set(h_schemes)):
            b_scheme, b_ptr = resolve(
                self.base, b_schemes[name], pointer_to("components", "securitySchemes", name)
            )
            h_scheme, h_ptr = resolve(
                self.head, h_schemes[name], pointer_to("components", "securitySchemes", name)
            )
            b_scheme, h_scheme = as_dict(b_scheme), as_dict(h_scheme)
            for key in sorted(set(b_scheme) | set(h_scheme)):
                if key == "description" or key.startswith("x-"):
                    continue
                if b_scheme.get(key) != h_scheme.get(key):
                    self.add(
                        Level.BREAKING,
                        "security-scheme-changed",
                        f"security scheme {name}: {key} changed",
                        child(b_ptr, key) if key in b_scheme else b_ptr,
                        child(h_ptr, key) if key in h_scheme else h_ptr,
                    )

    # -- operation level ----------------------------------------------------------------------------
    def operation(self, b: Operation, h: Operation) -> None:
        self._op = h.label
        if path_shape(b.path) != path_shape(h.path):
            self.add(
                Level.BREAKING,
                "operation-moved",
                f"{b.label} moved to {h.label}",
                b.pointer,
                h.pointer,
            )
        if b.operation_id != h.operation_id:
            self.add(
                Level.BREAKING,
                "operation-id-changed",
                f"{h.label}: operationId changed from {b.operation_id} to {h.operation_id}"
                " (generated clients and the service method are renamed)",
                child(b.pointer, "operationId"),
                child(h.pointer, "operationId"),
            )
        if h.node.get("deprecated") is True and b.node.get("deprecated") is not True:
            self.add(
                Level.NON_BREAKING,
                "operation-deprecated",
                f"{h.label} deprecated",
                b.pointer,
                child(h.pointer, "deprecated"),
            )
        b_tags, h_tags = b.node.get("tags") or [], h.node.get("tags") or []
        if b_tags[:1] != h_tags[:1]:
            self.add(
                Level.NON_BREAKING,
                "operation-tag-changed",
                f"{h.label}: tag changed from {b_tags[:1] or 'none'} to {h_tags[:1] or 'none'}"
                " (the method moves to another service Protocol)",
                child(b.pointer, "tags"),
                child(h.pointer, "tags"),
            )
        for key in ("summary", "description"):
            if b.node.get(key) != h.node.get(key):
                self.add(
                    Level.DOCS,
                    "docs-changed",
                    f"{h.label}: {key} changed",
                    child(b.pointer, key),
                    child(h.pointer, key),
                )
        self.security(b, h)
        self.parameters(b, h)
        self.request_body(b, h)
        self.responses(b, h)

    def security(self, b: Operation, h: Operation) -> None:
        before = _requirements(effective_security(self.base, b))
        after = _requirements(effective_security(self.head, h))
        if before == after:
            return
        b_ptr = child(b.pointer, "security") if "security" in b.node else "/security"
        h_ptr = child(h.pointer, "security") if "security" in h.node else "/security"
        open_before = not before or frozenset() in before
        open_after = not after or frozenset() in after
        if open_after and not open_before:
            level, what = Level.NON_BREAKING, "no longer requires credentials"
        elif open_before and not open_after:
            level, what = Level.BREAKING, f"now requires credentials ({_show_security(after)})"
        elif before <= after:
            level, what = Level.NON_BREAKING, "accepts more credentials"
        else:
            level = Level.BREAKING
            what = f"security changed from {_show_security(before)} to {_show_security(after)}"
        self.add(level, "security-changed", f"{h.label}: {what}", b_ptr, h_ptr)

    def parameters(self, b: Operation, h: Operation) -> None:
        b_params = {_param_key(b, p): p for p in effective_parameters(self.base, b)}
        h_params = {_param_key(h, p): p for p in effective_parameters(self.head, h)}
        removed = [k for k in b_params if k not in h_params]
        added = [k for k in h_params if k not in b_params]
        for key in list(removed):
            bp = b_params[key]
            moved = next((k for k in added if h_params[k].name.lower() == bp.name.lower()), None)
            renamed = None
            if moved is None:
                same_place = [k for k in added if h_params[k].location == bp.location]
                same_schema = [
                    k
                    for k in same_place
                    if _schema_of(self.head, h_params[k]) == _schema_of(self.base, bp)
                ]
                if (
                    len(same_place) == 1
                    and len([k for k in removed if b_params[k].location == bp.location]) == 1
                    and same_schema
                ):
                    renamed = same_place[0]
            partner = moved if moved is not None else renamed
            if partner is None:
                self.add(
                    Level.WARNING,
                    "request-parameter-removed",
                    f"{h.label}: {bp.location} parameter {bp.name} removed (clients sending it are"
                    " ignored)",
                    bp.site,
                    child(h.pointer, "parameters") if "parameters" in h.node else h.pointer,
                )
                continue
            added.remove(partner)
            hp = h_params[partner]
            if moved is not None:
                what = f"{bp.location} parameter {bp.name} moved to {hp.location}"
                self.add(
                    Level.BREAKING,
                    "request-parameter-moved",
                    f"{h.label}: {what}",
                    bp.site,
                    hp.site,
                )
            else:
                what = f"{bp.location} parameter {bp.name} renamed to {hp.name}"
                self.add(
                    Level.BREAKING,
                    "request-parameter-renamed",
                    f"{h.label}: {what}",
                    bp.site,
                    hp.site,
                )
        for key in added:
            hp = h_params[key]
            required = hp.required or hp.location == "path"
            self.add(
                Level.BREAKING if required else Level.NON_BREAKING,
                "request-parameter-required-added" if required else "request-parameter-added",
                f"{h.label}: new {'required' if required else 'optional'} {hp.location} parameter"
                f" {hp.name}",
                child(b.pointer, "parameters") if "parameters" in b.node else b.pointer,
                hp.site,
            )
        for key in sorted(b_params.keys() & h_params.keys()):
            self.parameter(h, b_params[key], h_params[key])

    def parameter(self, h: Operation, bp: Parameter, hp: Parameter) -> None:
        label = f"{hp.location} parameter {hp.name}"
        if bp.location == "path" and bp.name != hp.name:
            self.add(
                Level.BREAKING,
                "request-parameter-renamed",
                f"{h.label}: path parameter {bp.name} renamed to {hp.name}",
                bp.pointer,
                hp.pointer,
            )
        if hp.required and not bp.required:
            self.add(
                Level.BREAKING,
                "request-parameter-became-required",
                f"{h.label}: {label} became required",
                bp.pointer,
                child(hp.pointer, "required"),
            )
        elif bp.required and not hp.required:
            self.add(
                Level.NON_BREAKING,
                "request-parameter-became-optional",
                f"{h.label}: {label} became optional",
                child(bp.pointer, "required"),
                hp.pointer,
            )
        for key, fallback in (
            ("style", _DEFAULT_STYLE.get(bp.location)),
            ("explode", None),
            ("allowReserved", False),
        ):
            b_value = bp.node.get(key, fallback)
            h_value = hp.node.get(key, fallback)
            if key == "explode":
                b_value = bp.node.get(key, bp.node.get("style", "form") == "form")
                h_value = hp.node.get(key, hp.node.get("style", "form") == "form")
            if b_value != h_value:
                self.add(
                    Level.BREAKING,
                    "request-parameter-serialization-changed",
                    f"{h.label}: {label}: {key} changed from {b_value} to {h_value}",
                    bp.pointer,
                    hp.pointer,
                )
        if bp.node.get("description") != hp.node.get("description"):
            self.add(
                Level.DOCS,
                "docs-changed",
                f"{h.label}: {label}: description changed",
                bp.pointer,
                hp.pointer,
            )
        if hp.node.get("deprecated") is True and bp.node.get("deprecated") is not True:
            self.add(
                Level.NON_BREAKING,
                "request-parameter-deprecated",
                f"{h.label}: {label} deprecated",
                bp.pointer,
                hp.pointer,
            )
        if "schema" in bp.node and "schema" in hp.node:
            self.schema(
                (bp.node["schema"], child(bp.pointer, "schema")),
                (hp.node["schema"], child(hp.pointer, "schema")),
                Direction.REQUEST,
                f"{h.label}: {label}",
            )
        else:
            self.content(
                h,
                (bp.node.get("content"), child(bp.pointer, "content")),
                (hp.node.get("content"), child(hp.pointer, "content")),
                Direction.REQUEST,
                label,
            )

    def request_body(self, b: Operation, h: Operation) -> None:
        b_body, b_ptr = resolve(
            self.base, b.node.get("requestBody"), child(b.pointer, "requestBody")
        )
        h_body, h_ptr = resolve(
            self.head, h.node.get("requestBody"), child(h.pointer, "requestBody")
        )
        if not isinstance(b_body, dict) and not isinstance(h_body, dict):
            return
        if not isinstance(b_body, dict):
            required = as_dict(h_body).get("required") is True
            self.add(
                Level.BREAKING if required else Level.NON_BREAKING,
                "request-body-added",
                f"{h.label}: new {'required' if required else 'optional'} request body",
                b.pointer,
                h_ptr,
            )
            return
        if not isinstance(h_body, dict):
            self.add(
                Level.WARNING,
                "request-body-removed",
                f"{h.label}: request body removed (clients sending one are ignored)",
                b_ptr,
                h.pointer,
            )
            return
        if h_body.get("required") is True and b_body.get("required") is not True:
            self.add(
                Level.BREAKING,
                "request-body-became-required",
                f"{h.label}: request body became required",
                b_ptr,
                child(h_ptr, "required"),
            )
        elif b_body.get("required") is True and h_body.get("required") is not True:
            self.add(
                Level.NON_BREAKING,
                "request-body-became-optional",
                f"{h.label}: request body became optional",
                child(b_ptr, "required"),
                h_ptr,
            )
        self.content(
            h,
            (b_body.get("content"), child(b_ptr, "content")),
            (h_body.get("content"), child(h_ptr, "content")),
            Direction.REQUEST,
            "request body",
        )

    def content(
        self,
        h: Operation,
        base: tuple[Any, str],
        head: tuple[Any, str],
        direction: Direction,
        label: str,
    ) -> None:
        b_content, h_content = as_dict(base[0]), as_dict(head[0])
        side = "request" if direction is Direction.REQUEST else "response"
        for media_type in b_content:
            if media_type not in h_content:
                self.add(
                    Level.BREAKING,
                    f"{side}-media-type-removed",
                    f"{h.label}: {label}: media type {media_type} removed",
                    child(base[1], media_type),
                    head[1],
                )
        for media_type in h_content:
            if media_type not in b_content:
                self.add(
                    Level.NON_BREAKING,
                    f"{side}-media-type-added",
                    f"{h.label}: {label}: media type {media_type} added",
                    base[1],
                    child(head[1], media_type),
                )
                continue
            b_media, b_ptr = resolve(self.base, b_content[media_type], child(base[1], media_type))
            h_media, h_ptr = resolve(self.head, h_content[media_type], child(head[1], media_type))
            b_media, h_media = as_dict(b_media), as_dict(h_media)
            if "schema" in b_media and "schema" in h_media:
                self.schema(
                    (b_media["schema"], child(b_ptr, "schema")),
                    (h_media["schema"], child(h_ptr, "schema")),
                    direction,
                    f"{h.label}: {label}" + (f" ({media_type})" if len(h_content) > 1 else ""),
                )

    def responses(self, b: Operation, h: Operation) -> None:
        b_responses = {str(k).upper(): (k, v) for k, v in as_dict(b.node.get("responses")).items()}
        h_responses = {str(k).upper(): (k, v) for k, v in as_dict(h.node.get("responses")).items()}
        b_root, h_root = child(b.pointer, "responses"), child(h.pointer, "responses")
        for status, (raw_key, _) in b_responses.items():
            if status not in h_responses:
                self.add(
                    Level.BREAKING,
                    "response-status-removed",
                    f"{h.label}: response {raw_key} removed",
                    child(b_root, raw_key),
                    h_root,
                )
        for status, (raw_key, _) in h_responses.items():
            if status not in b_responses:
                success = status_class(status) == "2"
                self.add(
                    Level.WARNING if success else Level.NON_BREAKING,
                    "response-status-added",
                    f"{h.label}: response {raw_key} added"
                    + (" (clients may not expect this success status)" if success else ""),
                    b_root,
                    child(h_root, raw_key),
                )
        for status in sorted(b_responses.keys() & h_responses.keys()):
            b_key, b_raw = b_responses[status]
            h_key, h_raw = h_responses[status]
            b_resp, b_ptr = resolve(self.base, b_raw, child(b_root, b_key))
            h_resp, h_ptr = resolve(self.head, h_raw, child(h_root, h_key))
            b_resp, h_resp = as_dict(b_resp), as_dict(h_resp)
            label = f"response {h_key}"
            self.headers(h, (b_resp, b_ptr), (h_resp, h_ptr), label)
            self.content(
                h,
                (b_resp.get("content"), child(b_ptr, "content")),
                (h_resp.get("content"), child(h_ptr, "content")),
                Direction.RESPONSE,
                label,
            )
            if b_resp.get("description") != h_resp.get("description"):
                self.add(
                    Level.DOCS,
                    "docs-changed",
                    f"{h.label}: {label}: description changed",
                    b_ptr,
                    h_ptr,
                )

    def headers(
        self,
        h: Operation,
        base: tuple[dict[str, Any], str],
        head: tuple[dict[str, Any], str],
        label: str,
    ) -> None:
        b_headers = {k.lower(): (k, v) for k, v in as_dict(base[0].get("headers")).items()}
        h_headers = {k.lower(): (k, v) for k, v in as_dict(head[0].get("headers")).items()}
        b_root, h_root = child(base[1], "headers"), child(head[1], "headers")
        for name, (raw_name, _) in b_headers.items():
            if name not in h_headers:
                self.add(
                    Level.BREAKING,
                    "response-header-removed",
                    f"{h.label}: {label}: header {raw_name} removed",
                    child(b_root, raw_name),
                    head[1],
                )
        for name, (raw_name, _) in h_headers.items():
            if name not in b_headers:
                self.add(
                    Level.NON_BREAKING,
                    "response-header-added",
                    f"{h.label}: {label}: header {raw_name} added",
                    base[1],
                    child(h_root, raw_name),
                )
        for name in sorted(b_headers.keys() & h_headers.keys()):
            b_name, b_raw = b_headers[name]
            h_name, h_raw = h_headers[name]
            b_header, b_ptr = resolve(self.base, b_raw, child(b_root, b_name))
            h_header, h_ptr = resolve(self.head, h_raw, child(h_root, h_name))
            b_header, h_header = as_dict(b_header), as_dict(h_header)
            if b_header.get("required") is True and h_header.get("required") is not True:
                self.add(
                    Level.BREAKING,
                    "response-header-became-optional",
                    f"{h.label}: {label}: header {h_name} became optional",
                    b_ptr,
                    h_ptr,
                )
            if "schema" in b_header and "schema" in h_header:
                self.schema(
                    (b_header["schema"], child(b_ptr, "schema")),
                    (h_header["schema"], child(h_ptr, "schema")),
                    Direction.RESPONSE,
                    f"{h.label}: {label}: header {h_name}",
                )


def _merge(merged: dict[tuple[str, str, str | None, str | None], Change], change: Change) -> None:
    existing = merged.get(change.key)
    if existing is None:
        merged[change.key] = change
    else:
        existing.operations |= change.operations
        if change.level.rank > existing.level.rank:
            existing.level = change.level


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _version(document: dict[str, Any]) -> str | None:
    version = as_dict(document.get("info")).get("version")
    return str(version) if version is not None else None


def _parent_in(document: dict[str, Any], pointer: str) -> str:
    """The deepest prefix of `pointer` that exists in `document` (where something was or would be)."""
    tokens = split_pointer(pointer)
    while tokens and node_at(document, join_pointer(tokens)) is None:
        tokens.pop()
    return join_pointer(tokens)


def _param_key(op: Operation, param: Parameter) -> tuple[str, str]:
    if param.location == "path":
        names = PATH_TEMPLATE.findall(op.path)
        if param.name in names:
            return ("path", f"#{names.index(param.name)}")  # by position: renames are caught
    return (param.location, param.name.lower() if param.location == "header" else param.name)


def _schema_of(document: dict[str, Any], param: Parameter) -> Any:
    schema, _ = resolve(document, param.node.get("schema"), "")
    return schema


Requirement = frozenset[tuple[str, frozenset[str]]]


def _requirements(requirements: Iterable[dict[str, Any]]) -> frozenset[Requirement]:
    return frozenset(
        frozenset(
            (
                str(name),
                frozenset(str(s) for s in scopes) if isinstance(scopes, list) else frozenset(),
            )
            for name, scopes in req.items()
        )
        for req in requirements
    )


def _show_security(requirements: frozenset[Requirement]) -> str:
    if not requirements:
        return "none"
    parts = []
    for req in sorted(requirements, key=lambda r: sorted(n for n, _ in r)):
        if not req:
            parts.append("anonymous")
            continue
        items = [
            f"{name}[{', '.join(sorted(scopes))}]" if scopes else name
            for name, scopes in sorted(req, key=lambda x: x[0])
        ]
        parts.append(" + ".join(items))
    return " or ".join(parts)
