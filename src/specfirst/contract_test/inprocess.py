"""The same harness in-process (ASGI), for pytest: no server, no port, a smaller budget.

The app is built by the configured factory (or given) with the environment the API's hooks and
settings make, and reached through Schemathesis' own ASGI client, so the identities set up here
live on the same event loop and lifespan as the requests Schemathesis makes. The public face of
this is `specfirst.testing`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from specfirst.contract_test import hooks
from specfirst.contract_test.identities import Identities, Wallet
from specfirst.contract_test.observe import Observations
from specfirst.contract_test.settings import ContractTestSettings


@dataclass
class InProcessRun:
    app: Any
    wallet: Wallet | None
    identities: Identities | None
    observations: Observations


def load_factory(target: str, app_dir: Path | None = None) -> Any:
    """`module:attribute` as uvicorn reads it."""
    if app_dir is not None and str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute or "app")


@contextlib.contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def in_process(
    settings: ContractTestSettings,
    contract: Mapping[str, Any],
    *,
    scratch: Path,
    app: Any | None = None,
    headers: Mapping[str, str] | None = None,
    out: TextIO = sys.stdout,
) -> Iterator[InProcessRun]:
    """Build the app (unless given), set up identities, point our hooks and checks at them."""
    from specfirst.contract_test.prepare import prepare

    with prepare(
        settings, contract, scratch=scratch, headers=headers, app=app, in_process=True, out=out
    ) as ready:
        run = InProcessRun(ready.app, ready.wallet, ready.identities, Observations())
        security_headers = None
        if settings.security_headers is not None:
            security_headers = {k: (v or None) for k, v in settings.security_headers.items()}
        hooks.activate(
            run.wallet,
            run.observations,
            house=settings.house_checks,
            security_headers=security_headers,
        )
        try:
            yield run
        finally:
            hooks.deactivate()
