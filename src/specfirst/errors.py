"""Errors the pipeline reports to users: each knows where in which contract file it points."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A place in a contract file (1-based line and column)."""

    file: Path
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class SpecfirstError(Exception):
    """Base class for errors reported to the user (printed without a traceback)."""


class ConfigError(SpecfirstError):
    """`[tool.specfirst]` is missing or malformed."""


class UsageError(SpecfirstError):
    """A command was asked for something it cannot do (a package name no import can use, an
    output folder that is a file); the CLI exits 2."""


class ContractLoadError(SpecfirstError):
    """A contract could not be read: missing file, syntax error, dangling or cyclic `$ref`."""

    def __init__(
        self,
        message: str,
        *,
        file: Path,
        line: int = 1,
        column: int = 1,
        pointer: str = "",
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.pointer = pointer
        where = f"{file}:{line}:{column}"
        super().__init__(
            f"{where}: {pointer or '/'}: {message}" if pointer else f"{where}: {message}"
        )
