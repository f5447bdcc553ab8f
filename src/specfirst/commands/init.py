"""`specfirst init [DIR] --name NAME`: a new contract-first project, generated and ready to test."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any

from specfirst.commands._common import error


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "init",
        help="create a new project: contract, generated package, service, app and tests",
        description="Create a project in DIR (default: the current folder): pyproject.toml with "
        "[tool.specfirst], a starter contract at specs/NAME/openapi.yaml, a service implementing "
        "the generated Protocol, an app, tests (with an in-process contract test) and a README; "
        "then generate the package into src/. Refuses a non-empty folder unless --force; never "
        "overwrites a file.",
    )
    parser.add_argument("folder", nargs="?", default=".", metavar="DIR", help="the project folder")
    parser.add_argument(
        "--name", help="the API's name, e.g. bookmarks (default: the folder's name)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="add the files to a non-empty folder (files that exist are left as they are)",
    )
    parser.add_argument(
        "--no-generate", action="store_true", help="do not run `specfirst generate` at the end"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from specfirst.starter import InitError, create_project, names_for

    folder = Path(args.folder)
    name = args.name or folder.resolve().name.lower()
    try:
        names = names_for(name)
        written, kept = create_project(folder, names, force=args.force)
    except InitError as exc:
        error(str(exc))
        return 2
    for path in written:
        print(f"created {path}")
    for path in kept:
        print(f"kept    {path} (exists; not overwritten)")
    if not args.no_generate:
        status = _generate(folder)
        if status:
            return status
    cd = "" if folder.resolve() == Path.cwd() else f"cd {folder} && "
    print(
        f"\n{names.title} API ready. Next:\n"
        f"  {cd}pytest                      # the tests, with an in-process contract test\n"
        f"  uvicorn --app-dir src {names.service_package}.app:app   # http://127.0.0.1:8000/docs\n"
        f"  edit specs/{names.name}/openapi.yaml, then: specfirst generate && specfirst scaffold"
    )
    return 0


def _generate(folder: Path) -> int:
    """Generate from inside the project, so recorded paths are relative to it as `check` sees."""
    from specfirst.cli import main

    with contextlib.chdir(folder):
        return main(["generate"])
