"""The Tasks API's contract-test hooks: its database and its accounts (named in tasks.toml).

The tool knows no service; what only the Tasks API needs lives here, and talks to the service
only through its documented interfaces: HTTP (register, the OAuth2 password flow) and its CLI
(`python -m tasks_service migrate`, `create-admin EMAIL --password-stdin`).

- `database`: a fresh database for the run. SQLite in the run's scratch folder by default; when
  `DATABASE_URL` names PostgreSQL, a new database `specfirst_ct_<id>` is created next to it and
  dropped afterwards (psycopg, this project's dev dependency), so a run never sees, nor leaves,
  anyone else's data. Migrated to the latest schema before the app starts.
- `identities`: six identities, each there to reach part of the contract:
  `user` makes most secured requests; `other` is a second account, so another account's data is
  requested too (→ 404); `admin` (made by the service's own command) holds the `admin` scope;
  `limited` is the admin logged in with the `admin` scope only (a valid token lacking `tasks`:
  the 403 of ordinary operations); `victim` is the account `deactivateUser` acts on; `session` is
  a separate login of `user`, kept for `logout` (which revokes the token it is sent with).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

from specfirst.contract_test.api import (
    Credential,
    CredentialError,
    Identities,
    Identity,
    RunContext,
)

REGISTER_PATH = "/api/auth/register"


@contextlib.contextmanager
def database(ctx: RunContext) -> Iterator[dict[str, str]]:
    requested = os.environ.get("DATABASE_URL", "")
    if requested.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres"):
        with _fresh_postgres(requested) as url:
            env = {"DATABASE_URL": url}
            _migrate(ctx, env)
            ctx.log(f"database: fresh PostgreSQL database {url.rsplit('/', 1)[-1]}")
            yield env
        return
    url = f"sqlite+aiosqlite:///{ctx.scratch / 'contract-test.db'}"
    env = {"DATABASE_URL": url}
    _migrate(ctx, env)
    ctx.log("database: fresh SQLite file")
    yield env


def _migrate(ctx: RunContext, env: dict[str, str]) -> None:
    ctx.env.update(env)
    ctx.run([ctx.python, "-m", "tasks_service", "migrate"])


@contextlib.contextmanager
def _fresh_postgres(url: str) -> Iterator[str]:
    import psycopg
    from psycopg import sql

    base, _, query = url.partition("?")
    scheme, rest = base.split("://", 1)
    admin_url = "postgresql://" + rest
    name = f"specfirst_ct_{secrets.token_hex(4)}"
    server, _, _ = rest.rpartition("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{scheme}://{server}/{name}" + (f"?{query}" if query else "")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
                + sql.SQL(" WITH (FORCE)")
            )


def identities(ctx: RunContext) -> Identities:
    session, base_url = ctx.session, ctx.base_url
    assert session is not None
    assert base_url is not None
    domain = str(ctx.options.get("email_domain", "contract-test.example.com"))

    def account(role: str) -> tuple[str, str]:
        return f"{role}-{ctx.run_id}@{domain}", f"contract-{role}-{ctx.run_id}-password"

    def register(role: str) -> str:
        email, password = account(role)
        response = session.post(
            base_url + REGISTER_PATH, json={"email": email, "password": password}, timeout=60
        )
        if response.status_code != 201:
            raise CredentialError(
                f"registering {email} answered {response.status_code}: {response.text[:300]}"
            )
        return str(response.json()["id"])

    def login(role: str, scope: str | None = None) -> dict[str, Credential]:
        email, password = account(role)
        # The Tasks API's refreshUrl takes {"refresh_token": ...} as JSON.
        credential = ctx.password_grant(email, password, scope=scope, refresh_format="json")
        return {credential.scheme: credential}

    found: dict[str, Identity] = {}
    for role in ("user", "other", "victim"):
        subject = register(role)
        targets = ("deactivateUser",) if role == "victim" else ()
        found[role] = Identity(role, login(role), subject=subject, targets=targets)
    if not ctx.external:  # an admin needs the deployment's database: only for our own server
        email, password = account("admin")
        ctx.run(
            [ctx.python, "-m", "tasks_service", "create-admin", email, "--password-stdin"],
            stdin=password + "\n",
        )
        found["admin"] = Identity("admin", login("admin"))
        found["limited"] = Identity("limited", login("admin", scope="admin"))
    found["session"] = Identity(
        "session", login("user"), subject=found["user"].subject, operations=("logout",), fresh=True
    )
    ordered = ["user", "other", "admin", "limited", "victim", "session"]
    return Identities(
        {name: found[name] for name in ordered if name in found}, subject_parameter="user_id"
    )
