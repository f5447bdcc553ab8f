"""One contract-test run: app up, identities ready, Schemathesis run, reports written.

Schemathesis runs as its own process (`st run`) against the bundled contract file, with our
hooks module loaded, so what CI runs is exactly what a developer can rerun by hand: the command
line is printed and saved in the report folder. While it runs, its event stream (NDJSON) is
read to print the phase, the requests and test cases so far and the findings so far, every few
seconds, whether or not the output is a terminal.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from specfirst.contract_test import hooks
from specfirst.contract_test.coverage import Coverage, summarize
from specfirst.contract_test.observe import Observations
from specfirst.contract_test.prepare import prepare
from specfirst.contract_test.settings import ContractTestSettings

PROGRESS_EVERY = 5.0  # seconds between progress lines


@dataclass
class RunOptions:
    base_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # -H 'Name: value'
    max_examples: int | None = None
    seed: int | None = None
    random: bool = False
    report_dir: Path = Path("reports/contract-test")
    phases: str | None = None
    max_time: int | None = None
    workers: int | None = None
    progress_every: float = PROGRESS_EVERY
    extra_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    operation: str  # "GET /pets/{petId}"
    check: str
    title: str
    message: str
    curl: str

    def line(self) -> str:
        return f"{self.operation}: {self.title} ({self.check})"


@dataclass
class RunResult:
    exit_code: int
    cases: int | None
    seconds: float
    coverage: Coverage | None
    report_dir: Path
    findings: list[Finding] = field(default_factory=list)
    target: str = ""
    identities: list[str] = field(default_factory=list)
    checks: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


class Progress:
    """Reads Schemathesis' NDJSON events as they are written; prints a line every few seconds."""

    def __init__(
        self, events: Path, observations: Path, out: TextIO, every: float, base_url: str
    ) -> None:
        self.events = events
        self.observations = observations
        self.out = out
        self.every = every
        self.base_url = base_url
        self.phase = "starting"
        self.cases = 0
        self.findings: dict[tuple[str, str, str], Finding] = {}
        self.errors: list[str] = []
        self._offset = 0
        self._buffer = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="contract-test-progress")
        self._started = time.monotonic()

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.read()

    def _loop(self) -> None:
        next_line = time.monotonic() + self.every
        while not self._stop.wait(0.5):
            self.read()
            if time.monotonic() >= next_line:
                self.print_line()
                next_line += self.every

    def print_line(self) -> None:
        requests = 0
        try:
            with self.observations.open("rb") as handle:
                requests = sum(1 for _ in handle)
        except OSError:
            pass
        print(
            f"[progress] phase: {self.phase}; {requests} requests, {self.cases} test cases done; "
            f"{len(self.findings)} findings so far; {time.monotonic() - self._started:.0f} s",
            file=self.out,
            flush=True,
        )

    def read(self) -> None:
        try:
            with self.events.open("r", encoding="utf-8") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
                self._offset = handle.tell()
        except OSError:
            return
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            if line.strip():
                try:
                    self._event(json.loads(line))
                except (ValueError, KeyError, TypeError):
                    continue

    def _event(self, event: dict[str, Any]) -> None:
        (kind, data), *_ = event.items()
        if kind == "PhaseStarted":
            name = str(data["phase"]["name"])
            if name != "probing" and data["phase"].get("is_enabled", True):
                self.phase = name
                self.print_line()
        elif kind == "ScenarioFinished":
            self._scenario(data["recorder"])
        elif kind == "NonFatalError":
            self.errors.append(f"{data.get('label', '?')}: {data.get('info', {}).get('title', '')}")

    def _scenario(self, recorder: dict[str, Any]) -> None:
        cases = recorder.get("cases", {})
        self.cases += len(cases)
        for case_id, nodes in recorder.get("checks", {}).items():
            for node in nodes:
                if node.get("status") != "failure":
                    continue
                info = node.get("failure_info") or {}
                failure = info.get("failure") or {}
                case = (cases.get(case_id) or {}).get("value") or {}
                operation = failure.get("operation") or recorder.get("label") or "?"
                if case.get("method") and case.get("path") and operation == "?":
                    operation = f"{case['method']} {case['path']}"
                title = str(failure.get("title") or node.get("name"))
                key = (str(operation), str(node.get("name")), title)
                if key not in self.findings:
                    self.findings[key] = Finding(
                        operation=str(operation),
                        check=str(node.get("name")),
                        title=title,
                        message=str(failure.get("message") or "")[:2000],
                        curl=str(info.get("code_sample") or "")
                        or curl_line(recorder.get("interactions", {}).get(case_id)),
                    )


