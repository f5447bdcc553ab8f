"""What a project's contract-test hooks receive and return (a stable API for `contracts/*.py`).

A settings file names the hooks (`[hooks]`, `module:callable` or `path/file.py:callable`):

    [hooks]
    environment = "contracts/my_hooks.py:environment"   # optional: before the app starts
    identities = "contracts/my_hooks.py:identities"     # optional: once the app answers

- `environment(ctx: RunContext)` is a context manager (`@contextlib.contextmanager`); it yields
  a mapping of extra environment variables for the app (a fresh database URL, say), may run set-up
  commands with `ctx.run(...)`, and cleans up after the run. `ctx.base_url` is None then.
- `identities(ctx: RunContext) -> Identities` registers or finds accounts over HTTP through
  `ctx.session` (a `requests.Session`; in-process, Schemathesis' ASGI client) at `ctx.base_url`,
  and says who they are. `ctx.password_grant(...)` and `ctx.client_credentials(...)` build OAuth2
  credentials from the contract's flows; `ctx.static(...)` a static one.

Both see `ctx.options` (the settings' `[hook_options]` table) and `ctx.env` (the app's
environment, with what `environment` added).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import requests

from specfirst.contract_test.identities import (
    Credential,
    CredentialError,
    Identities,
    Identity,
    OAuth2Grant,
    oauth2_flow,
    security_schemes,
)

__all__ = [
    "Credential",
    "CredentialError",
    "Identities",
    "Identity",
    "OAuth2Grant",
    "RunContext",
]


@dataclass
class RunContext:
    api: str
    contract: Mapping[str, Any]
    root: Path  # the project root (where pyproject.toml is)
    scratch: Path  # a temporary folder of this run, removed afterwards
    run_id: str  # short random id, for unique account names and database names
    env: dict[str, str]  # the app's environment
    options: Mapping[str, Any] = field(default_factory=dict)
    base_url: str | None = None
    session: requests.Session | None = None
    external: bool = False  # a deployment given by URL: the run does not control its server
    in_process: bool = False
    out: TextIO = sys.stdout

    @property
    def python(self) -> str:
        return sys.executable

    def log(self, message: str) -> None:
        print(f"  {message}", file=self.out, flush=True)

    def run(self, command: Sequence[str], *, stdin: str | None = None) -> str:
        """Run a command (e.g. the service's own CLI) in the app's environment; its stdout."""
        result = subprocess.run(
            list(command),
            input=stdin,
            env={**os.environ, **self.env},
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise CredentialError(
                f"{' '.join(command)} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout)[-1000:]}"
            )
        return result.stdout

    def _oauth2_scheme(self, flow: str, scheme: str | None) -> tuple[str, dict[str, Any]]:
        for name, definition in security_schemes(self.contract).items():
            found = oauth2_flow(definition, flow)
            if found is not None and (scheme is None or scheme == name):
                return name, found
        raise CredentialError(
            f"the contract declares no OAuth2 {flow} flow"
            + (f" on scheme {scheme!r}" if scheme else "")
        )

    def password_grant(
        self,
        username: str,
        password: str,
        *,
        scheme: str | None = None,
        scope: str | None = None,
        refresh_format: str = "form",
    ) -> Credential:
        """An OAuth2 password-flow credential against the contract's tokenUrl/refreshUrl."""
        name, flow = self._oauth2_scheme("password", scheme)
        return Credential(
            scheme=name,
            grant=OAuth2Grant(
                token_url=str(flow.get("tokenUrl", "")),
                grant_type="password",
                username=username,
                password=password,
                scope=scope,
                refresh_url=flow.get("refreshUrl"),
                refresh_format=refresh_format,
            ),
        )

    def client_credentials(
        self,
        client_id: str,
        client_secret: str,
        *,
        scheme: str | None = None,
        scope: str | None = None,
        client_auth: str = "basic",
    ) -> Credential:
        """An OAuth2 client-credentials credential against the contract's tokenUrl."""
        name, flow = self._oauth2_scheme("clientCredentials", scheme)
        return Credential(
            scheme=name,
            grant=OAuth2Grant(
                token_url=str(flow.get("tokenUrl", "")),
                grant_type="client_credentials",
                client_id=client_id,
                client_secret=client_secret,
                scope=scope,
                refresh_url=flow.get("refreshUrl"),
                client_auth=client_auth,
            ),
        )

    @staticmethod
    def static(scheme: str, value: str) -> Credential:
        """A static credential: a token, an API key, or `user:password` for HTTP basic."""
        return Credential(scheme=scheme, value=value)
