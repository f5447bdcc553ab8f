"""`specfirst contract-test`: run the app for real and hold it to its contract with Schemathesis."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from specfirst.commands._common import error, selected_apis


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "contract-test",
        help="run the app and test it against its contract (Schemathesis)",
        description="Start the app with uvicorn on a free port over a fresh database (SQLite, "
        "or PostgreSQL when DATABASE_URL names one), register and log in through the API, run "
        "Schemathesis with every check (ours too) and stateful sequences against the contract "
        "file, and write JUnit and coverage reports. Exits non-zero on any finding.",
    )
    parser.add_argument("--api", help="the configured API to test (default: every one with an app)")
    parser.add_argument("--contract", help="a contract file instead of a configured API")
    parser.add_argument("--app", help="the app factory, module:function (uvicorn --factory)")
    parser.add_argument("--app-dir", help="folder to import the app from")
    parser.add_argument(
        "--settings",
        help="settings file for --contract (configured APIs read contracts/<api>.toml)",
    )
    parser.add_argument("--base-url", help="test this running deployment instead of starting one")
    parser.add_argument(
        "--max-examples",
        type=int,
        help="examples per operation and phase (default: the API's max_examples, else 100)",
    )
    seed = parser.add_mutually_exclusive_group()
    seed.add_argument(
        "--seed", type=int, help="generate from this seed instead of deterministically"
    )
    seed.add_argument(
        "--random", action="store_true", help="a random seed (printed), for nightly runs"
    )
    parser.add_argument(
        "--report-dir",
        default="reports/contract-test",
        help="where reports go; one folder per API (default: reports/contract-test)",
    )
    parser.add_argument("--phases", help="Schemathesis phases (default: all)")
    parser.add_argument("--max-time", type=int, help="time budget in seconds for the whole run")
    parser.add_argument("--workers", type=int, help="Schemathesis worker threads (default: 1)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from specfirst.config import ConfigError, find_pyproject
    from specfirst.contract_test.runner import RunOptions
    from specfirst.contract_test.runner import run as run_contract_test
    from specfirst.contract_test.settings import load_settings, settings_from_dict
    from specfirst.errors import ContractLoadError
    from specfirst.loader import load_contract

    try:
        root = find_pyproject().parent
        if args.contract:
            overrides: dict[str, Any] = {}
            if args.settings:
                import tomllib

                overrides = tomllib.loads(Path(args.settings).read_text(encoding="utf-8"))
            name = Path(args.contract).parent.name or "api"
            all_settings = [settings_from_dict(name, Path(args.contract), overrides, base=root)]
        else:
            apis = selected_apis(args)
            if not apis:
                error(f"no configured API named {args.api!r}" if args.api else "no API configured")
                return 2
            all_settings = [load_settings(api) for api in apis]
            if not args.api and not args.base_url:
                all_settings = [s for s in all_settings if s.app]
    except ConfigError as exc:
        error(str(exc))
        return 2
    status = 0
    for settings in all_settings:
        if args.app:
            settings = _replace(settings, app=args.app)
        if args.app_dir:
            settings = _replace(settings, app_dir=Path(args.app_dir))
        try:
            contract = load_contract(settings.contract)
        except ContractLoadError as exc:
            error(str(exc))
            return 2
        options = RunOptions(
            base_url=args.base_url,
            max_examples=args.max_examples,
            seed=args.seed,
            random=args.random,
            report_dir=Path(args.report_dir) / settings.api,
            phases=args.phases,
            max_time=args.max_time,
            workers=args.workers,
        )
        try:
            result = run_contract_test(settings, contract.document, options, root=root)
        except Exception as exc:
            error(f"{settings.api}: {type(exc).__name__}: {exc}")
            status = max(status, 2)
            continue
        summary = result.report_dir / "summary.md"
        coverage = result.coverage
        print(
            f"\n{settings.api}: {'passed' if result.passed else 'FAILED'}; "
            f"{result.cases if result.cases is not None else '?'} cases in "
            f"{result.seconds:.0f} s on a {result.database}",
            file=sys.stdout,
        )
        if coverage is not None:
            declared = len(coverage.declared)
            print(
                f"coverage: {coverage.operations_exercised}/{len(coverage.operations)} operations, "
                f"{declared - len(coverage.missing)}/{declared} declared responses seen; "
                f"{len(coverage.unexplained)} unseen without a known reason"
            )
            for item in coverage.missing:
                print(
                    f"  never seen: {item.operation} {item.status}: {item.reason or 'no reason known'}"
                )
        print(f"reports: {summary}, {result.report_dir / 'junit.xml'}")
        if not result.passed:
            status = max(status, 1)
    return status


def _replace(settings: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(settings, **changes)
