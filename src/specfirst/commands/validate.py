"""`specfirst validate [PATH...]`: every error of each contract as `file:line:column: pointer: message`.

Output goes to stdout (it is the command's result, meant for editors, CI logs and grep): one line
per problem, then one summary line per contract. Exit status: 0 all valid, 1 some contract invalid
(including a `$ref` that leads nowhere, in any file: a missing node, a missing file, a remote URL;
each is reported at the `$ref`'s line with every other error), 2 some contract unreadable (its file
or a file it references is missing or cannot be parsed: YAML/JSON syntax, duplicate keys, alias
expansion, nesting or integer limits) or no contract to validate. The worst status wins.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from specfirst.config import load_config
from specfirst.errors import ContractLoadError, SpecfirstError

VALID, INVALID, UNREADABLE = 0, 1, 2


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="validate OpenAPI contracts, reporting every error at file:line",
        description=(
            "Validate OpenAPI 3.0/3.1 contracts (openapi-spec-validator's checks) and print every "
            "error as file:line:column: JSON-pointer: message. Without PATH, validates every "
            "contract configured in [tool.specfirst]. Exit 0 valid, 1 invalid, 2 unreadable."
        ),
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="contract files (YAML or JSON)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        paths = [Path(p) for p in args.paths] or [api.contract for api in load_config().apis]
    except SpecfirstError as exc:
        print(f"specfirst validate: {exc}")
        return UNREADABLE
    if not paths:
        print("specfirst validate: no contract given and none configured in [tool.specfirst]")
        return UNREADABLE
    return max(validate_one(path) for path in paths)


def validate_one(path: Path) -> int:
    """Validate one contract, print its issues and a summary line, return its exit status."""
    from specfirst.loader import load_contract
    from specfirst.validation import validate_contract

    started = time.perf_counter()
    try:
        contract = load_contract(path)
    except ContractLoadError as exc:
        print(exc)
        print(f"{path}: unreadable")
        return UNREADABLE
    issues = validate_contract(contract)
    for issue in issues:
        print(issue)
    seconds = time.perf_counter() - started
    if issues:
        noun = "error" if len(issues) == 1 else "errors"
        print(f"{path}: invalid, {len(issues)} {noun} ({seconds:.2f} s)")
        return INVALID
    print(f"{path}: valid ({seconds:.2f} s)")
    return VALID
