"""Contract tests inside your own pytest suite: the in-process variant of `specfirst contract-test`.

Same settings (`contracts/<api>.toml` and pyproject), same hooks and identities, same checks
(Schemathesis' full set plus ours), on a small budget, through Schemathesis' ASGI client: no
server, no port. Typical use, in `tests/contract/test_contract.py`:

    import pytest
    from specfirst.testing import contract_cases, contract_test

    @pytest.fixture(scope="module")
    def contract(tmp_path_factory):
        with contract_test("myapi", scratch=tmp_path_factory.mktemp("contract")) as run:
            yield run

    @pytest.mark.parametrize(("operation_id", "mode"), contract_cases("myapi"))
    def test_operation_keeps_the_contract(contract, operation_id, mode):
        contract.fuzz(operation_id, mode)

    def test_stateful_sequences_keep_the_contract(contract):
        contract.stateful()

`contract_test` takes the configured API's name, or a `contract=` file plus a `settings=` table
(the keys of a settings file); `app=` passes an app object instead of the configured factory.
A finding fails the test with Schemathesis' report of it (the check, the response, a curl line).
"""

from __future__ import annotations

import contextlib
import copy
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specfirst.contract_test.identities import Identities
from specfirst.contract_test.observe import Observations

__all__ = ["ContractRun", "contract_cases", "contract_test"]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass
class ContractRun:
    """An app under contract test: `schema` is Schemathesis' schema bound to the app."""

    schema: Any
    app: Any
    document: dict[str, Any]
    identities: Identities | None
    observations: Observations

    def fuzz(self, operation_id: str, mode: str = "positive", *, max_examples: int = 12) -> None:
        """Generate cases for one operation (mode "positive" or "negative") and validate each
        response with every check; raises on the first finding."""
        from hypothesis import HealthCheck, given, settings
        from schemathesis import GenerationMode

        operation = self.schema.find_operation_by_id(operation_id)

        @settings(
            max_examples=max_examples,
            derandomize=True,  # the same cases every run
            deadline=None,  # a request may take a while on a busy CI machine
            database=None,  # no replays of old failures
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(GenerationMode(mode)))
        def check(case: Any) -> None:
            case.call_and_validate()

        check()

    def stateful(
        self,
        *,
        max_examples: int = 8,
        steps: int = 6,
        exclude_operation_ids: Sequence[str] = (),
    ) -> None:
        """Sequences of calls along the contract's links (and the ones Schemathesis infers)."""
        import schemathesis
        from hypothesis import HealthCheck, settings
        from hypothesis.stateful import run_state_machine_as_test

        schema = self.schema
        schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])
        for operation_id in exclude_operation_ids:
            schema = schema.exclude(operation_id=operation_id)
        run_state_machine_as_test(
            schema.as_state_machine(),
            settings=settings(
                max_examples=max_examples,
                stateful_step_count=steps,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )


def _resolve(
    api: str | None,
    contract: str | Path | None,
    settings: Mapping[str, Any] | None,
    root: Path | None,
) -> tuple[Any, dict[str, Any]]:
    from specfirst.config import find_pyproject, load_config
    from specfirst.contract_test.settings import load_settings, settings_from_dict
    from specfirst.loader import load_contract

    base = find_pyproject(root).parent
    if contract is not None:
        path = Path(contract)
        if not path.is_absolute():
            path = base / path
        name = api or path.parent.name or "api"
        harness = settings_from_dict(name, path, dict(settings or {}), base=base)
    else:
        if api is None:
            raise ValueError("contract_test needs an API name or a contract file")
        configured = load_config(base / "pyproject.toml").api(api)
        harness = load_settings(configured, root=base)
        if settings:
            import dataclasses

            extra = settings_from_dict(api, harness.contract, dict(settings), base=base)
            harness = dataclasses.replace(
                harness, **{key: getattr(extra, key) for key in settings if hasattr(extra, key)}
            )
    return harness, load_contract(harness.contract).document


def contract_cases(
    api: str | None = None,
    *,
    contract: str | Path | None = None,
    root: Path | None = None,
) -> list[tuple[str, str]]:
    """(operationId, mode) pairs for `pytest.mark.parametrize`: every operation positive, and
    negative where it takes input that can be wrong."""
    _, document = _resolve(api, contract, None, root)
    pairs = []
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS or not isinstance(operation, dict):
                continue
            pairs.append((str(operation["operationId"]), "positive"))
            if item.get("parameters") or operation.get("parameters") or "requestBody" in operation:
                pairs.append((str(operation["operationId"]), "negative"))
    return sorted(pairs)


@contextlib.contextmanager
def contract_test(
    api: str | None = None,
    *,
    contract: str | Path | None = None,
    settings: Mapping[str, Any] | None = None,
    app: Any | None = None,
    headers: Mapping[str, str] | None = None,
    root: Path | None = None,
    scratch: Path | None = None,
) -> Iterator[ContractRun]:
    """The app in-process with its identities, our checks and hooks active until the block ends."""
    import schemathesis

    from specfirst.contract_test.inprocess import in_process

    harness, document = _resolve(api, contract, settings, root)
    config_text = "\n".join(p.read_text(encoding="utf-8") for p in harness.schemathesis_config)
    with contextlib.ExitStack() as stack:
        if scratch is None:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="specfirst-")))
        run = stack.enter_context(
            in_process(harness, document, scratch=scratch, app=app, headers=headers)
        )
        config = schemathesis.Config.from_str(config_text) if config_text.strip() else None
        schema = schemathesis.openapi.from_dict(copy.deepcopy(document), config=config)
        schema.app = run.app
        yield ContractRun(schema, run.app, document, run.identities, run.observations)
