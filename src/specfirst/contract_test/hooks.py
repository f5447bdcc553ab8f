"""Everything the harness adds to Schemathesis, for the CLI run and the pytest variant alike.

`specfirst contract-test` runs `st run` with `SCHEMATHESIS_HOOKS=specfirst.contract_test.hooks`;
importing this module then registers our checks, the auth provider and the hooks below, and
reads the run's identities and options from the file named by `SPECFIRST_CT_STATE` (base URL in
`SPECFIRST_CT_BASE_URL`, observations go to `SPECFIRST_CT_OBSERVATIONS`). The pytest variant
calls `activate()` itself with an in-process client instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import requests
import schemathesis
from schemathesis import HookContext, Response

from specfirst.contract_test import checks, observe, provider
from specfirst.contract_test.identities import Identities, Wallet
from specfirst.contract_test.observe import Observations
from specfirst.contract_test.operations import AnyCase, operation_id

STATE_ENV = "SPECFIRST_CT_STATE"
BASE_URL_ENV = "SPECFIRST_CT_BASE_URL"
OBSERVATIONS_ENV = "SPECFIRST_CT_OBSERVATIONS"


def activate(
    wallet: Wallet | None,
    observations: Observations | None,
    *,
    house: Iterable[str] = (),
    security_headers: Mapping[str, str | None] | None = None,
) -> None:
    """Point the provider, the checks and the hooks at this run's identities and records.

    Nothing is active until this is called, and `deactivate()` switches everything off again, so
    other Schemathesis tests in the same process are not held to our checks.
    """
    provider.register()
    provider.install(wallet)
    checks.configure(active=True, wallet=wallet, house=house, security_headers=security_headers)
    observe.ACTIVE.clear()
    if observations is not None:
        observe.ACTIVE.append(observations)


def deactivate() -> None:
    provider.install(None)
    checks.configure(active=False, wallet=None)
    observe.ACTIVE.clear()


@schemathesis.hook
def before_call(context: HookContext, case: AnyCase, kwargs: dict[str, Any]) -> None:
    """Half of the requests carry their own request id, so echoing it can be checked."""
    headers: Any = case.headers
    if (
        checks.RUNTIME.active
        and "request_id_echoed" in checks.RUNTIME.house
        and "X-Request-ID" not in headers
        and provider.case_hash(case) % 2
    ):
        headers["X-Request-ID"] = f"ct-{provider.case_hash(case):016x}"


@schemathesis.hook
def after_call(context: HookContext, case: AnyCase, response: Response) -> None:
    """Record what answered, and renew a credential the API just refused."""
    if case.method.upper() == case.operation.method.upper():  # not a wrong-method probe
        observe.record(operation_id(case.operation), response.status_code)
    wallet = provider.current_wallet()
    if wallet is not None and response.status_code == 401:
        sent = response.request.headers.get("Authorization") or ""
        if isinstance(sent, bytes):
            sent = sent.decode("latin-1")
        wallet.rejected(sent.partition(" ")[2])


def state_json(
    identities: Identities | None,
    house: Iterable[str],
    security_headers: Mapping[str, str | None] | None,
) -> str:
    """What the harness hands to the Schemathesis process."""
    return json.dumps(
        {
            "identities": json.loads(identities.to_json()) if identities else None,
            "house": sorted(house),
            "security_headers": dict(security_headers) if security_headers is not None else None,
        },
        indent=2,
    )


def _from_environment() -> None:
    state_file = os.environ.get(STATE_ENV)
    if not state_file:
        return
    state = json.loads(Path(state_file).read_text(encoding="utf-8"))
    wallet = None
    if state["identities"] is not None:
        identities = Identities.from_json(json.dumps(state["identities"]))
        wallet = Wallet(identities, requests.Session(), os.environ[BASE_URL_ENV])
    observed = os.environ.get(OBSERVATIONS_ENV)
    activate(
        wallet,
        Observations(Path(observed)) if observed else None,
        house=state["house"],
        security_headers=state["security_headers"],
    )


_from_environment()
