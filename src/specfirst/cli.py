"""The `specfirst` command line: a thin layer over the pipeline modules.

Each sub-command lives in `specfirst.commands.<name>` and exposes `add_parser(subparsers)`, which
registers its arguments and sets `func` (taking the parsed namespace, returning the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from specfirst import __version__
from specfirst.errors import ConfigError  # not config: no tomllib for --help

COMMANDS = (
    "init",
    "validate",
    "generate",
    "scaffold",
    "check",
    "lint",
    "diff",
    "contract_test",
    "corpus",
)

# Modules only the `contract-test` extra brings: a command that needs one says what to install.
EXTRA_MODULES = {
    "schemathesis": "contract-test",
    "hypothesis": "contract-test",
    "requests": "contract-test",
    "httpx": "contract-test",
    "uvicorn": "contract-test",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that sub-command's module is imported (a fast no-op generate)."""
    parser = argparse.ArgumentParser(
        prog="specfirst",
        description="Contract-first FastAPI: the OpenAPI contract is the single truth.",
    )
    parser.add_argument("--version", action="version", version=f"specfirst {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        try:
            module = importlib.import_module(f"specfirst.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"specfirst.commands.{name}":
                raise
            continue  # a command not built yet
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    first = next((word for word in words if not word.startswith("-")), None)
    module = first.replace("-", "_") if first else None
    parser = build_parser(module if module in COMMANDS else None)
    args = parser.parse_args(words)
    try:
        code: int = args.func(args)
    except ConfigError as exc:  # a broken [tool.specfirst] table, whatever the command
        print(f"specfirst: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        extra = EXTRA_MODULES.get((exc.name or "").partition(".")[0])
        if extra is None:
            raise
        print(
            f"specfirst {args.command}: needs the {extra!r} extra ({exc.name} is not installed):"
            f" pip install 'specfirst[{extra}]'",
            file=sys.stderr,
        )
        return 2
    return code


def run() -> NoReturn:
    """The `specfirst` executable: `main` on the process's arguments, then its exit code, by
    `hard_exit` (the heap is not freed object by object). `SystemExit` (argparse's usage
    errors and `--help`) ends it the same way."""
    from specfirst.hard_exit import hard_exit

    try:
        code = main()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # a message: printed to stderr as an ordinary exit prints it
            print(exc.code, file=sys.stderr)
            code = 1
    hard_exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
