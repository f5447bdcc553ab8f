"""What validation reports: one issue per problem, at the place a reviewer has to edit."""

from __future__ import annotations

from dataclasses import dataclass

from specfirst.errors import Location


@dataclass(frozen=True)
class ValidationIssue:
    """One problem in a contract.

    `pointer` is a JSON pointer into the bundled document ("" for the root); `location` is where
    that node was written (possibly in a file reached through a `$ref`).
    """

    pointer: str
    message: str
    location: Location

    def __str__(self) -> str:
        return f"{self.location}: {self.pointer or '/'}: {self.message}"


@dataclass(frozen=True)
class Finding:
    """An issue before it is located in a file.

    `raw` is the message openapi-spec-validator itself gives for the same problem (kept so the
    equivalence with the library can be checked); `related` points at a second node worth naming
    in the message (the first use of a duplicated operationId).
    """

    pointer: str
    message: str
    raw: str
    related: str | None = None
