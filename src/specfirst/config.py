"""The project's `[tool.specfirst]` table: which APIs exist, where their contracts and packages live.

Every key is declared once below (`PROJECT_KEYS`, `API_KEYS`) with its type and default; the table
is checked against them before anything reads it, so a malformed table is reported by key and
expected type (`docs/configuration.md` lists the same keys; a test keeps the two in step). Plain
Python rather than a pydantic model: every command reads this table, and importing pydantic would
double the time of a no-op `specfirst generate`.
"""

from __future__ import annotations

import difflib
import keyword
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specfirst.errors import ConfigError

__all__ = [
    "API_KEYS",
    "FIELD_NAMES",
    "MODEL_SCOPES",
    "PROJECT_KEYS",
    "ApiConfig",
    "ConfigError",
    "Key",
    "ProjectConfig",
    "load_config",
]


MODEL_SCOPES = ("all", "operations")
# How model fields are named in Python: snake_case with the wire name as alias, or the wire name
# itself (aliased only where it is no identifier).
FIELD_NAMES = ("snake_case", "wire")

_TYPE_NAMES: dict[type, str] = {str: "a string", dict: "a table", list: "an array of tables"}


@dataclass(frozen=True)
class Key:
    """One key of the table: its TOML type, whether it is required, its default and choices."""

    name: str
    type: type
    required: bool = False
    default: object = None
    choices: tuple[str, ...] = ()
    identifier: bool = False  # a string that must be a Python package name
    open_table: bool = False  # a table whose own keys another module checks


PROJECT_KEYS: tuple[Key, ...] = (
    Key("apis", list),
    Key("lint", dict, open_table=True),  # specfirst.lint.settings checks its keys
)

API_KEYS: tuple[Key, ...] = (
    Key("name", str, required=True),
    Key("contract", str, required=True),
    Key("package", str, required=True, identifier=True),
    Key("out", str, default="generated"),
    Key("models", str, default="all", choices=MODEL_SCOPES),
    Key("field_names", str, default="snake_case", choices=FIELD_NAMES),
    Key("services", str),
    Key("contract_test", dict, open_table=True),  # specfirst.contract_test.settings reads it
)


@dataclass(frozen=True)
class ApiConfig:
    name: str
    contract: Path
    package: str
    out: Path
    # "all": a model for every component schema; "operations": only for those the operations
    # under `paths` reach (webhook payloads and unused schemas left out; for huge vendor specs)
    models: str = "all"
    # The package folder of the hand-written service classes (`specfirst scaffold`), if any.
    services: Path | None = None
    # "snake_case": model fields are snake_case, aliased to the contract's names (`weight_kg`,
    # alias `weightKg`); "wire": fields keep the contract's names where they are identifiers.
    field_names: str = "snake_case"

    @property
    def package_dir(self) -> Path:
        return self.out / self.package


@dataclass(frozen=True)
class ProjectConfig:
    root: Path
    apis: tuple[ApiConfig, ...]
    lint: dict[str, Any] = field(default_factory=dict)

    def api(self, name: str) -> ApiConfig:
        for api in self.apis:
            if api.name == name:
                return api
        known = ", ".join(a.name for a in self.apis) or "none"
        raise ConfigError(f"no API named {name!r} in [tool.specfirst] (configured: {known})")


def find_pyproject(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    raise ConfigError("no pyproject.toml found in this folder or above it")


def load_config(pyproject: Path | None = None) -> ProjectConfig:
    """Read `[tool.specfirst]`; paths are relative to the folder holding pyproject.toml."""
    path = pyproject or find_pyproject()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    tool = data.get("tool", {})
    table = tool.get("specfirst", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.specfirst must be a table, got {_kind(table)}")
    check_table(table, PROJECT_KEYS, "tool.specfirst", path)
    root = path.parent
    apis: list[ApiConfig] = []
    seen: set[str] = set()
    for index, entry in enumerate(table.get("apis", [])):
        where = f"tool.specfirst.apis[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(
                f"{path}: {where} must be a table ([[tool.specfirst.apis]]), got {_kind(entry)}"
            )
        check_table(entry, API_KEYS, where, path)
        if entry["name"] in seen:
            raise ConfigError(f"{path}: {where}.name: {entry['name']!r} is configured twice")
        seen.add(entry["name"])
        services = entry.get("services")
        apis.append(
            ApiConfig(
                name=entry["name"],
                contract=_relative(root / entry["contract"]),
                package=entry["package"],
                out=_relative(root / entry.get("out", "generated")),
                models=entry.get("models", "all"),
                services=_relative(root / services) if services else None,
                field_names=entry.get("field_names", "snake_case"),
            )
        )
    return ProjectConfig(root=root, apis=tuple(apis), lint=table.get("lint", {}))


def check_table(table: Mapping[str, Any], keys: tuple[Key, ...], where: str, path: Path) -> None:
    """Raise `ConfigError` naming the first key that is unknown, missing or of the wrong type."""
    known = {key.name: key for key in keys}
    for name in table:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
            raise ConfigError(f"{path}: {where}: unknown key {name!r}{hint}")
    for key in keys:
        if key.name not in table:
            if key.required:
                raise ConfigError(
                    f"{path}: {where}: missing key {key.name!r} ({_TYPE_NAMES[key.type]})"
                )
            continue
        value: Any = table[key.name]
        label = f"{path}: {where}.{key.name}"
        if not isinstance(value, key.type):
            raise ConfigError(
                f"{label}: expected {_TYPE_NAMES[key.type]}, got {_kind(value)} {value!r}"
            )
        if key.choices and value not in key.choices:
            raise ConfigError(
                f"{label}: expected one of {', '.join(repr(c) for c in key.choices)}, got {value!r}"
            )
        if key.identifier and not _is_package_name(str(value)):
            raise ConfigError(f"{label}: expected a Python package name, got {value!r}")
        if key.type is str and not value:
            raise ConfigError(f"{label}: expected a non-empty string")


def _is_package_name(value: str) -> bool:
    return value.isidentifier() and not keyword.iskeyword(value)


def _kind(value: object) -> str:
    return {
        str: "a string",
        int: "an integer",
        float: "a float",
        bool: "a boolean",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path.resolve()
