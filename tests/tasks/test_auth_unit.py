"""Passwords, access tokens and settings, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr, ValidationError

from tasks_service.core.config import Settings
from tasks_service.core.security import InvalidTokenError, Passwords, Tokens, granted_scopes

from .conftest import make_settings

SECRET = "x" * 40

pytestmark = pytest.mark.anyio


async def test_password_hash_is_argon2id_and_verifies() -> None:
    passwords = Passwords(make_settings())
    hashed = await passwords.hash("correct-horse-battery")
    assert hashed.startswith("$argon2id$")
    assert (await passwords.verify("correct-horse-battery", hashed))[0]
    assert not (await passwords.verify("wrong-horse-battery", hashed))[0]
    assert (await passwords.verify("anything", None)) == (False, None)


async def test_password_rehashed_when_parameters_change() -> None:
    old = await Passwords(make_settings()).hash("correct-horse-battery")
    stronger = Passwords(make_settings(argon2_time_cost=2))
    ok, new_hash = await stronger.verify("correct-horse-battery", old)
    assert ok
    assert new_hash is not None
    assert new_hash != old


def _tokens(**overrides: object) -> Tokens:
    return Tokens(make_settings(**{"jwt_secret": SECRET, **overrides}))


def test_access_token_round_trip_carries_required_claims() -> None:
    tokens = _tokens()
    now = datetime.now(UTC)
    token = tokens.issue_access(subject="u1", scopes=("tasks",), session_id="s1", now=now)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="specfirst-tasks-api")
    assert {"exp", "iat", "nbf", "sub", "aud", "iss", "jti", "sid", "scope"} <= set(claims)
    checked = tokens.verify_access(token)
    assert checked.subject == "u1"
    assert checked.scopes == frozenset({"tasks"})
    assert checked.session_id == "s1"


@pytest.mark.parametrize(
    ("change", "value"),
    [("iss", "someone-else"), ("aud", "another-api"), ("exp", -3600), ("sub", None)],
)
def test_access_token_rejected_when_a_claim_is_wrong(change: str, value: object) -> None:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "iss": "specfirst-tasks",
        "aud": "specfirst-tasks-api",
        "sub": "u1",
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "jti": "j",
        "sid": "s",
        "scope": "tasks",
    }
    if value is None:
        del claims[change]
    elif change == "exp":
        claims["exp"] = now + timedelta(seconds=int(str(value)))
    else:
        claims[change] = value
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    with pytest.raises(InvalidTokenError):
        _tokens().verify_access(token)


def test_access_token_rejected_with_another_key_or_algorithm() -> None:
    now = datetime.now(UTC)
    forged = _tokens(jwt_secret="y" * 40).issue_access(
        subject="u1", scopes=("admin",), session_id="s", now=now
    )
    with pytest.raises(InvalidTokenError):
        _tokens().verify_access(forged)
    unsigned = jwt.encode({"sub": "u1"}, key="", algorithm="none")
    with pytest.raises(InvalidTokenError):
        _tokens().verify_access(unsigned)


def test_rs256_tokens(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = tmp_path / "private.pem"
    public = tmp_path / "public.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    tokens = _tokens(
        jwt_algorithm="RS256", jwt_private_key_file=private, jwt_public_key_file=public
    )
    token = tokens.issue_access(subject="u1", scopes=(), session_id="s", now=datetime.now(UTC))
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert tokens.verify_access(token).subject == "u1"
    # An HS256 token signed with the public key (algorithm confusion) is refused.
    with pytest.raises(InvalidTokenError):
        tokens.verify_access(jwt.encode({"sub": "u1"}, SECRET, algorithm="HS256"))


def test_scopes_follow_role_and_request() -> None:
    assert granted_scopes("user", None) == ("tasks",)
    assert granted_scopes("admin", "") == ("tasks", "admin")
    assert granted_scopes("admin", "tasks") == ("tasks",)
    assert granted_scopes("user", "admin") == ()


def test_production_refuses_default_or_short_secret() -> None:
    with pytest.raises(ValidationError, match="TASKS_JWT_SECRET"):
        Settings(environment="production")
    with pytest.raises(ValidationError, match="TASKS_JWT_SECRET"):
        Settings(environment="production", jwt_secret=SecretStr("short"))
    assert (
        Settings(environment="production", jwt_secret=SecretStr(SECRET)).environment == "production"
    )


def test_database_url_gets_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db:5432/tasks")
    assert Settings().sqlalchemy_url == "postgresql+asyncpg://u@db:5432/tasks"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///./x.db")
    assert Settings().sqlalchemy_url == "sqlite+aiosqlite:///./x.db"
