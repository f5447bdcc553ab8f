"""`specfirst contract-test` reports known defects planted in a throwaway app.

The real command runs once against the Notes fixture app (uvicorn, its own port) with five
defects planted, one per operation; the JUnit report must name each on its operation, and the
command must fail. (The clean app's zero findings are proven in-process, test_notes_inprocess.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import NOTES_DIR, ROOT

pytestmark = [pytest.mark.contract, pytest.mark.slow]

# defect planted (NOTES_DEFECTS) -> (operation, what the report must say about it)
PLANTED = {
    "undocumented-status": ("DELETE /notes/{note_id}", "Undocumented status code"),
    "wrong-type": ("GET /stats", "Response violates schema"),
    "plain-text-error": ("GET /notes/{note_id}", "problem_json_errors"),
    "ignores-auth": ("GET /notes", "auth_enforced"),
    "server-error": ("POST /notes", "Server error"),
}


@pytest.fixture(scope="module")
def defective_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict[str, str]]:
    reports = tmp_path_factory.mktemp("bites")
    env = dict(os.environ, NOTES_DEFECTS=",".join(PLANTED))
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "specfirst.cli",
            "contract-test",
            "--contract",
            str(NOTES_DIR / "openapi.yaml"),
            "--settings",
            str(NOTES_DIR / "contract-test.toml"),
            "--max-examples",
            "10",
            "--report-dir",
            str(reports),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    junit = Path(reports) / "notes" / "junit.xml"
    failures: dict[str, str] = {}
    if junit.is_file():
        for case in ET.parse(junit).getroot().iter("testcase"):
            text = "".join(f.text or "" for f in case.iter("failure"))
            if text:
                failures[str(case.get("name"))] = text
    return result.returncode, result.stdout + result.stderr, failures


def test_the_run_fails(defective_run: tuple[int, str, dict[str, str]]) -> None:
    code, output, _ = defective_run
    assert code == 1, output[-3000:]


@pytest.mark.parametrize("defect", sorted(PLANTED))
def test_each_planted_defect_is_reported(
    defective_run: tuple[int, str, dict[str, str]], defect: str
) -> None:
    _, output, failures = defective_run
    operation, evidence = PLANTED[defect]
    assert operation in failures, f"{defect}: nothing reported for {operation}\n{output[-3000:]}"
    assert evidence in failures[operation], failures[operation][:2000]


def test_the_clean_operations_are_not_blamed(
    defective_run: tuple[int, str, dict[str, str]],
) -> None:
    _, _, failures = defective_run
    blamed = {operation for operation, _ in PLANTED.values()}
    assert set(failures) - blamed - {"Stateful tests"} == set()
