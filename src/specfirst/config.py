"""The project's `[tool.specfirst]` table: which APIs exist, where their contracts and packages live."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specfirst.errors import ConfigError

__all__ = ["MODEL_SCOPES", "ApiConfig", "ConfigError", "ProjectConfig", "load_config"]


MODEL_SCOPES = ("all", "operations")


@dataclass(frozen=True)
class ApiConfig:
    name: str
    contract: Path
    package: str
    out: Path
    # "all": a model for every component schema; "operations": only for those the operations
    # under `paths` reach (webhook payloads and unused schemas left out; for huge vendor specs)
    models: str = "all"

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
    table = data.get("tool", {}).get("specfirst", {})
    root = path.parent
    apis: list[ApiConfig] = []
    for index, entry in enumerate(table.get("apis", [])):
        try:
            apis.append(
                ApiConfig(
                    name=str(entry["name"]),
                    contract=_relative(root / entry["contract"]),
                    package=str(entry["package"]),
                    out=_relative(root / entry.get("out", "generated")),
                    models=str(entry.get("models", "all")),
                )
            )
        except (KeyError, TypeError) as exc:
            raise ConfigError(
                f"{path}: [[tool.specfirst.apis]] entry {index + 1} needs name, contract and package"
                f" ({exc})"
            ) from None
    for api in apis:
        if api.models not in MODEL_SCOPES:
            raise ConfigError(
                f"{path}: [[tool.specfirst.apis]] {api.name!r}: models = {api.models!r}; "
                f"expected one of {', '.join(repr(s) for s in MODEL_SCOPES)}"
            )
    lint = table.get("lint", {})
    return ProjectConfig(root=root, apis=tuple(apis), lint=lint if isinstance(lint, dict) else {})


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path.resolve()
