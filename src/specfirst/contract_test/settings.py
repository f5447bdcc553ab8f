"""How `contract-test` runs one API: where the app is, how credentials are obtained, which checks.

Two sources, merged key by key (pyproject wins):
- `[tool.specfirst.apis.contract_test]` under the API's `[[tool.specfirst.apis]]` entry in
  pyproject.toml: where the app is (`app`, `app_dir`, `base_url`, `readiness`);
- `contracts/<api>.toml`: everything else (credentials, hooks, house checks, server environment,
  set-up commands, reasons why some declared responses cannot be reached).

String values may name environment variables: `${NAME}` (an error when unset) or
`${NAME:-default}`; `$$` is a literal `$`. Placeholders filled when a command runs: `{python}`
(this interpreter), `{port}` (the app's port, in `server.env`).

The tool knows no particular service: what one API needs beyond static credentials and the
OAuth2 flows of its contract comes from its own hooks (`[hooks]`, Python callables).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specfirst.config import ApiConfig, ConfigError, find_pyproject

DEFAULT_CONTRACTS_DIR = Path("contracts")
DEFAULT_READINESS = "/openapi.json"  # every app serves its contract (specfirst apps the source)
HOUSE_CHECKS = ("security_headers_present", "request_id_echoed")
_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class SchemeCredential:
    """How the credential of one security scheme is obtained (`[auth.<scheme>]`).

    Exactly one way: a static `value` (token, API key, or `user:password` for HTTP basic), or an
    OAuth2 grant run against the scheme's `tokenUrl`: `username` + `password` (password flow) or
    `client_id` + `client_secret` (client-credentials flow).
    """

    scheme: str
    value: str | None = None
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    scope: str | None = None
    token_url: str | None = None  # default: the contract's tokenUrl for that flow
    # How a client-credentials client authenticates: "basic" (RFC 6749's default) or "body".
    client_auth: str = "basic"


@dataclass(frozen=True)
class HookSettings:
    """Project hooks, each `module:callable` or `path/to/file.py:callable` (from the project root).

    - `environment(ctx)`: a context manager run before the app starts; it yields extra server
      environment (a fresh database, say) and cleans up when the run ends;
    - `identities(ctx)`: called once the app is up; returns `Identities` (name → credentials, plus
      what each may reach).
    """

    environment: str | None = None
    identities: str | None = None


@dataclass(frozen=True)
class ContractTestSettings:
    api: str
    contract: Path
    app: str | None = None  # "module:factory" for uvicorn --factory
    app_dir: Path | None = None
    base_url: str | None = None  # a running deployment instead of starting the app
    readiness: str = DEFAULT_READINESS
    readiness_timeout: float = 60.0
    setup: tuple[tuple[str, ...], ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    # Static headers sent with every request; those naming a scheme's credential (Authorization,
    # an apiKey header) become that scheme's static credential instead (sent where it applies).
    headers: dict[str, str] = field(default_factory=dict)
    auth: dict[str, SchemeCredential] = field(default_factory=dict)
    hooks: HookSettings = field(default_factory=HookSettings)
    hook_options: dict[str, Any] = field(default_factory=dict)  # `[hook_options]`, for the hooks
    house_checks: tuple[str, ...] = ()
    # Security headers `security_headers_present` asks for (name -> exact value, or "" for any).
    security_headers: dict[str, str] | None = None
    # "operationId status" (or "* status") -> why that response cannot be seen from outside.
    unreachable: dict[str, str] = field(default_factory=dict)
    # Schemathesis config files, concatenated in order into the run's one --config-file.
    schemathesis_config: tuple[Path, ...] = ()
    max_examples: int = 100
    max_response_time: float = 2.0
    # Built-in checks this API cannot pass by design (each with its reason in its settings file).
    exclude_checks: tuple[str, ...] = ()
    workers: int = 1  # Schemathesis worker threads (STACK.md: 4 crashed on Python 3.11)
    root: Path = Path()


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
    merged = {**read_settings_file(settings_file), **from_pyproject}
    return settings_from_dict(api.name, base / api.contract, merged, base=base)


def read_settings_file(path: Path) -> dict[str, Any]:
    """A settings file's table ({} when there is none)."""
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def interpolate(value: str, environ: Mapping[str, str] | None = None, *, where: str = "") -> str:
    """`${NAME}` and `${NAME:-default}` from the environment; `$$` is `$`."""
    env = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name in env and env[name] != "":
            return env[name]
        if default is not None:
            return default
        raise ConfigError(
            f"contract-test setting {where or value!r} needs the environment variable {name} "
            f"(unset; give a default with ${{{name}:-value}})"
        )

    return _VARIABLE.sub(replace, value)


