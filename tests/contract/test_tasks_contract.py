"""The Tasks API keeps its contract: `make contract-test`, in-process and on a smaller budget.

Every operation is fuzzed from the contract file (not from what the app says about itself), with
all of Schemathesis' checks and ours, as the identities the Tasks API's own hook sets up
(contracts/tasks_hooks.py); then stateful sequences follow the contract's links. A contract
break fails the normal test suite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from specfirst.testing import ContractRun, contract_cases, contract_test

from .conftest import ROOT

pytestmark = pytest.mark.contract

# Every operation, positive and negative. A finding fails the suite until it is fixed: no
# finding is marked as known or left out of the stateful run.
CASES = [
    pytest.param(op, mode, id=f"{op}-{mode}") for op, mode in contract_cases("tasks", root=ROOT)
]


@pytest.fixture(scope="module")
def tasks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractRun]:
    with contract_test("tasks", root=ROOT, scratch=tmp_path_factory.mktemp("tasks")) as run:
        yield run


@pytest.mark.parametrize(("operation_id", "mode"), CASES)
def test_operation_keeps_the_contract(tasks: ContractRun, operation_id: str, mode: str) -> None:
    tasks.fuzz(operation_id, mode)


def test_stateful_sequences_keep_the_contract(tasks: ContractRun) -> None:
    tasks.stateful()
