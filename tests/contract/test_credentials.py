"""Settings and credentials: interpolation, one way per scheme, -H headers, where credentials go."""

from __future__ import annotations

from pathlib import Path

import pytest

from specfirst.config import ConfigError
from specfirst.contract_test.credentials import (
    identities_from_settings,
    load_callable,
    parse_header,
    split_headers,
)
from specfirst.contract_test.identities import Identities, Placement, placement
from specfirst.contract_test.settings import interpolate, settings_from_dict

CONTRACT = {
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "basic": {"type": "http", "scheme": "basic"},
            "key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "sid"},
            "oauth": {
                "type": "oauth2",
                "flows": {
                    "clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}},
                    "password": {"tokenUrl": "/token", "refreshUrl": "/refresh", "scopes": {}},
                },
            },
        }
    }
}


def _settings(data: dict[str, object]) -> object:
    return settings_from_dict("api", Path("openapi.yaml"), data, base=Path())


def test_interpolation() -> None:
    env = {"TOKEN": "t0k", "EMPTY": ""}
    assert interpolate("Bearer ${TOKEN}", env) == "Bearer t0k"
    assert interpolate("${MISSING:-fallback}", env) == "fallback"
    assert interpolate("${EMPTY:-fallback}", env) == "fallback"
    assert interpolate("cost: $$5", env) == "cost: $5"
    with pytest.raises(ConfigError, match="MISSING"):
        interpolate("${MISSING}", env)


def test_unknown_settings_and_house_checks_are_errors() -> None:
    with pytest.raises(ConfigError, match="unknown contract-test setting"):
        _settings({"acounts": {}})
    with pytest.raises(ConfigError, match="unknown check"):
        _settings({"house_checks": ["security_headers"]})
    with pytest.raises(ConfigError, match="exactly one of"):
        _settings({"auth": {"bearer": {"value": "a", "username": "b"}}})


def test_headers_naming_a_scheme_become_its_credential() -> None:
    credentials, plain = split_headers(
        {"authorization": "Bearer t", "X-API-Key": "k", "X-Tenant": "a"}, CONTRACT
    )
    assert credentials == {
        "bearer": "Bearer t",
        "basic": "Bearer t",
        "oauth": "Bearer t",
        "key": "k",
    }
    assert plain == {"X-Tenant": "a"}
    assert parse_header("X-API-Key:  k ") == ("X-API-Key", "k")
    with pytest.raises(ConfigError):
        parse_header("no colon")


def test_settings_map_each_scheme_to_how_it_is_obtained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET", "s3")
    settings = _settings(
        {
            "auth": {
                "key": {"value": "k"},
                "oauth": {"client_id": "c", "client_secret": "${SECRET}", "scope": "read"},
            }
        }
    )
    found = identities_from_settings(settings, {}, CONTRACT)  # type: ignore[arg-type]
    assert isinstance(found, Identities)
    default = found.identities["default"]
    assert default.credentials["key"].value == "k"
    grant = default.credentials["oauth"].grant
    assert grant is not None
    assert (grant.grant_type, grant.token_url, grant.client_secret, grant.scope) == (
        "client_credentials",
        "/oauth/token",
        "s3",
        "read",
    )
    with pytest.raises(ConfigError, match="no security scheme 'nope'"):
        identities_from_settings(
            _settings({"auth": {"nope": {"value": "x"}}}),  # type: ignore[arg-type]
            {},
            CONTRACT,
        )


def test_where_each_scheme_sends_its_credential() -> None:
    schemes = CONTRACT["components"]["securitySchemes"]
    assert placement(schemes["bearer"]) == Placement("header", "Authorization", "Bearer ")
    assert placement(schemes["key"]) == Placement("header", "X-API-Key")
    assert placement(schemes["cookie"]) == Placement("cookie", "sid")
    assert placement(schemes["oauth"]) == Placement("header", "Authorization", "Bearer ")
    basic = placement(schemes["basic"])
    assert basic is not None
    assert basic.render("ann:pw") == "Basic YW5uOnB3"
    assert Placement("header", "Authorization", "Bearer ").render("Bearer t") == "Bearer t"


def test_hooks_load_from_a_file_or_a_module(tmp_path: Path) -> None:
    (tmp_path / "hooks.py").write_text("def identities(ctx):\n    return None\n")
    assert load_callable("hooks.py:identities", tmp_path)(None) is None
    with pytest.raises(ConfigError, match="not `module:callable`"):
        load_callable("hooks.py", tmp_path)
    with pytest.raises(ConfigError, match="no file"):
        load_callable("missing.py:identities", tmp_path)
