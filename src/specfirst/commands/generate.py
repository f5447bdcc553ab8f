"""`specfirst generate`: contract → package, for one contract or every configured API."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from specfirst.commands._common import error, selected_apis
from specfirst.config import FIELD_NAMES
from specfirst.errors import ContractLoadError, SpecfirstError, UsageError


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "generate",
        help="generate packages from contracts",
        description="Generate a FastAPI package from a contract (default: every API in "
        "[tool.specfirst]). Validates first; an invalid contract changes nothing.",
    )
    parser.add_argument("contract", nargs="?", help="contract file (default: configured APIs)")
    parser.add_argument("--out", help="output folder (default: generated)")
    parser.add_argument(
        "--package",
        type=_package_name,
        help="package name (default: from the contract's name); a folder inside --out",
    )
    parser.add_argument("--api", help="only this configured API")
    parser.add_argument(
        "--allow-invalid",
        action="store_true",
        help="generate even if validation fails, printing every error as a warning",
    )
    parser.add_argument("--force", action="store_true", help="regenerate even when up to date")
    parser.add_argument(
        "--models",
        choices=("all", "operations"),
        help="models for every component schema (all), or only for those the operations "
        "reach (operations); default: the API's `models` setting, else all",
    )
    parser.add_argument(
        "--field-names",
        choices=FIELD_NAMES,
        help="model fields in snake_case aliased to the contract's names (snake_case), or the "
        "contract's names (wire); default: the API's `field_names` setting, else snake_case",
    )
    parser.set_defaults(func=run)


def _package_name(value: str) -> str:
    from specfirst.names import package_name_problem

    problem = package_name_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return value


def run(args: argparse.Namespace) -> int:
    from specfirst.generator.pipeline import (
        InvalidContractError,
        ModelsRefusedError,
        generate_package,
    )
    from specfirst.loader import loaded_trees_frozen

    status = 0
    # One contract loaded, then worked on until the end: its tree is kept out of the
    # collector's way (see `loaded_trees_frozen`).
    with loaded_trees_frozen():
        for api in selected_apis(args):
            try:
                result = generate_package(
                    api.contract,
                    api.package,
                    api.out,
                    allow_invalid=args.allow_invalid,
                    force=args.force,
                    models=api.models,
                    field_names=api.field_names,
                    on_warning=lambda text: print(f"warning: {text}", file=sys.stderr),
                )
            except (ContractLoadError, UsageError) as exc:
                error(str(exc))
                return 2
            except InvalidContractError as exc:
                for issue in exc.issues:
                    print(issue, file=sys.stderr)
                error(str(exc))
                status = 1
                continue
            except ModelsRefusedError as exc:  # already located in the contract
                error(str(exc))
                status = 1
                continue
            except SpecfirstError as exc:
                error(f"{api.contract}: {exc}")
                status = 1
                continue
            state = "generated" if result.changed else "up to date"
            print(f"{api.package}: {state} ({result.package_dir}, {result.seconds:.2f} s)")
    return status
