"""`specfirst diff [BASE] [HEAD]`: classify contract changes, name the service methods they touch.

BASE and HEAD are files, baseline folders, or `REF:PATH` from git (`REF:` alone: HEAD's path at REF).
Without HEAD: the configured contract (or, for `REF:PATH`, PATH in the working tree). Without BASE:
every configured API against `contracts/baselines/<api>/`, else against `origin/main` (an API on
neither is skipped with a note: there is nothing to break yet).

Exit codes: 0 no breaking change (or info.version's major part was bumped), 1 breaking changes,
2 the diff could not run (missing file or ref, unreadable contract, bad configuration).
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from specfirst.config import ApiConfig, ConfigError, ProjectConfig, load_config
from specfirst.diff import build_report, open_version, render
from specfirst.diff.baseline import BASELINES, baseline_dir, record_baseline
from specfirst.diff.report import FORMATS, DiffReport
from specfirst.diff.sources import (
    BASELINE_MANIFEST,
    path_exists_at,
    ref_exists,
    split_git_spec,
)
from specfirst.errors import SpecfirstError
from specfirst.lint.gcpause import paused_gc

DEFAULT_REF = "origin/main"


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "diff",
        help="classify contract changes as breaking or not",
        description=(__doc__ or "").split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("base", nargs="?", metavar="BASE", help="file, baseline folder or REF:PATH")
    parser.add_argument("head", nargs="?", metavar="HEAD", help="file or REF:PATH")
    parser.add_argument("--api", help="the configured API to compare (default: all of them)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument("-o", "--output", type=Path, help="write the report to this file")
    parser.add_argument(
        "--fail-on",
        choices=("breaking", "warning"),
        default="breaking",
        help="lowest level that makes the exit code 1 (default: breaking)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list documentation-only changes (text)"
    )
    parser.add_argument(
        "--record-baseline",
        "--release-baseline",
        dest="record_baseline",
        action="store_true",
        help=f"copy the current contracts to {BASELINES}/<api>/ (at release) and exit",
    )
    parser.set_defaults(func=run)


def _apis(project: ProjectConfig, name: str | None) -> list[ApiConfig]:
    if name is not None:
        return [project.api(name)]
    if not project.apis:
        raise ConfigError("no API in [tool.specfirst]: pass BASE and HEAD")
    return list(project.apis)


def default_base(project: ProjectConfig, api: ApiConfig) -> str | None:
    """The released baseline, else origin/main's version; None when neither exists (first
    release, or an API new on this branch): there is nothing to break yet."""
    folder = baseline_dir(project.root, api)
    if (folder / BASELINE_MANIFEST).is_file():
        return str(_relative(folder))
    if ref_exists(DEFAULT_REF) and path_exists_at(DEFAULT_REF, api.contract.as_posix()):
        return f"{DEFAULT_REF}:{api.contract.as_posix()}"
    return None


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _pairs(args: argparse.Namespace) -> list[tuple[str | None, str, str]]:
    """(api name, BASE spec, HEAD spec) for each comparison to make."""
    if args.base is not None and args.head is not None:
        return [(args.api, args.base, args.head)]
    if args.base is not None:
        git = split_git_spec(args.base)
        if git is not None and git[1] and args.api is None:
            return [(None, args.base, git[1])]
        project = load_config()
        apis = _apis(project, args.api)
        if git is None and len(apis) > 1:  # one file cannot be the base of several APIs
            names = ", ".join(api.name for api in apis)
            raise ConfigError(
                f"which API is {args.base} a version of? pass --api ({names}) or HEAD"
            )
        return [(api.name, args.base, api.contract.as_posix()) for api in apis]
    project = load_config()
    pairs: list[tuple[str | None, str, str]] = []
    for api in _apis(project, args.api):
        base = default_base(project, api)
        if base is None:
            print(
                f"specfirst diff: {api.name}: nothing to compare with (no baseline in"
                f" {_relative(baseline_dir(project.root, api))}, not on {DEFAULT_REF});"
                " record one at release with --record-baseline",
                file=sys.stderr,
            )
            continue
        pairs.append((api.name, base, api.contract.as_posix()))
    return pairs


def _record(args: argparse.Namespace) -> int:
    if args.base is not None:
        print("specfirst diff: --record-baseline takes no BASE/HEAD", file=sys.stderr)
        return 2
    project = load_config()
    for api in _apis(project, args.api):
        folder = record_baseline(project.root, api)
        print(f"{api.name}: recorded {api.contract} as {_relative(folder)}")
    return 0


def _compare(api: str | None, base_spec: str, head_spec: str, fail_on_warning: bool) -> DiffReport:
    with ExitStack() as stack:
        head_git = split_git_spec(head_spec)
        head_path = head_git[1] if head_git else head_spec
        head = stack.enter_context(open_version(head_spec))
        base = stack.enter_context(open_version(base_spec, default_path=head_path))
        return build_report(base, head, api=api, fail_on_warning=fail_on_warning)


def run(args: argparse.Namespace) -> int:
    with paused_gc():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        if args.record_baseline:
            return _record(args)
        reports = [
            _compare(api, base, head, args.fail_on == "warning") for api, base, head in _pairs(args)
        ]
    except SpecfirstError as exc:
        print(f"specfirst diff: {exc}", file=sys.stderr)
        return 2
    if not reports:
        return 0
    text = render(args.format, reports, verbose=args.verbose)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return max(report.verdict.exit_code for report in reports)
