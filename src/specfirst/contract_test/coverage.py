"""The coverage summary: which operations and declared responses a run actually saw.

A declared response counts as exercised when some answer of its operation had that status (a
range key such as `4XX` takes any status of its class; `default` any status not declared
otherwise). Declared responses never seen are listed with the reason from the settings
(`unreachable`, keyed `"operationId status"` or `"* status"`) where one is known.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from specfirst.openapi import iter_operations


@dataclass(frozen=True)
class Declared:
    operation: str
    method: str
    path: str
    status: str  # "200", "4XX", "default"


@dataclass
class ResponseCoverage:
    operation: str
    status: str
    seen: int
    reason: str | None = None


@dataclass
class OperationCoverage:
    operation: str
    method: str
    path: str
    requests: int
    responses: list[ResponseCoverage] = field(default_factory=list)
    undeclared: dict[int, int] = field(default_factory=dict)


@dataclass
class Coverage:
    operations: list[OperationCoverage]

    @property
    def operations_exercised(self) -> int:
        return sum(1 for op in self.operations if op.requests)

    @property
    def declared(self) -> list[ResponseCoverage]:
        return [r for op in self.operations for r in op.responses]

    @property
    def missing(self) -> list[ResponseCoverage]:
        return [r for r in self.declared if not r.seen]

    @property
    def unexplained(self) -> list[ResponseCoverage]:
        return [r for r in self.missing if not r.reason]

    def to_json(self) -> str:
        return json.dumps(
            {
                "operations": len(self.operations),
                "operations_exercised": self.operations_exercised,
                "declared_responses": len(self.declared),
                "declared_responses_seen": len(self.declared) - len(self.missing),
                "detail": [asdict(op) for op in self.operations],
            },
            indent=2,
        )

    def to_markdown(self) -> str:
        declared = len(self.declared)
        lines = [
            f"Operations exercised: {self.operations_exercised}/{len(self.operations)}; "
            f"declared responses seen: {declared - len(self.missing)}/{declared}.",
            "",
            "| operation | requests | declared responses seen | never seen |",
            "|---|---:|---|---|",
        ]
        for op in self.operations:
            seen = ", ".join(f"{r.status} (x{r.seen})" for r in op.responses if r.seen)
            never = ", ".join(r.status for r in op.responses if not r.seen) or "-"
            lines.append(f"| `{op.operation}` | {op.requests} | {seen or '-'} | {never} |")
        if self.missing:
            lines += ["", "Declared responses never seen:", ""]
            for r in self.missing:
                lines.append(f"- `{r.operation}` {r.status}: {r.reason or 'no reason known'}")
        undeclared = [
            (op.operation, s, n) for op in self.operations for s, n in op.undeclared.items()
        ]
        if undeclared:
            lines += ["", "Undeclared statuses answered (each is also a finding):", ""]
            lines += [f"- `{op}` {status} (x{n})" for op, status, n in undeclared]
        return "\n".join(lines) + "\n"


def declared_responses(contract: Mapping[str, Any]) -> Iterator[Declared]:
    for op in iter_operations(contract):
        name = str(op.node.get("operationId") or op.label)
        for status in op.node.get("responses") or {}:
            yield Declared(name, op.method.upper(), op.path, str(status))


def _matches(key: str, status: int) -> bool:
    if key.isdigit():
        return int(key) == status
    if len(key) == 3 and key[0].isdigit() and key[1:].upper() == "XX":
        return status // 100 == int(key[0])
    return False


def summarize(
    contract: Mapping[str, Any],
    seen: Counter[tuple[str, int]],
    reasons: Mapping[str, str] | None = None,
) -> Coverage:
    reasons = reasons or {}
    by_operation: dict[str, OperationCoverage] = {}
    declared_keys: dict[str, list[str]] = {}
    for item in declared_responses(contract):
        if item.operation not in by_operation:
            by_operation[item.operation] = OperationCoverage(
                item.operation, item.method, item.path, 0
            )
        declared_keys.setdefault(item.operation, []).append(item.status)
    for name, op in by_operation.items():
        statuses = {status: count for (o, status), count in seen.items() if o == name}
        op.requests = sum(statuses.values())
        keys = declared_keys[name]
        explicit = [k for k in keys if k != "default"]
        for key in keys:
            if key == "default":
                count = sum(
                    n for s, n in statuses.items() if not any(_matches(k, s) for k in explicit)
                )
            else:
                count = sum(n for s, n in statuses.items() if _matches(key, s))
            reason = None if count else reasons.get(f"{name} {key}") or reasons.get(f"* {key}")
            op.responses.append(ResponseCoverage(name, key, count, reason))
        if "default" not in keys:
            op.undeclared = {
                s: n for s, n in sorted(statuses.items()) if not any(_matches(k, s) for k in keys)
            }
    return Coverage(list(by_operation.values()))
