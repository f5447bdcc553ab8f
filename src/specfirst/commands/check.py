"""`specfirst check`: is `generated/` exactly what the contracts produce today?"""

from __future__ import annotations

import argparse
import difflib
import shutil
import sys
from pathlib import Path
from typing import Any

from specfirst.commands._common import error, regenerate_command, selected_apis
from specfirst.errors import ContractLoadError, SpecfirstError

MAX_DIFF_LINES = 40


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "check",
        help="fail if generated code is stale or hand-edited",
        description="Regenerate every configured API into a temporary folder and compare it "
        "with generated/. Exit 1 with a short diff when they differ.",
    )
    parser.add_argument("--api", help="only this configured API")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from specfirst.generator.pipeline import (
        InvalidContractError,
        stage_package,
        validation_issues,
    )
    from specfirst.generator.write import same_tree
    from specfirst.loader import load_contract

    stale = 0
    for api in selected_apis(args):
        try:
            contract = load_contract(api.contract)
            issues = validation_issues(contract)
            if issues:
                raise InvalidContractError(contract.path, issues)
            staging = stage_package(contract, api.package, api.package_dir, models=api.models)
        except ContractLoadError as exc:
            error(str(exc))
            return 2
        except InvalidContractError as exc:
            for issue in exc.issues:
                print(issue, file=sys.stderr)
            error(str(exc))
            return 1
        except SpecfirstError as exc:
            error(f"{api.contract}: {exc}")
            return 1
        try:
            differing = same_tree(staging, api.package_dir)
            if differing:
                stale += 1
                print(
                    f"{api.package_dir}: out of date with {api.contract} ({len(differing)} files)"
                )
                _print_diff(staging, api.package_dir, differing)
            else:
                print(f"{api.package_dir}: up to date")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if stale:
        error(f"generated code is stale or was edited by hand; run `{regenerate_command()}`")
        return 1
    return 0


def _print_diff(fresh: Path, current: Path, names: list[str]) -> None:
    budget = MAX_DIFF_LINES
    for name in names:
        old = _lines(current / name)
        new = _lines(fresh / name)
        diff = list(
            difflib.unified_diff(
                old, new, f"{current / name} (on disk)", f"{current / name} (expected)"
            )
        )
        for line in diff[:budget]:
            print(line.rstrip("\n"))
        budget -= len(diff)
        if budget <= 0:
            print("  … (diff cut short)")
            return


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines(keepends=True)
    except (OSError, UnicodeDecodeError):
        return []
