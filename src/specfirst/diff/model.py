"""What a contract diff reports: changes with a level, a stable code, a message and both locations."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Level(StrEnum):
    """How a change affects existing clients."""

    BREAKING = "breaking"
    WARNING = "warning"  # may break some clients (e.g. a response enum gained a value)
    NON_BREAKING = "non-breaking"
    DOCS = "docs"  # descriptions, summaries, examples: no effect on the wire

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Level.BREAKING: 3, Level.WARNING: 2, Level.NON_BREAKING: 1, Level.DOCS: 0}


class Direction(StrEnum):
    """Which way data flows through a schema: the client sends it, or the client receives it."""

    REQUEST = "request"
    RESPONSE = "response"


@dataclass
class Change:
    """One difference between base and head.

    `base` and `head` are JSON pointers into the two bundled documents: where the changed thing is, or
    for something added (removed), where it would be in base (was in head) — its parent.
    """

    level: Level
    code: str
    message: str
    base: str | None
    head: str | None
    operations: set[str] = field(default_factory=set)  # "GET /tasks" labels this change reaches
    base_location: str | None = None  # "file:line" as the user named the version
    head_location: str | None = None

    @property
    def key(self) -> tuple[str, str, str | None, str | None]:
        return (self.code, self.message, self.base, self.head)