def curl_line(interaction: Any) -> str:
    """A curl command that sends the recorded request again (credentials stay masked)."""
    request = interaction.get("request") if isinstance(interaction, dict) else None
    if not isinstance(request, dict) or not request.get("uri"):
        return ""
    parts = ["curl", "-X", str(request.get("method", "GET"))]
    for name, values in (request.get("headers") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            parts += ["-H", f"{name}: {value}"]
    body = request.get("body")
    if isinstance(body, dict) and "$base64" in body:
        raw = base64.b64decode(body["$base64"])
        text = raw.decode("utf-8", errors="replace")
        parts += ["--data-binary", text]
    elif isinstance(body, str) and body:
        parts += ["--data-binary", body]
    parts.append(str(request["uri"]))
    return " ".join(shlex.quote(part) for part in parts)


def run(
    settings: ContractTestSettings,
    contract: Mapping[str, Any],
    options: RunOptions,
    *,
    root: Path,
    out: TextIO = sys.stdout,
) -> RunResult:
    """Run the whole thing; the exit code is 0 clean, 1 on findings, 2 when it could not run."""
    started = time.monotonic()
    report_dir = options.report_dir.resolve()  # Schemathesis runs in a scratch folder
    report_dir.mkdir(parents=True, exist_ok=True)
    contract_file = report_dir / "contract.json"
    contract_file.write_text(json.dumps(contract, indent=1), encoding="utf-8")
    observations_file = report_dir / "observations.jsonl"
    observations_file.unlink(missing_ok=True)
    events_file = report_dir / "events.ndjson"
    events_file.unlink(missing_ok=True)
    json_report = report_dir / "schemathesis.json"
    json_report.unlink(missing_ok=True)
    print(f"contract-test {settings.api}: {settings.contract}", file=out, flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="specfirst-ct-") as scratch,
        prepare(
            settings,
            contract,
            scratch=Path(scratch),
            headers=options.headers,
            base_url=options.base_url,
            log=report_dir / "server.log",
            out=out,
        ) as ready,
    ):
        state_file = Path(scratch) / "state.json"
        state_file.write_text(
            hooks.state_json(ready.identities, settings.house_checks, _security_headers(settings)),
            encoding="utf-8",
        )
        config_file = None
        if settings.schemathesis_config:
            config_file = Path(scratch) / "schemathesis.toml"
            config_file.write_text(
                "\n".join(p.read_text(encoding="utf-8") for p in settings.schemathesis_config),
                encoding="utf-8",
            )
        command = schemathesis_command(
            options,
            settings,
            contract_file,
            ready.base_url,
            report_dir,
            config_file,
            ready.plain_headers,
        )
        (report_dir / "command.txt").write_text(" ".join(command) + "\n", encoding="utf-8")
        st_env = dict(os.environ)
        st_env.update(ready.env)
        st_env.update(
            {
                "SCHEMATHESIS_HOOKS": "specfirst.contract_test.hooks",
                hooks.STATE_ENV: str(state_file),
                hooks.BASE_URL_ENV: ready.base_url,
                hooks.OBSERVATIONS_ENV: str(observations_file),
            }
        )
        print(f"testing {ready.target} ({_checks_line(settings)})", file=out, flush=True)
        with Progress(
            events_file, observations_file, out, options.progress_every, ready.base_url
        ) as progress:
            code, output = _stream(command, st_env, cwd=Path(scratch), out=out)
        target = ready.target
        identities = list(ready.identities.identities) if ready.identities else []
    (report_dir / "schemathesis.txt").write_text(output, encoding="utf-8")
    seen = Observations.read(observations_file).seen
    coverage = summarize(contract, seen, settings.unreachable)
    report = _read_json(json_report)
    findings = list(progress.findings.values())
    errors = [str(e.get("title")) for e in (report or {}).get("errors", [])] + progress.errors
    exit_code = 0
    if findings or (report or {}).get("failures"):
        exit_code = 1
    elif code != 0 or errors or report is None:
        exit_code = 2  # Schemathesis could not test (schema errors, a crash): no verdict
    cases = (report or {}).get("test_cases", {}).get("generated")
    result = RunResult(
        exit_code=exit_code,
        cases=int(cases) if cases is not None else progress.cases,
        seconds=time.monotonic() - started,
        coverage=coverage,
        report_dir=report_dir,
        findings=findings,
        target=target,
        identities=identities,
        checks=checks_in_force(settings),
        errors=errors if exit_code == 2 else [],
    )
    write_summary(result, settings)
    return result


