"""The service methods a contract change touches, named and typed exactly as `specfirst generate` does.

The generator's own view model (`specfirst.generator.build.ViewBuilder`) is built for both versions,
so the Protocol, method name, keyword arguments and return type shown here are the generated ones. The
model classes are not generated for a diff (that needs datamodel-code-generator and takes time), so
every schema is taken to have one class; readOnly/writeOnly `...Request`/`...Response` variants show
under their base name.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from specfirst.diff.compare import match_operations

# Modules left off the types shown: the diff names classes, not where they live.
_SHORT = frozenset({"models", "responses", "security"})


class _EveryClass(set[str]):
    """Stands in for the set of generated model classes: every name is taken as generated."""

    def __contains__(self, name: object) -> bool:
        return True


@dataclass(frozen=True)
class Method:
    protocol: str
    name: str
    arguments: tuple[str, ...]  # `self`, `*`, `task_id: str`, ...
    returns: tuple[str, ...]  # the members of the return annotation's union

    @property
    def qualified(self) -> str:
        return f"{self.protocol}.{self.name}"

    @property
    def signature(self) -> str:
        """`async def get_task(self, *, ...) -> Task | GetTask404Response` on one line."""
        return f"async def {self.name}({', '.join(self.arguments)}) -> {' | '.join(self.returns)}"

    def lines(self) -> list[str]:
        """The signature one argument and one returned type per line, for a readable diff."""
        out = [f"async def {self.name}("]
        out += [f"    {argument}," for argument in self.arguments]
        if len(self.returns) == 1:
            return [*out, f") -> {self.returns[0]}: ..."]
        out.append(") -> (")
        out += [f"    {'| ' if i else ''}{member}" for i, member in enumerate(self.returns)]
        return [*out, "): ..."]


def signature_diff(
    before: Method | None, after: Method | None, *, context: int | None = None
) -> list[str]:
    """`before` → `after` as diff lines (`  `, `- `, `+ ` prefixes). With `context`, unchanged runs
    keep that many lines next to a change (and the first line) and fold the rest into `  ...`."""
    old = before.lines() if before is not None else []
    new = after.lines() if after is not None else []
    out: list[str] = []
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            same = old[i1:i2]
            if context is not None and len(same) > 2 * context + 2:
                head = same[: max(context, 1)] if index == 0 else same[:context]
                tail = same[len(same) - context :] if index < len(opcodes) - 1 else []
                same = [*head, "    ...", *tail]
            out += [f"  {line}" for line in same]
            continue
        out += [f"- {line}" for line in old[i1:i2]]
        out += [f"+ {line}" for line in new[j1:j2]]
    return out


@dataclass(frozen=True)
class MethodChange:
    operation: str  # "GET /tasks/{task_id}"
    before: Method | None
    after: Method | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        if self.before.qualified != self.after.qualified:
            return "renamed"
        return "changed"


def service_methods(document: dict[str, Any]) -> dict[tuple[str, str], Method]:
    """(method, path) → the generated service method. Raises what the generator raises."""
    from specfirst.generator.build import ViewBuilder, plan_models
    from specfirst.generator.source import python_type, service_signature

    api = ViewBuilder(
        document,
        plan_models(document),
        _EveryClass(),
        package="api",
        contract_path="",
        contract_sha256="",
    ).build()
    methods: dict[tuple[str, str], Method] = {}
    for tag in api.tags:
        for op in tag.operations:
            methods[(op.method.lower(), op.path)] = Method(
                tag.protocol_name,
                op.python_name,
                tuple(service_signature(op, _SHORT)),
                tuple(python_type(member, _SHORT) for member in op.returns),
            )
    return methods


def method_changes(
    base: dict[str, Any],
    head: dict[str, Any],
    before: dict[tuple[str, str], Method] | None = None,
    after: dict[tuple[str, str], Method] | None = None,
) -> list[MethodChange]:
    """Methods added, removed, renamed or with another signature, in contract order."""
    before = service_methods(base) if before is None else before
    after = service_methods(head) if after is None else after
    pairs, removed, added = match_operations(base, head)
    changes: list[MethodChange] = []
    for b_op, h_op in pairs:
        b_method = before.get((b_op.method, b_op.path))
        h_method = after.get((h_op.method, h_op.path))
        if b_method != h_method:
            changes.append(MethodChange(h_op.label, b_method, h_method))
    changes += [MethodChange(op.label, before.get((op.method, op.path)), None) for op in removed]
    changes += [MethodChange(op.label, None, after.get((op.method, op.path))) for op in added]
    return changes
