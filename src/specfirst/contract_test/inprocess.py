"""The same harness in-process (ASGI), for pytest: no server, no port, a smaller budget.

The app is built by the configured factory with the settings' environment over a fresh SQLite
file, and reached through Schemathesis' own ASGI client, so the accounts set up here live on the
same event loop and lifespan as the requests Schemathesis makes.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import secrets
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemathesis.python import asgi

from specfirst.contract_test import hooks
from specfirst.contract_test.accounts import Wallet, admin_by_command, bootstrap
from specfirst.contract_test.observe import Observations
from specfirst.contract_test.server import fill, run_setup
from specfirst.contract_test.settings import ContractTestSettings


@dataclass
class InProcessRun:
    app: Any
    wallet: Wallet
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
    root: Path,
    app: Any | None = None,
) -> Iterator[InProcessRun]:
    """Build the app (unless given), set up the accounts, point our hooks and checks at them."""
    if app is None and not settings.app:
        raise ValueError(f"no app configured for API {settings.api!r}")
    url = f"sqlite+aiosqlite:///{scratch / 'contract-test.db'}"
    values = {"python": sys.executable, "database_url": url}
    env = {"DATABASE_URL": url, **{k: fill(v, values) for k, v in settings.env.items()}}
    with patched_environ(env):
        full_env = dict(os.environ)
        run_setup([[fill(p, values) for p in c] for c in settings.setup], full_env, root)
        if app is None:
            app = load_factory(str(settings.app), settings.app_dir)()
        admin = None
        if settings.accounts.admin_command:
            command = [fill(part, values) for part in settings.accounts.admin_command]
            admin = admin_by_command(command, full_env, root)
        session = asgi.get_client(app)
        base_url = f"http://{asgi.HOST}"
        state = bootstrap(
            session,
            base_url,
            settings.accounts,
            contract,
            run_id=secrets.token_hex(4),
            make_admin=admin,
        )
        run = InProcessRun(app, Wallet(state, session, base_url), Observations())
        hooks.activate(run.wallet, run.observations, admin_scope=state.admin_scope)
        try:
            yield run
        finally:
            hooks.deactivate()