def settings_from_dict(
    api: str, contract: Path, data: dict[str, Any], *, base: Path
) -> ContractTestSettings:
    """Build settings from one merged table (also what tests use for throwaway apps)."""
    known = {
        "settings", "app", "app_dir", "base_url", "readiness", "readiness_timeout", "server",
        "headers", "auth", "hooks", "hook_options", "house_checks", "security_headers",
        "unreachable", "schemathesis_config", "max_examples", "max_response_time",
        "exclude_checks", "workers",
    }  # fmt: skip
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"unknown contract-test setting(s) for API {api!r}: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known))})"
        )
    server = _table(data, "server")
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
    house = tuple(str(name) for name in _list(data, "house_checks"))
    for name in house:
        if name not in HOUSE_CHECKS:
            raise ConfigError(
                f"house_checks of API {api!r}: unknown check {name!r} "
                f"(house checks: {', '.join(HOUSE_CHECKS)})"
            )
    hooks = _table(data, "hooks")
    unknown_hooks = sorted(set(hooks) - {"environment", "identities"})
    if unknown_hooks:
        raise ConfigError(f"unknown hook(s) for API {api!r}: {', '.join(unknown_hooks)}")
    security_headers = data.get("security_headers")
    return ContractTestSettings(
        api=api,
        contract=contract,
        app=_optional_str(data.get("app")),
        app_dir=base / str(app_dir) if app_dir else None,
        base_url=_optional_str(data.get("base_url")),
        readiness=str(data.get("readiness", DEFAULT_READINESS)),
        readiness_timeout=float(data.get("readiness_timeout", 60.0)),
        setup=tuple(tuple(str(part) for part in command) for command in server.get("setup", [])),
        env={str(k): str(v) for k, v in _table(server, "env").items()},
        headers={
            str(k): interpolate(str(v), where=f"headers.{k}")
            for k, v in _table(data, "headers").items()
        },
        auth={
            str(scheme): _scheme_credential(str(scheme), table)
            for scheme, table in _table(data, "auth").items()
        },
        hooks=HookSettings(
            environment=_optional_str(hooks.get("environment")),
            identities=_optional_str(hooks.get("identities")),
        ),
        hook_options=dict(_table(data, "hook_options")),
        house_checks=house,
        security_headers=(
            {str(k): str(v) for k, v in _table(data, "security_headers").items()}
            if security_headers is not None
            else None
        ),
        unreachable={str(k): str(v) for k, v in _table(data, "unreachable").items()},
        schemathesis_config=tuple(base / str(path) for path in st_config),
        max_examples=int(data.get("max_examples", 100)),
        max_response_time=float(data.get("max_response_time", 2.0)),
        workers=int(data.get("workers", 1)),
        exclude_checks=tuple(str(name) for name in _list(data, "exclude_checks")),
        root=base,
    )


def _scheme_credential(scheme: str, table: Any) -> SchemeCredential:
    if not isinstance(table, dict):
        raise ConfigError(f"contract-test setting auth.{scheme} must be a table")
    keys = {
        "value", "username", "password", "client_id", "client_secret", "scope", "token_url",
        "client_auth",
    }  # fmt: skip
    unknown = sorted(set(table) - keys)
    if unknown:
        raise ConfigError(f"auth.{scheme}: unknown key(s) {', '.join(unknown)}")
    values = {
        key: interpolate(str(value), where=f"auth.{scheme}.{key}") for key, value in table.items()
    }
    credential = SchemeCredential(scheme=scheme, **values)
    if credential.client_auth not in ("basic", "body"):
        raise ConfigError(f'auth.{scheme}.client_auth must be "basic" or "body"')
    ways = [
        credential.value is not None,
        credential.username is not None or credential.password is not None,
        credential.client_id is not None or credential.client_secret is not None,
    ]
    if sum(ways) != 1:
        raise ConfigError(
            f"auth.{scheme}: give exactly one of `value`, `username` + `password` (OAuth2 "
            "password flow) or `client_id` + `client_secret` (OAuth2 client credentials)"
        )
    return credential


def _table(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"contract-test setting {key!r} must be a table")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"contract-test setting {key!r} must be a list")
    return value


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
