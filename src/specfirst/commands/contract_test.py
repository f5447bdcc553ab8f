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
        description="Start the app (uvicorn --factory on a free port) or use a running one "
        "(--base-url), obtain credentials (static values, -H headers, the contract's OAuth2 "
        "flows, or the API's own hook), run Schemathesis with every check (ours too) and "
        "stateful sequences against the contract file, and write a summary (Markdown and "
        "JSON), JUnit and coverage reports. Exit code 0: no findings; 1: findings; 2: the run "
        "could not happen (bad settings, the app did not start, no credentials).",
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
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header for every request, repeatable; a security scheme's header "
        "(Authorization, an API key's) becomes that scheme's static credential",
    )
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
    from specfirst.contract_test.credentials import parse_header
    from specfirst.contract_test.identities import CredentialError
    from specfirst.contract_test.runner import RunOptions
    from specfirst.contract_test.runner import run as run_contract_test
    from specfirst.contract_test.server import ServerError
    from specfirst.contract_test.settings import (
        load_settings,
        read_settings_file,
        settings_from_dict,
    )
    from specfirst.errors import ContractLoadError
    from specfirst.loader import load_contract

    try:
        root = find_pyproject().parent
        if args.contract:
            overrides: dict[str, Any] = {}
            if args.settings:
                overrides = read_settings_file(Path(args.settings))
                if not overrides:
                    raise ConfigError(f"{args.settings}: no such settings file, or it is empty")
            path = Path(args.contract)
            name = path.parent.name if path.stem in ("openapi", "api", "index") else path.stem
            name = name or "api"
            all_settings = [settings_from_dict(name, Path(args.contract), overrides, base=root)]
        else:
            apis = selected_apis(args)
            if not apis:
                error(f"no configured API named {args.api!r}" if args.api else "no API configured")
                return 2
            all_settings = [load_settings(api) for api in apis]
            if not args.api and not args.base_url:
                all_settings = [s for s in all_settings if s.app or s.base_url]
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
            headers = dict(parse_header(text) for text in args.header)
        except (ContractLoadError, ConfigError) as exc:
            error(str(exc))
            return 2
        options = RunOptions(
            base_url=args.base_url,
            headers=headers,
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
        except (ConfigError, ServerError, CredentialError) as exc:
            error(f"{settings.api}: {exc}")
            status = max(status, 2)
            continue
        except Exception as exc:  # a bug of ours or a hook's: say where, never a bare traceback
            error(f"{settings.api}: the run failed: {type(exc).__name__}: {exc}")
            status = max(status, 2)
            continue
        summary = result.report_dir / "summary.md"
        coverage = result.coverage
        verdict = {0: "passed", 1: "FAILED", 2: "NO VERDICT"}[result.exit_code]
        print(
            f"\n{settings.api}: {verdict}; {result.cases if result.cases is not None else '?'} "
            f"test cases, {len(result.findings)} findings in {result.seconds:.0f} s "
            f"({result.target})",
            file=sys.stdout,
        )
        for finding in result.findings:
            print(f"  finding: {finding.line()}")
            if finding.curl:
                print("    " + finding.curl.strip().replace("\n", "\n    "))
        for problem in result.errors:
            print(f"  error: {problem}")
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
        print(
            f"reports: {summary}, {result.report_dir / 'summary.json'}, "
            f"{result.report_dir / 'junit.xml'}"
        )
        status = max(status, result.exit_code)
    return status


def _replace(settings: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(settings, **changes)
