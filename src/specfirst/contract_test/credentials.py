"""Where a run's identities come from: static values, OAuth2 flows, a project hook.

Each security scheme the settings or `-H` give a credential for maps to how it is obtained:
- a static value (`[auth.<scheme>] value`, or a `-H`/`[headers]` header the scheme is sent in);
- an OAuth2 password grant (`username` + `password`) or client-credentials grant (`client_id` +
  `client_secret`), run against the contract's `tokenUrl` for that flow;
- a project hook (`[hooks] identities`), which returns any number of named identities.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from specfirst.config import ConfigError
from specfirst.contract_test.identities import (
    Credential,
    Identities,
    Identity,
    OAuth2Grant,
    oauth2_flow,
    placement,
    security_schemes,
)
from specfirst.contract_test.settings import ContractTestSettings


def parse_header(text: str) -> tuple[str, str]:
    """`Name: value`, as `-H` spells it."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise ConfigError(f"header {text!r} is not `Name: value`")
    return name.strip(), value.strip()


def split_headers(
    headers: Mapping[str, str], contract: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """(scheme -> credential value) for headers a scheme is sent in; the other headers."""
    by_header: dict[str, list[str]] = {}
    for name, definition in security_schemes(contract).items():
        where = placement(definition)
        if where is not None and where.location == "header":
            by_header.setdefault(where.name.lower(), []).append(name)
    credentials: dict[str, str] = {}
    plain: dict[str, str] = {}
    for header, value in headers.items():
        schemes = by_header.get(header.lower())
        if schemes:
            for scheme in schemes:
                credentials[scheme] = value
        else:
            plain[header] = value
    return credentials, plain


def identities_from_settings(
    settings: ContractTestSettings,
    header_credentials: Mapping[str, str],
    contract: Mapping[str, Any],
) -> Identities | None:
    """The one identity (`default`) that static values and OAuth2 settings make, if any."""
    schemes = security_schemes(contract)
    credentials: dict[str, Credential] = {}
    for scheme, value in header_credentials.items():
        credentials[scheme] = Credential(scheme=scheme, value=value)
    for scheme, wanted in settings.auth.items():
        definition = schemes.get(scheme)
        if definition is None:
            raise ConfigError(
                f"auth.{scheme}: the contract has no security scheme {scheme!r} "
                f"(it has: {', '.join(sorted(schemes)) or 'none'})"
            )
        if wanted.value is not None:
            credentials[scheme] = Credential(scheme=scheme, value=wanted.value)
            continue
        flow_name = "password" if wanted.username is not None else "clientCredentials"
        flow = oauth2_flow(definition, flow_name) or {}
        token_url = wanted.token_url or flow.get("tokenUrl")
        if not token_url:
            raise ConfigError(
                f"auth.{scheme}: the scheme declares no OAuth2 {flow_name} flow with a tokenUrl "
                "(set auth.{scheme}.token_url)"
            )
        credentials[scheme] = Credential(
            scheme=scheme,
            grant=OAuth2Grant(
                token_url=str(token_url),
                grant_type="password" if flow_name == "password" else "client_credentials",
                username=wanted.username,
                password=wanted.password,
                client_id=wanted.client_id,
                client_secret=wanted.client_secret,
                scope=wanted.scope,
                refresh_url=flow.get("refreshUrl"),
                client_auth=wanted.client_auth,
            ),
        )
    if not credentials:
        return None
    return Identities({"default": Identity("default", credentials)})


def merge(hooked: Identities | None, configured: Identities | None) -> Identities | None:
    """A hook's identities, each given the configured credentials for schemes it lacks."""
    if hooked is None:
        return configured
    if configured is not None:
        extra = configured.identities["default"].credentials
        for identity in hooked.identities.values():
            for scheme, credential in extra.items():
                identity.credentials.setdefault(scheme, credential)
    return hooked


def load_callable(target: str, root: Path) -> Callable[..., Any]:
    """`module:attribute` (importable, project root on the path) or `path/to/file.py:attribute`."""
    where, sep, attribute = target.rpartition(":")
    if not sep or not where or not attribute:
        raise ConfigError(f"hook {target!r} is not `module:callable` or `file.py:callable`")
    if where.endswith(".py"):
        path = (root / where).resolve()
        if not path.is_file():
            raise ConfigError(f"hook {target!r}: no file {path}")
        name = f"specfirst_hook_{path.stem}_{abs(hash(str(path))):x}"
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
    else:
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        module = importlib.import_module(where)
    found = getattr(module, attribute, None)
    if not callable(found):
        raise ConfigError(f"hook {target!r}: {attribute} is not a callable of {where}")
    return found  # type: ignore[no-any-return]
