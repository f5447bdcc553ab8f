"""What the sub-commands share: which APIs a call is about, and how errors reach the user."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from specfirst.config import ApiConfig, load_config

# Generation options a command line may set; they override each configured API's own.
_OPTIONS = ("models", "field_names")


def selected_apis(args: argparse.Namespace) -> list[ApiConfig]:
    """The API given on the command line, or every API configured in pyproject.toml."""
    overrides: dict[str, Any] = {
        key: value for key in _OPTIONS if (value := getattr(args, key, None))
    }
    contract: str | None = getattr(args, "contract", None)
    if contract:
        path = Path(contract)
        package = getattr(args, "package", None) or _package_name(path)
        out = Path(getattr(args, "out", None) or "generated")
        return [ApiConfig(name=package, contract=path, package=package, out=out, **overrides)]
    apis = list(load_config().apis)
    wanted: str | None = getattr(args, "api", None)
    if wanted:
        apis = [a for a in apis if a.name == wanted]
    if overrides:
        apis = [dataclasses.replace(a, **overrides) for a in apis]
    return apis


def _package_name(contract: Path) -> str:
    from specfirst.names import snake_case

    stem = contract.parent.name if contract.stem in ("openapi", "api", "index") else contract.stem
    return snake_case(stem, fallback="api") + "_api"


def regenerate_command() -> str:
    """`make generate` where the project's Makefile has that target, else `specfirst generate`."""
    import re

    from specfirst.config import find_pyproject
    from specfirst.errors import ConfigError

    try:
        makefile = find_pyproject().parent / "Makefile"
        text = makefile.read_text(encoding="utf-8")
    except (ConfigError, OSError, UnicodeDecodeError):
        return "specfirst generate"
    has_target = re.search(r"^generate\s*:", text, flags=re.MULTILINE)
    return "make generate" if has_target else "specfirst generate"


def error(message: str) -> None:
    print(f"specfirst: {message}", file=sys.stderr)
