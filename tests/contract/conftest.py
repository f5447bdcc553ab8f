"""Shared bits of the contract tests: where things are, and running the real command."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTES_DIR = Path(__file__).resolve().parent / "notes"
APPS_DIR = Path(__file__).resolve().parent / "apps"


@dataclass
class CommandRun:
    code: int
    output: str
    failures: dict[str, str]  # JUnit testcase name (the operation) -> failure text
    report_dir: Path


def contract_test_command(
    arguments: Sequence[str], report_dir: Path, env: Mapping[str, str] | None = None
) -> CommandRun:
    """`specfirst contract-test ARGUMENTS` as a user runs it; the JUnit failures by operation."""
    environ = {**os.environ, **(env or {})}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "specfirst.cli",
            "contract-test",
            *arguments,
            "--report-dir",
            str(report_dir),
        ],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    failures: dict[str, str] = {}
    for junit in report_dir.glob("*/junit.xml"):
        for case in ET.parse(junit).getroot().iter("testcase"):
            text = "".join(f.text or "" for f in case.iter("failure"))
            if text:
                failures[str(case.get("name"))] = text
    return CommandRun(result.returncode, result.stdout + result.stderr, failures, report_dir)
