"""How `contract-test` runs one API: its app, accounts, server environment and known gaps.

Two sources, merged key by key (pyproject wins):
- `[tool.specfirst.apis.contract_test]` under the API's `[[tool.specfirst.apis]]` entry in
  pyproject.toml: where the app is (`app`, `app_dir`, `readiness`), what an operator changes;
- `contracts/<api>.toml`: what the harness needs to know about the API (accounts, server
  environment, set-up commands, reasons why some declared responses cannot be reached).

Placeholders in commands and environment values: `{python}` (this interpreter), `{email}` and
`{password}` (the account being set up), `{database_url}`, `{port}`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specfirst.config import ApiConfig, ConfigError, find_pyproject

DEFAULT_CONTRACTS_DIR = Path("contracts")


@dataclass(frozen=True)
class AccountsSettings:
    """How the harness obtains credentials through the API itself."""

    register_path: str | None = None  # POST JSON {email, password}; None: no registration
    token_path: str | None = None  # OAuth2 password grant; default: the contract's tokenUrl
    refresh_path: str | None = None  # default: the contract's refreshUrl
    email_domain: str = "contract-test.example.com"
    # A command that makes `{email}` an admin (password on stdin); None: no admin account.
    admin_command: tuple[str, ...] | None = None
    admin_scope: str | None = None  # the scope only admins have (operations needing it)
    # The path parameter that names an account (the caller's own, unless admin).
    subject_parameter: str | None = None
    # Operations whose subject parameter names an account to act on (not the caller's data):
    # the harness points them at a sacrificial account so they can succeed without harm.
    victim_operations: tuple[str, ...] = ()
    # Operations that spend the caller's session (logout): they get a token of their own.
    session_operations: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContractTestSettings:
    api: str
    contract: Path
    app: str | None = None  # "module:factory" for uvicorn --factory
    app_dir: Path | None = None
    readiness: str = "/readyz"
    setup: tuple[tuple[str, ...], ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    accounts: AccountsSettings = field(default_factory=AccountsSettings)
    # "operationId status" (or "* status") -> why that response cannot be seen from outside.
    unreachable: dict[str, str] = field(default_factory=dict)
    # Schemathesis config files, concatenated in order into the run's one --config-file.
    schemathesis_config: tuple[Path, ...] = ()
    max_examples: int = 100
    max_response_time: float = 2.0
    # Built-in checks this API cannot pass by design (each with its reason in its settings file).
    exclude_checks: tuple[str, ...] = ()
    workers: int = 1  # Schemathesis worker threads (STACK.md: 4 crashed on Python 3.11)


def load_settings(api: ApiConfig, *, root: Path | None = None) -> ContractTestSettings:
    """The merged settings for one configured API."""
    pyproject = find_pyproject(root)
    base = pyproject.parent
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    entries = data.get("tool", {}).get("specfirst", {}).get("apis", [])
    from_pyproject: dict[str, Any] = {}
    for entry in entries:
        if isinstance(entry, dict) and entry.get("name") == api.name:
            table = entry.get("contract_test", {})
            from_pyproject = table if isinstance(table, dict) else {}
    settings_file = base / str(
        from_pyproject.get("settings", DEFAULT_CONTRACTS_DIR / f"{api.name}.toml")
    )
    from_file: dict[str, Any] = {}
    if settings_file.is_file():
        try:
            from_file = tomllib.loads(settings_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{settings_file}: {exc}") from None
    merged = {**from_file, **from_pyproject}
    return settings_from_dict(api.name, base / api.contract, merged, base=base)


def settings_from_dict(
    api: str, contract: Path, data: dict[str, Any], *, base: Path
) -> ContractTestSettings:
    """Build settings from one merged table (also what tests use for throwaway apps)."""
    server = _table(data, "server")
    accounts = _table(data, "accounts")
    app_dir = data.get("app_dir")
    st_config = data.get("schemathesis_config")
    if st_config is None:
        defaults = (
            DEFAULT_CONTRACTS_DIR / "schemathesis.toml",
            DEFAULT_CONTRACTS_DIR / f"{api}.schemathesis.toml",
        )
        st_config = [str(path) for path in defaults if (base / path).is_file()]
    elif isinstance(st_config, str):
        st_config = [st_config]
    admin = accounts.get("admin_command")
    return ContractTestSettings(
        api=api,
        contract=contract,
        app=_optional_str(data.get("app")),
        app_dir=base / str(app_dir) if app_dir else None,
        readiness=str(data.get("readiness", "/readyz")),
        setup=tuple(tuple(str(part) for part in command) for command in server.get("setup", [])),
        env={str(k): str(v) for k, v in _table(server, "env").items()},
        accounts=AccountsSettings(
            register_path=_optional_str(accounts.get("register_path")),
            token_path=_optional_str(accounts.get("token_path")),
            refresh_path=_optional_str(accounts.get("refresh_path")),
            email_domain=str(accounts.get("email_domain", "contract-test.example.com")),
            admin_command=tuple(str(part) for part in admin) if admin else None,
            admin_scope=_optional_str(accounts.get("admin_scope")),
            subject_parameter=_optional_str(accounts.get("subject_parameter")),
            victim_operations=tuple(str(op) for op in accounts.get("victim_operations", [])),
            session_operations=tuple(str(op) for op in accounts.get("session_operations", [])),
        ),
        unreachable={str(k): str(v) for k, v in _table(data, "unreachable").items()},
        schemathesis_config=tuple(base / str(path) for path in st_config),
        max_examples=int(data.get("max_examples", 100)),
        max_response_time=float(data.get("max_response_time", 2.0)),
        workers=int(data.get("workers", 1)),
        exclude_checks=tuple(str(name) for name in data.get("exclude_checks", [])),
    )


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"contract-test setting {key!r} must be a table")
    return value


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
