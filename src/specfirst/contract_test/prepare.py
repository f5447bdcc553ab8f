"""Everything before Schemathesis starts: environment, the app, identities.

The same steps for the CLI run (a real server, or a deployment given by URL) and for the
in-process pytest variant (the app object behind Schemathesis' ASGI client):

1. the API's `environment` hook (a context manager) adds to the app's environment and cleans
   up afterwards; the settings' `server.env` and `server.setup` commands follow;
2. the app: `uvicorn --factory` on a free port (waiting for its served contract, or the
   configured readiness path), a deployment's URL, or built in-process;
3. identities: the `identities` hook's, merged with static values and OAuth2 grants from the
   settings and `-H` headers; every OAuth2 credential is obtained once here, so a bad password
   stops the run before fuzzing with a clear message.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import requests

from specfirst.config import ConfigError
from specfirst.contract_test.api import RunContext
from specfirst.contract_test.credentials import (
    identities_from_settings,
    load_callable,
    merge,
    split_headers,
)
from specfirst.contract_test.identities import Identities, Wallet
from specfirst.contract_test.server import fill, run_setup, serve, wait_ready
from specfirst.contract_test.settings import ContractTestSettings, interpolate


@dataclass
class Prepared:
    base_url: str
    session: requests.Session
    target: str  # what was tested, for the summary
    env: dict[str, str]
    identities: Identities | None
    wallet: Wallet | None
    plain_headers: dict[str, str] = field(default_factory=dict)  # sent with every request
    app: Any | None = None  # in-process


def _server_env(settings: ContractTestSettings, ctx: RunContext) -> None:
    values = {"python": sys.executable}
    for key, value in settings.env.items():
        ctx.env[key] = interpolate(
            fill(value, values), {**os.environ, **ctx.env}, where=f"server.env.{key}"
        )


def _hook(settings: ContractTestSettings, name: str) -> Any | None:
    target = getattr(settings.hooks, name)
    return load_callable(target, settings.root) if target else None


@contextlib.contextmanager
def prepare(
    settings: ContractTestSettings,
    contract: Mapping[str, Any],
    *,
    scratch: Path,
    headers: Mapping[str, str] | None = None,
    base_url: str | None = None,
    app: Any | None = None,
    in_process: bool = False,
    log: Path | None = None,
    out: TextIO = sys.stdout,
) -> Iterator[Prepared]:
    base_url = base_url or settings.base_url
    header_credentials, plain = split_headers({**settings.headers, **(headers or {})}, contract)
    configured = identities_from_settings(settings, header_credentials, contract)
    ctx = RunContext(
        api=settings.api,
        contract=contract,
        root=settings.root,
        scratch=scratch,
        run_id=secrets.token_hex(4),
        env={},
        options=settings.hook_options,
        external=base_url is not None,
        in_process=in_process,
        out=out,
    )
    with contextlib.ExitStack() as stack:
        environment = _hook(settings, "environment")
        if environment is not None and base_url is None:
            added = stack.enter_context(environment(ctx))
            ctx.env.update({str(k): str(v) for k, v in dict(added or {}).items()})
        _server_env(settings, ctx)
        full_env = {**os.environ, **ctx.env}
        if base_url is None and settings.setup:
            values = {"python": sys.executable}
            run_setup(
                [[fill(p, values) for p in c] for c in settings.setup], full_env, settings.root
            )
        if in_process:
            from schemathesis.python import asgi

            from specfirst.contract_test.inprocess import load_factory, patched_environ

            stack.enter_context(patched_environ(ctx.env))
            if app is None:
                if not settings.app:
                    raise ConfigError(f"no app configured for API {settings.api!r}")
                app = load_factory(settings.app, settings.app_dir)()
            session: requests.Session = asgi.get_client(app)
            url = f"http://{asgi.HOST}"
            target = "in-process app"
        elif base_url is not None:
            url = base_url.rstrip("/")
            wait_ready(url, settings.readiness, settings.readiness_timeout, out=out)
            session = stack.enter_context(requests.Session())
            target = f"deployment at {url}"
        else:
            if not settings.app:
                raise ConfigError(
                    f"no app to start for API {settings.api!r}: set `app` (module:factory) in its "
                    "contract-test settings, or pass --app or --base-url"
                )
            server = stack.enter_context(
                serve(
                    settings.app,
                    env=full_env,
                    cwd=settings.root,
                    log=log or scratch / "server.log",
                    readiness=settings.readiness,
                    app_dir=settings.app_dir,
                    timeout=settings.readiness_timeout,
                    out=out,
                )
            )
            url = server.base_url
            session = stack.enter_context(requests.Session())
            target = f"app {settings.app} at {url}"
        ctx.base_url, ctx.session = url, session
        identities_hook = _hook(settings, "identities")
        hooked = identities_hook(ctx) if identities_hook is not None else None
        if hooked is not None and not isinstance(hooked, Identities):
            raise ConfigError(
                f"the identities hook {settings.hooks.identities} returned "
                f"{type(hooked).__name__}, not Identities"
            )
        identities = merge(hooked, configured)
        wallet = Wallet(identities, session, url) if identities is not None else None
        if identities is not None:
            names = ", ".join(identities.identities)
            print(f"identities: {names}", file=out, flush=True)
        yield Prepared(url, session, target, full_env, identities, wallet, plain, app)
