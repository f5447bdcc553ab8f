"""Our checks bite in-process: the Notes fixture app, clean and with planted defects.

The clean app keeps its contract under every check; each defect that concerns every response
(security headers, request ids, leaky errors) is reported by the check written for it.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml

from specfirst.contract_test.inprocess import in_process, patched_environ
from specfirst.contract_test.settings import settings_from_dict

from .conftest import NOTES_DIR, ROOT, fuzz_operation, operation_modes

pytestmark = pytest.mark.contract

DOCUMENT: dict[str, Any] = yaml.safe_load((NOTES_DIR / "openapi.yaml").read_text(encoding="utf-8"))


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
def notes_schema(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    defects = getattr(request, "param", "")
    harness = settings_from_dict(
        "notes",
        NOTES_DIR / "openapi.yaml",
        {
            "app": "unused:unused",
            "accounts": {"register_path": "/auth/register", "email_domain": "example.com"},
        },
        base=ROOT,
    )
    app = _notes_app(defects)
    with in_process(harness, DOCUMENT, scratch=tmp_path, root=ROOT, app=app):
        schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT))
        schema.app = app
        yield schema


@pytest.mark.parametrize(("operation_id", "mode"), operation_modes(DOCUMENT))
def test_the_clean_app_keeps_its_contract(notes_schema: Any, operation_id: str, mode: str) -> None:
    fuzz_operation(notes_schema, operation_id, mode)


@pytest.mark.parametrize(
    ("notes_schema", "check"),
    [
        ("no-security-headers", "security_headers_present"),
        ("no-request-id", "request_id_echoed"),
        ("leaky-error,server-error", "no_internal_details"),
        ("plain-text-error", "problem_json_errors"),
        ("ignores-auth", "auth_enforced"),
    ],
    indirect=["notes_schema"],
)
def test_each_planted_defect_is_reported_by_its_check(notes_schema: Any, check: str) -> None:
    operation = {
        "no_internal_details": "createNote",
        "problem_json_errors": "getNote",
        "auth_enforced": "listNotes",
    }.get(check, "getStats")
    with pytest.raises(BaseExceptionGroup) as failure:
        fuzz_operation(notes_schema, operation, "positive")
    assert check in "".join(traceback.format_exception(failure.value))
