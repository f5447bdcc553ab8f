"""`specfirst check`: is `generated/` exactly what the contracts produce today?

By default the answer comes from the stamp (`pipeline.stale_reason`): hashes of the contract
files, the generator and every output file, recorded at generation. When they all still hold,
the package is what generating again would give (docs/robustness.md explains why that is
sound), and nothing is regenerated: this takes well under a second for any contract size, on a
fresh clone with no cache. When any of them does not hold, or with `--full`, the package is
regenerated into a temporary folder and compared file by file, with a diff. A package written
by another build of specfirst passes when regenerating gives the same files (only the stamp's
`GENERATOR` line differs).
"""

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
        description="Check every configured API's package against its contract: from the "
        "hashes its stamp records (fast), else by regenerating into a temporary folder and "
        "comparing. Exit 1 with a short diff when they differ.",
    )
    parser.add_argument("--api", help="only this configured API")
    parser.add_argument(
        "--full",
        action="store_true",
        help="always regenerate and compare, whatever the stamp says",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from specfirst.generator.pipeline import stale_reason

    stale = 0
    for api in selected_apis(args):
        reason = None if args.full else stale_reason(api.package_dir, api.models, api.field_names)
        if not args.full and reason is None:
            print(f"{api.package_dir}: up to date (stamp)")
            continue
        status = _regenerate_and_compare(api, reason)
        if status == _FAILED:
            return 1
        if status == _UNREADABLE:
            return 2
        stale += status
    if stale:
        error(f"generated code is stale or was edited by hand; run `{regenerate_command()}`")
        return 1
    return 0


_FRESH, _STALE, _FAILED, _UNREADABLE = 0, 1, 3, 4


def _regenerate_and_compare(api: Any, reason: str | None) -> int:
    """`_FRESH` when regenerating gives the files on disk, `_STALE` when not (with a diff),
    `_FAILED` when the contract is invalid or generation fails, `_UNREADABLE` when it cannot be
    loaded. `reason`: why the stamp did not vouch for the package."""
    from specfirst.generator.pipeline import (
        STAMP_FILE,
        InvalidContractError,
        stage_package,
        validation_issues,
    )
    from specfirst.generator.write import same_tree
    from specfirst.loader import load_contract

    try:
        contract = load_contract(api.contract)
        issues = validation_issues(contract)
        if issues:
            raise InvalidContractError(contract.path, issues)
        staging = stage_package(
            contract, api.package, api.package_dir, models=api.models, field_names=api.field_names
        )
    except ContractLoadError as exc:
        error(str(exc))
        return _UNREADABLE
    except InvalidContractError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        error(str(exc))
        return _FAILED
    except SpecfirstError as exc:
        error(f"{api.contract}: {exc}")
        return _FAILED
    try:
        differing = [
            name
            for name in same_tree(staging, api.package_dir)
            if not (name == STAMP_FILE and _same_stamp(staging / name, api.package_dir / name))
        ]
        if differing:
            because = f"; {reason}" if reason else ""
            print(
                f"{api.package_dir}: out of date with {api.contract} "
                f"({len(differing)} files{because})"
            )
            _print_diff(staging, api.package_dir, differing)
            return _STALE
        note = f" (regenerated to compare: {reason})" if reason else " (regenerated to compare)"
        print(f"{api.package_dir}: up to date{note}")
        return _FRESH
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _same_stamp(fresh: Path, current: Path) -> bool:
    """Stamps that differ only in the build of specfirst that wrote them."""

    def without_generator(stamp: Path) -> list[str]:
        return [line for line in _lines(stamp) if not line.startswith("GENERATOR = ")]

    return without_generator(fresh) == without_generator(current)


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
