"""One contract-test run: server up, accounts made, Schemathesis run, reports written.

Schemathesis runs as its own process (`st run`) against the bundled contract file, with our
hooks module loaded, so what CI runs is exactly what a developer can rerun by hand: the command
line is printed and saved in the report folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import requests

from specfirst.contract_test import hooks
from specfirst.contract_test.accounts import AccountsState, admin_by_command, bootstrap
from specfirst.contract_test.coverage import Coverage, summarize
from specfirst.contract_test.observe import Observations
from specfirst.contract_test.server import fill, fresh_database, run_setup, serve
from specfirst.contract_test.settings import ContractTestSettings


@dataclass
class RunOptions:
    base_url: str | None = None
    max_examples: int | None = None
    seed: int | None = None
    random: bool = False
    report_dir: Path = Path("reports/contract-test")
    phases: str | None = None
    max_time: int | None = None
    workers: int | None = None
    extra_args: tuple[str, ...] = ()


@dataclass
class RunResult:
    exit_code: int
    cases: int | None
    seconds: float
    coverage: Coverage | None
    report_dir: Path
    findings: list[str] = field(default_factory=list)
    database: str = ""

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


def run(
    settings: ContractTestSettings,
    contract: Mapping[str, Any],
    options: RunOptions,
    *,
    root: Path,
    out: TextIO = sys.stdout,
) -> RunResult:
    """Run the whole thing; the exit code is non-zero on any finding or failure to run."""
    started = time.monotonic()
    report_dir = options.report_dir.resolve()  # Schemathesis runs in a scratch folder
    report_dir.mkdir(parents=True, exist_ok=True)
    contract_file = report_dir / "contract.json"
    contract_file.write_text(json.dumps(contract, indent=1), encoding="utf-8")
    observations_file = report_dir / "observations.jsonl"
    observations_file.unlink(missing_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="specfirst-ct-") as scratch,
        _target(settings, options, root=root, scratch=Path(scratch), report_dir=report_dir) as (
            base_url,
            env,
            database,
        ),
    ):
        run_id = secrets.token_hex(4)
        with requests.Session() as session:
            admin = None
            if settings.accounts.admin_command and options.base_url is None:
                admin = admin_by_command(
                    [
                        fill(part, {"python": sys.executable})
                        for part in settings.accounts.admin_command
                    ],
                    env,
                    root,
                )
            state = bootstrap(
                session, base_url, settings.accounts, contract, run_id=run_id, make_admin=admin
            )
        state_file = Path(scratch) / "accounts.json"
        state_file.write_text(state.to_json(), encoding="utf-8")
        config_file = None
        if settings.schemathesis_config:
            config_file = Path(scratch) / "schemathesis.toml"
            config_file.write_text(
                "\n".join(p.read_text(encoding="utf-8") for p in settings.schemathesis_config),
                encoding="utf-8",
            )
        command = schemathesis_command(
            options, settings, contract_file, base_url, report_dir, config_file
        )
        (report_dir / "command.txt").write_text(" ".join(command) + "\n", encoding="utf-8")
        st_env = dict(os.environ)
        st_env.update(
            {
                "SCHEMATHESIS_HOOKS": "specfirst.contract_test.hooks",
                hooks.STATE_ENV: str(state_file),
                hooks.BASE_URL_ENV: base_url,
                hooks.OBSERVATIONS_ENV: str(observations_file),
            }
        )
        print(f"contract-test {settings.api}: {base_url} ({database})", file=out, flush=True)
        code, output = _stream(command, st_env, cwd=Path(scratch), out=out)
    (report_dir / "schemathesis.txt").write_text(output, encoding="utf-8")
    seen = Observations.read(observations_file).seen
    coverage = summarize(contract, seen, settings.unreachable)
    result = RunResult(
        exit_code=code,
        cases=_cases(output),
        seconds=time.monotonic() - started,
        coverage=coverage,
        report_dir=report_dir,
        findings=_findings(output),
        database=database,
    )
    write_summary(result, settings, state_roles(state))
    return result


def state_roles(state: AccountsState) -> list[str]:
    return sorted(state.identities)


@contextlib.contextmanager
def _target(
    settings: ContractTestSettings,
    options: RunOptions,
    *,
    root: Path,
    scratch: Path,
    report_dir: Path,
) -> Iterator[tuple[str, dict[str, str], str]]:
    """The base URL to test: the given deployment, or our own server over a fresh database."""
    if options.base_url:
        yield options.base_url.rstrip("/"), dict(os.environ), "external deployment"
        return
    if not settings.app:
        raise ValueError(
            f"no app to start for API {settings.api!r}: set `app` in "
            "[tool.specfirst.apis.contract_test] or pass --base-url"
        )
    with fresh_database(os.environ.get("DATABASE_URL")) as url:
        env = dict(os.environ)
        values = {"python": sys.executable, "database_url": url}
        env["DATABASE_URL"] = url
        env.update({key: fill(value, values) for key, value in settings.env.items()})
        run_setup([[fill(p, values) for p in c] for c in settings.setup], env, root)
        kind = url.split(":", 1)[0].split("+", 1)[0]
        with serve(
            settings.app,
            env=env,
            cwd=root,
            log=report_dir / "server.log",
            readiness=settings.readiness,
            app_dir=settings.app_dir,
        ) as server:
            yield server.base_url, env, f"fresh {kind} database"


def schemathesis_command(
    options: RunOptions,
    settings: ContractTestSettings,
    contract_file: Path,
    base_url: str,
    report_dir: Path,
    config_file: Path | None,
) -> list[str]:
    command = [sys.executable, "-m", "schemathesis.cli"]
    if config_file is not None:
        command += ["--config-file", str(config_file)]
    command += [
        "run",
        str(contract_file.resolve()),
        "--url",
        base_url,
        "--checks",
        "all",
        *(
            ["--exclude-checks", ",".join(settings.exclude_checks)]
            if settings.exclude_checks
            else []
        ),
        "--max-examples",
        str(options.max_examples or settings.max_examples),
        "--max-response-time",
        str(settings.max_response_time),
        "--workers",
        str(options.workers or settings.workers),
        "--report",
        "junit",
        "--report-junit-path",
        str((report_dir / "junit.xml").resolve()),
        "--no-color",
    ]
    if options.random:
        pass  # Hypothesis picks a seed and Schemathesis prints it
    elif options.seed is not None:
        command += ["--seed", str(options.seed)]
    else:
        command += ["--generation-deterministic"]
    if options.phases:
        command += ["--phases", options.phases]
    if options.max_time:
        command += ["--max-time", str(options.max_time)]
    command += list(options.extra_args)
    return command


def _stream(
    command: list[str], env: Mapping[str, str], *, cwd: Path, out: TextIO
) -> tuple[int, str]:
    """Run, echoing output as it comes, and keep it for the reports."""
    lines: list[str] = []
    with subprocess.Popen(
        command,
        env=dict(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            out.write(line)
            out.flush()
        code = process.wait()
    return code, "".join(lines)


_CASES = re.compile(r"^\s*(\d+) generated", re.MULTILINE)


def _cases(output: str) -> int | None:
    found = _CASES.findall(output)
    return int(found[-1]) if found else None


def _findings(output: str) -> list[str]:
    if "Failures:" not in output:
        return []
    block = output.split("Failures:", 1)[1].split("\n\n", 1)[0]
    return [line.strip(" ❌") for line in block.splitlines() if line.strip()]


def write_summary(result: RunResult, settings: ContractTestSettings, roles: list[str]) -> Path:
    lines = [
        f"# Contract test: {settings.api}",
        "",
        f"- Result: {'PASSED' if result.passed else 'FAILED'} (exit code {result.exit_code})",
        f"- Contract: `{settings.contract}`",
        f"- Target: {result.database}",
        f"- Test cases: {result.cases if result.cases is not None else 'unknown'}",
        f"- Time: {result.seconds:.1f} s",
        f"- Accounts: {', '.join(roles)}",
        f"- Findings: {', '.join(result.findings) if result.findings else 'none'}",
        "",
        "## Coverage",
        "",
    ]
    if result.coverage is not None:
        lines.append(result.coverage.to_markdown())
        (result.report_dir / "coverage.json").write_text(
            result.coverage.to_json(), encoding="utf-8"
        )
    path = result.report_dir / "summary.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
