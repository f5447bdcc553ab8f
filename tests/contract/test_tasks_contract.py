"""The Tasks API keeps its contract: `make contract-test`, in-process and on a smaller budget.

Every operation is fuzzed from the contract file (not from what the app says about itself), with
all of Schemathesis' checks and ours, as accounts registered through the API; then stateful
sequences follow the contract's links. A contract break fails the normal test suite.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from specfirst.config import load_config
from specfirst.contract_test.inprocess import in_process
from specfirst.contract_test.settings import load_settings
from specfirst.loader import load_contract

from .conftest import ROOT, SMALL_BUDGET, fuzz_operation, operation_modes

pytestmark = pytest.mark.contract

TASKS = load_config(ROOT / "pyproject.toml").api("tasks")
DOCUMENT = load_contract(ROOT / TASKS.contract).document
# Findings the harness made that are not fixed yet (see docs/contract-testing.md, "Known
# findings"), as `(operationId, mode): pytest.mark.xfail(reason=..., strict=True)`. Strict: once
# fixed, pytest reports XPASS as a failure and the entry must go. The `instance` finding (decoded,
# non-ASCII paths) was fixed in the generated runtime.
# The registerUser finding (ECMA `\s` in the email pattern meaning less than pydantic's) was fixed
# in the contract.
KNOWN_FINDINGS: dict[tuple[str, str], pytest.MarkDecorator] = {}
CASES = [
    pytest.param(op, mode, marks=KNOWN_FINDINGS.get((op, mode), ()), id=f"{op}-{mode}")
    for op, mode in operation_modes(DOCUMENT)
]


@pytest.fixture(scope="module")
def tasks_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    harness = load_settings(TASKS, root=ROOT)
    config = schemathesis.Config.from_str(
        "\n".join(path.read_text(encoding="utf-8") for path in harness.schemathesis_config)
    )
    scratch = tmp_path_factory.mktemp("tasks-contract")
    with in_process(harness, DOCUMENT, scratch=scratch, root=ROOT) as run:
        schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT), config=config)
        schema.app = run.app
        yield schema


@pytest.mark.parametrize(("operation_id", "mode"), CASES)
def test_operation_keeps_the_contract(tasks_schema: Any, operation_id: str, mode: str) -> None:
    fuzz_operation(tasks_schema, operation_id, mode)


def test_stateful_sequences_keep_the_contract(tasks_schema: Any) -> None:
    # Positive data only: the per-operation tests cover negative data.
    # registerUser is left out while its known finding (EMAIL_NARROWER) stands; its own tests
    # above still run it.
    tasks_schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])
    machine = tasks_schema.exclude(operation_id="registerUser").as_state_machine()
    run_state_machine_as_test(
        machine,
        settings=settings(SMALL_BUDGET, max_examples=8, stateful_step_count=6),
    )
