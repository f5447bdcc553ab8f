"""Our checks bite in-process: the Notes fixture app, clean and with planted defects.

Through `specfirst.testing`, the helper a project's own pytest uses. The clean app keeps its
contract under every check; each defect that concerns every response (security headers, request
ids, leaky errors) is reported by the check written for it.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from specfirst.contract_test.inprocess import patched_environ
from specfirst.contract_test.settings import read_settings_file
from specfirst.testing import ContractRun, contract_cases, contract_test

from .conftest import NOTES_DIR, ROOT

pytestmark = pytest.mark.contract

CONTRACT = NOTES_DIR / "openapi.yaml"
SETTINGS = read_settings_file(NOTES_DIR / "contract-test.toml")


def _notes_app(defects: str) -> Any:
    spec = importlib.util.spec_from_file_location(
        f"notes_app_{defects or 'clean'}", NOTES_DIR / "app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations through it
    spec.loader.exec_module(module)
    with patched_environ({"NOTES_DEFECTS": defects}):
        return module.create_app()


@pytest.fixture
def notes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ContractRun]:
    defects = getattr(request, "param", "")
    with contract_test(
        "notes",
        contract=CONTRACT,
        settings=SETTINGS,
        app=_notes_app(defects),
        root=ROOT,
        scratch=tmp_path,
    ) as run:
        yield run


@pytest.mark.parametrize(("operation_id", "mode"), contract_cases(contract=CONTRACT, root=ROOT))
def test_the_clean_app_keeps_its_contract(notes: ContractRun, operation_id: str, mode: str) -> None:
    notes.fuzz(operation_id, mode)


@pytest.mark.parametrize(
    ("notes", "check"),
    [
        ("no-security-headers", "security_headers_present"),
        ("no-request-id", "request_id_echoed"),
        ("leaky-error,server-error", "no_internal_details"),
        ("plain-text-error", "problem_json_errors"),
        ("ignores-auth", "auth_enforced"),
    ],
    indirect=["notes"],
)
def test_each_planted_defect_is_reported_by_its_check(notes: ContractRun, check: str) -> None:
    operation = {
        "no_internal_details": "createNote",
        "problem_json_errors": "getNote",
        "auth_enforced": "listNotes",
    }.get(check, "getStats")
    with pytest.raises(BaseExceptionGroup) as failure:
        notes.fuzz(operation, "positive")
    assert check in "".join(traceback.format_exception(failure.value))


def test_house_checks_stay_off_unless_opted_in(tmp_path: Path) -> None:
    settings = {k: v for k, v in SETTINGS.items() if k != "house_checks"}
    with contract_test(
        "notes",
        contract=CONTRACT,
        settings=settings,
        app=_notes_app("no-security-headers,no-request-id"),
        root=ROOT,
        scratch=tmp_path,
    ) as run:
        run.fuzz("getStats", "positive")
