"""`specfirst lint [PATH...]`: the contract house rules (ids, severities, `file:line`).

Exit codes: 0 clean (warnings allowed), 1 at least one error (or warning with `--fail-on warning`),
2 when lint could not run (unreadable contract, bad configuration).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from specfirst.config import ConfigError, load_config
from specfirst.errors import ContractLoadError
from specfirst.lint import RULES, Finding, Severity, lint_contract, settings_from_table
from specfirst.lint.gcpause import paused_gc
from specfirst.lint.report import FORMATS, render
from specfirst.lint.settings import LintSettings
from specfirst.loader import load_contract


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "lint",
        help="check contracts against the house rules",
        description="Check contracts against the house rules. Without PATH: every API in"
        " [tool.specfirst]. Rules are configured in [tool.specfirst.lint]; one place is exempted"
        " with `x-lint-ignore: [rule-id]` on the node.",
    )
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="contract files")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="RULE=SEVERITY",
        help="override a rule's severity (error, warning, off); repeatable",
    )
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        default="error",
        help="lowest severity that makes the exit code 1 (default: error)",
    )
    parser.add_argument(
        "--no-config", action="store_true", help="ignore [tool.specfirst.lint] in pyproject.toml"
    )
    parser.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    parser.set_defaults(func=run)


def _settings(args: argparse.Namespace) -> tuple[LintSettings, list[Path]]:
    settings = LintSettings()
    configured: list[Path] = []
    if not args.no_config or not args.paths:
        try:
            project = load_config()
        except ConfigError:
            if not args.paths:
                raise
        else:
            configured = [api.contract for api in project.apis]
            if not args.no_config:
                settings = settings_from_table(project.lint)
    return settings.with_overrides(args.rule), configured


def _list_rules(settings: LintSettings) -> str:
    width = max(len(rule_id) for rule_id in RULES)
    return "".join(
        f"{rule.id:<{width}}  {settings.severity(rule).value:<7}  {rule.summary}\n"
        for rule in RULES.values()
    )


def run(args: argparse.Namespace) -> int:
    with paused_gc():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        settings, configured = _settings(args)
    except ConfigError as exc:
        print(f"specfirst lint: {exc}", file=sys.stderr)
        return 2
    if args.list_rules:
        sys.stdout.write(_list_rules(settings))
        return 0
    paths: list[Path] = args.paths or configured
    if not paths:
        print("specfirst lint: no PATH given and no API in [tool.specfirst]", file=sys.stderr)
        return 2
    findings: list[Finding] = []
    failed = False
    for path in paths:
        try:
            contract = load_contract(path)
        except ContractLoadError as exc:
            print(f"{exc}", file=sys.stderr)
            failed = True
            continue
        findings.extend(lint_contract(contract, settings))
    sys.stdout.write(render(args.format, findings, paths))
    if failed:
        return 2
    threshold = {Severity.ERROR} | ({Severity.WARNING} if args.fail_on == "warning" else set())
    return 1 if any(f.severity in threshold for f in findings) else 0