def _security_headers(settings: ContractTestSettings) -> dict[str, str | None] | None:
    if settings.security_headers is None:
        return None
    return {name: (value or None) for name, value in settings.security_headers.items()}


def checks_in_force(settings: ContractTestSettings) -> dict[str, list[str]]:
    from specfirst.contract_test.settings import HOUSE_CHECKS

    return {
        "schemathesis": [
            "all"
            + (f" except {', '.join(settings.exclude_checks)}" if settings.exclude_checks else "")
        ],
        "built-in": ["problem_json_errors", "auth_enforced", "no_internal_details"],
        "house (opted in)": [c for c in HOUSE_CHECKS if c in settings.house_checks],
    }


def _checks_line(settings: ContractTestSettings) -> str:
    house = ", ".join(settings.house_checks) or "none"
    return f"checks: Schemathesis' all + problem_json_errors, auth_enforced, no_internal_details; house: {house}"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def schemathesis_command(
    options: RunOptions,
    settings: ContractTestSettings,
    contract_file: Path,
    base_url: str,
    report_dir: Path,
    config_file: Path | None,
    headers: Mapping[str, str] | None = None,
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
        "junit,ndjson,json",
        "--report-junit-path",
        str((report_dir / "junit.xml").resolve()),
        "--report-ndjson-path",
        str((report_dir / "events.ndjson").resolve()),
        "--report-json-path",
        str((report_dir / "schemathesis.json").resolve()),
        "--no-color",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
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


def summary_data(result: RunResult, settings: ContractTestSettings) -> dict[str, Any]:
    """The JSON summary (`summary.json`), for tools."""
    coverage = result.coverage
    return {
        "api": settings.api,
        "contract": str(settings.contract),
        "passed": result.passed,
        "exit_code": result.exit_code,
        "target": result.target,
        "test_cases": result.cases,
        "seconds": round(result.seconds, 1),
        "identities": result.identities,
        "checks": result.checks,
        "findings": [
            {
                "operation": f.operation,
                "check": f.check,
                "title": f.title,
                "message": f.message,
                "curl": f.curl,
            }
            for f in result.findings
        ],
        "errors": result.errors,
        "coverage": json.loads(coverage.to_json()) if coverage is not None else None,
        "reports": {
            "summary": "summary.md",
            "junit": "junit.xml",
            "coverage": "coverage.json",
            "schemathesis_output": "schemathesis.txt",
            "events": "events.ndjson",
        },
    }


def write_summary(result: RunResult, settings: ContractTestSettings) -> Path:
    lines = [
        f"# Contract test: {settings.api}",
        "",
        f"- Result: {'PASSED' if result.passed else 'FAILED'} (exit code {result.exit_code})",
        f"- Contract: `{settings.contract}`",
        f"- Target: {result.target}",
        f"- Test cases: {result.cases if result.cases is not None else 'unknown'}",
        f"- Time: {result.seconds:.1f} s",
        f"- Identities: {', '.join(result.identities) or 'none (no credentials)'}",
        f"- Checks: Schemathesis' {result.checks['schemathesis'][0]}; ours: "
        f"{', '.join(result.checks['built-in'])}; house: "
        f"{', '.join(result.checks['house (opted in)']) or 'none'}",
        f"- Findings: {len(result.findings)}",
    ]
    for finding in result.findings:
        lines += ["", f"### {finding.operation}: {finding.title}", "", f"Check `{finding.check}`."]
        if finding.message:
            lines += ["", "```", finding.message.strip(), "```"]
        if finding.curl:
            lines += ["", "Reproduce:", "", "```console", finding.curl.strip(), "```"]
    if result.errors:
        lines += ["", "## Errors (no verdict)", ""] + [f"- {e}" for e in result.errors]
    lines += ["", "## Coverage", ""]
    if result.coverage is not None:
        lines.append(result.coverage.to_markdown())
        (result.report_dir / "coverage.json").write_text(
            result.coverage.to_json(), encoding="utf-8"
        )
    (result.report_dir / "summary.json").write_text(
        json.dumps(summary_data(result, settings), indent=2) + "\n", encoding="utf-8"
    )
    path = result.report_dir / "summary.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
