"""`specfirst contract-test` reports known defects planted in a throwaway app.

The real command runs once against the Notes fixture app (uvicorn, its own port) with five
defects planted, one per operation; the JUnit report must name each on its operation, and the
command must fail. (The clean app's zero findings are proven in-process, test_notes_inprocess.)
"""

from __future__ import annotations

import json

import pytest

from .conftest import NOTES_DIR, CommandRun, contract_test_command

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
def defective_run(tmp_path_factory: pytest.TempPathFactory) -> CommandRun:
    return contract_test_command(
        [
            "--contract",
            str(NOTES_DIR / "openapi.yaml"),
            "--settings",
            str(NOTES_DIR / "contract-test.toml"),
            "--max-examples",
            "10",
        ],
        tmp_path_factory.mktemp("bites"),
        env={"NOTES_DEFECTS": ",".join(PLANTED)},
    )


def test_the_run_fails(defective_run: CommandRun) -> None:
    assert defective_run.code == 1, defective_run.output[-3000:]


@pytest.mark.parametrize("defect", sorted(PLANTED))
def test_each_planted_defect_is_reported(defective_run: CommandRun, defect: str) -> None:
    operation, evidence = PLANTED[defect]
    failures = defective_run.failures
    assert operation in failures, (
        f"{defect}: nothing for {operation}\n{defective_run.output[-3000:]}"
    )
    assert evidence in failures[operation], failures[operation][:2000]


def test_the_clean_operations_are_not_blamed(defective_run: CommandRun) -> None:
    blamed = {operation for operation, _ in PLANTED.values()}
    assert set(defective_run.failures) - blamed - {"Stateful tests"} == set()


def test_the_json_summary_names_each_finding_with_a_curl_line(defective_run: CommandRun) -> None:
    summary = json.loads((defective_run.report_dir / "notes" / "summary.json").read_text())
    assert summary["exit_code"] == 1
    operations = {finding["operation"] for finding in summary["findings"]}
    assert {operation for operation, _ in PLANTED.values()} <= operations
    for finding in summary["findings"]:
        assert finding["curl"].startswith("curl -X "), finding


def test_progress_is_printed_while_it_runs(defective_run: CommandRun) -> None:
    lines = [line for line in defective_run.output.splitlines() if line.startswith("[progress]")]
    assert lines, defective_run.output[-2000:]
    assert "phase:" in lines[-1]
    assert "findings so far" in lines[-1]
