"""Accounts and tokens over HTTP: register, login, refresh rotation, logout, /api/me."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from tasks_service.orm.tables import UserRow

from .conftest import PASSWORD, Api, ApiFactory

pytestmark = pytest.mark.anyio
PROBLEM = "application/problem+json"


def assert_problem(response: object, status: int, type_: str | None = None) -> dict[str, object]:
    import httpx

    assert isinstance(response, httpx.Response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["title"]
    if type_ is not None:
        assert body["type"] == f"urn:specfirst:problem:{type_}"
    return body


async def test_register_creates_account(api: Api) -> None:
    response = await api.client.post(
        "/api/auth/register",
        json={"email": "Ada@Example.com", "password": PASSWORD, "display_name": "Ada"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert body["display_name"] == "Ada"
    assert body["role"] == "user"
    assert body["is_active"] is True
    assert "password" not in response.text
    async with api.deps.sessions() as session:
        row = await session.get(UserRow, uuid.UUID(body["id"]))
    assert row is not None
    assert row.password_hash.startswith("$argon2id$")


async def test_register_duplicate_email_is_409_case_insensitive(api: Api) -> None:
    assert (await api.register("ada@example.com")).status_code == 201
    assert_problem(await api.register("ADA@example.com"), 409, "email-taken")


async def test_register_rejects_bad_input(api: Api) -> None:
    assert_problem(await api.register("ada@example.com", "short"), 422)
    assert_problem(await api.register("not-an-email"), 422)
    extra = await api.client.post(
        "/api/auth/register", json={"email": "a@example.com", "password": PASSWORD, "role": "admin"}
    )
    assert_problem(extra, 422)
    malformed = await api.client.post(
        "/api/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(malformed, 400)


async def test_register_rate_limited_per_client(api_factory: ApiFactory) -> None:
    async with api_factory(register_client_limit=2) as api:
        assert (await api.register("a@example.com")).status_code == 201
        assert (await api.register("b@example.com")).status_code == 201
        limited = await api.register("c@example.com")
        assert_problem(limited, 429, "rate-limited")
        assert int(limited.headers["retry-after"]) >= 1


async def test_login_issues_tokens(api: Api) -> None:
    await api.register("ada@example.com")
    response = await api.login("ADA@example.com")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["scope"] == "tasks"
    assert body["expires_in"] == 900
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert {"sub", "exp", "iat", "aud", "iss", "jti"} <= set(claims)
    me = await api.client.get(
        "/api/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"


async def test_login_wrong_credentials_are_401_alike(api: Api) -> None:
    await api.register("ada@example.com")
    wrong = assert_problem(await api.login("ada@example.com", "wrong-password-123"), 401)
    unknown = assert_problem(await api.login("nobody@example.com"), 401)
    assert wrong == unknown  # nothing says whether the account exists


async def test_login_form_validation(api: Api) -> None:
    missing = await api.client.post("/api/auth/token", data={"username": "a", "password": "b"})
    assert_problem(missing, 422)
    other_grant = await api.client.post(
        "/api/auth/token",
        data={"grant_type": "client_credentials", "username": "a", "password": "b"},
    )
    assert_problem(other_grant, 422)


async def test_login_scope_narrowing_and_invalid_scope(api: Api) -> None:
    await api.register("ada@example.com")
    assert_problem(await api.login("ada@example.com", scope="admin"), 400, "invalid-scope")
    narrowed = await api.login("ada@example.com", scope="tasks admin")
    assert narrowed.json()["scope"] == "tasks"


async def test_login_rate_limited_per_account(api_factory: ApiFactory) -> None:
    async with api_factory(login_account_limit=3) as api:
        await api.register("ada@example.com")
        for _ in range(3):
            assert (await api.login("ada@example.com", "wrong-password-123")).status_code == 401
        limited = await api.login("ada@example.com")  # even the right password waits
        assert_problem(limited, 429, "rate-limited")
        assert 1 <= int(limited.headers["retry-after"]) <= 300
        # Another account from the same client is not affected by this account's limit.
        await api.register("bob@example.com")
        assert (await api.login("bob@example.com")).status_code == 200


async def test_login_rate_limited_per_client(api_factory: ApiFactory) -> None:
    async with api_factory(login_client_limit=2) as api:
        await api.register("ada@example.com")
        assert (await api.login("x@example.com")).status_code == 401
        assert (await api.login("y@example.com")).status_code == 401
        assert_problem(await api.login("ada@example.com"), 429, "rate-limited")


async def test_successful_login_resets_account_counter(api_factory: ApiFactory) -> None:
    async with api_factory(login_account_limit=2) as api:
        await api.register("ada@example.com")
        for _ in range(3):  # 6 attempts in all; without the reset the third would be refused
            assert (await api.login("ada@example.com", "wrong-password-123")).status_code == 401
            assert (await api.login("ada@example.com")).status_code == 200


async def test_refresh_rotates_and_reuse_revokes_family(api: Api) -> None:
    ada = await api.account("ada@example.com")
    first = await api.client.post("/api/auth/refresh", json={"refresh_token": ada.refresh})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != ada.refresh
    new_auth = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert (await api.client.get("/api/me", headers=new_auth)).status_code == 200

    # The old token again: theft is assumed, the whole session dies.
    reused = await api.client.post("/api/auth/refresh", json={"refresh_token": ada.refresh})
    assert_problem(reused, 401, "refresh-token-reused")
    again = await api.client.post(
        "/api/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert_problem(again, 401, "invalid-refresh-token")
    assert_problem(await api.client.get("/api/me", headers=new_auth), 401)
    assert_problem(await api.client.get("/api/me", headers=ada.auth), 401)
    # Another session of the same account is untouched.
    other = await api.login("ada@example.com")
    other_auth = {"Authorization": f"Bearer {other.json()['access_token']}"}
    assert (await api.client.get("/api/me", headers=other_auth)).status_code == 200


async def test_refresh_rejects_unknown_and_malformed(api: Api) -> None:
    unknown = await api.client.post("/api/auth/refresh", json={"refresh_token": "nope"})
    assert_problem(unknown, 401, "invalid-refresh-token")
    assert_problem(await api.client.post("/api/auth/refresh", json={}), 422)
    assert_problem(
        await api.client.post(
            "/api/auth/refresh", content=b"[", headers={"content-type": "application/json"}
        ),
        400,
    )


async def test_refresh_of_deactivated_account_is_403(api: Api) -> None:
    ada = await api.account("ada@example.com")
    async with api.deps.sessions() as session, session.begin():
        row = await session.get(UserRow, uuid.UUID(ada.id))
        assert row is not None
        row.is_active = False
    response = await api.client.post("/api/auth/refresh", json={"refresh_token": ada.refresh})
    assert_problem(response, 403, "account-deactivated")


async def test_refresh_rate_limited(api_factory: ApiFactory) -> None:
    async with api_factory(refresh_client_limit=1) as api:
        await api.client.post("/api/auth/refresh", json={"refresh_token": "a"})
        limited = await api.client.post("/api/auth/refresh", json={"refresh_token": "a"})
        assert_problem(limited, 429, "rate-limited")
        assert "retry-after" in limited.headers


async def test_logout_revokes_access_and_refresh(api: Api) -> None:
    ada = await api.account("ada@example.com")
    response = await api.client.post(
        "/api/auth/logout", json={"refresh_token": ada.refresh}, headers=ada.auth
    )
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await api.client.get("/api/me", headers=ada.auth), 401)
    refreshed = await api.client.post("/api/auth/refresh", json={"refresh_token": ada.refresh})
    assert_problem(refreshed, 401)


async def test_logout_errors(api: Api) -> None:
    ada = await api.account("ada@example.com")
    assert_problem(await api.client.post("/api/auth/logout", json={"refresh_token": "x"}), 401)
    assert_problem(await api.client.post("/api/auth/logout", json={}, headers=ada.auth), 422)
    bad = await api.client.post(
        "/api/auth/logout",
        content=b"{",
        headers={**ada.auth, "content-type": "application/json"},
    )
    assert_problem(bad, 400)
    # Someone else's refresh token is ignored, not revoked.
    bob = await api.account("bob@example.com")
    await api.client.post("/api/auth/logout", json={"refresh_token": bob.refresh}, headers=ada.auth)
    still = await api.client.post("/api/auth/refresh", json={"refresh_token": bob.refresh})
    assert still.status_code == 200


async def test_me_rejects_bad_tokens(api: Api) -> None:
    ada = await api.account("ada@example.com")
    secret = "t" * 40
    now = datetime.now(UTC)
    base = {
        "iss": "specfirst-tasks",
        "aud": "specfirst-tasks-api",
        "sub": ada.id,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "jti": "j",
        "sid": "s",
        "scope": "tasks",
    }
    good = jwt.encode(base, secret, algorithm="HS256")
    assert (await api.client.get("/api/me", headers={"Authorization": f"Bearer {good}"})).is_success
    for bad in (
        {**base, "exp": now - timedelta(minutes=5)},
        {**base, "iss": "elsewhere"},
        {**base, "aud": "elsewhere"},
        {**base, "sub": str(uuid.uuid4())},
    ):
        token = jwt.encode(bad, secret, algorithm="HS256")
        response = await api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        body = assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Traceback" not in str(body)
    forged = jwt.encode(base, "f" * 40, algorithm="HS256")
    response = await api.client.get("/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(response, 401)
    assert_problem(await api.client.get("/api/me"), 401)
    assert_problem(await api.client.get("/api/me", headers={"Authorization": "Basic eDp5"}), 401)


async def test_login_as_swagger_ui_sends_it(api: Api) -> None:
    await api.register("ada@example.com")
    response = await api.client.post(
        "/api/auth/token",
        data={
            "grant_type": "password",
            "username": "ada@example.com",
            "password": PASSWORD,
            "scope": "tasks",
            "client_id": "swagger",
            "client_secret": "",
        },
    )
    assert response.status_code == 200, response.text
    # Swagger UI's default: no scopes ticked, client credentials in a Basic header.
    default = await api.client.post(
        "/api/auth/token",
        data={
            "grant_type": "password",
            "scope": "",
            "username": "ada@example.com",
            "password": PASSWORD,
        },
        headers={"Authorization": "Basic Og=="},
    )
    assert default.status_code == 200, default.text
    assert default.json()["scope"] == "tasks"
    unknown = await api.client.post(
        "/api/auth/token",
        data={"grant_type": "password", "username": "a", "password": "b", "nonsense": "1"},
    )
    assert_problem(unknown, 422)


async def test_register_email_too_long_once_lower_cased(api: Api) -> None:
    fits = await api.register("\u0130" * 122 + "@b.example")  # 254 characters lower-cased
    assert fits.status_code == 201
    too_long = await api.register("\u0130" * 123 + "@b.example")
    assert_problem(too_long, 422)


async def test_rs256_end_to_end(api_factory: ApiFactory, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private, public = tmp_path / "private.pem", tmp_path / "public.pem"
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
    async with api_factory(
        jwt_algorithm="RS256", jwt_private_key_file=private, jwt_public_key_file=public
    ) as api:
        ada = await api.account("ada@example.com")
        assert jwt.get_unverified_header(ada.access)["alg"] == "RS256"
        assert (await api.client.get("/api/me", headers=ada.auth)).status_code == 200

        # Algorithm confusion: HS256 "signed" with the public key (PyJWT will not make one).
        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).decode().rstrip("=")

        signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + ada.access.split(".")[1]
        mac = hmac.new(public.read_bytes(), signing_input.encode(), hashlib.sha256).digest()
        hs256 = f"{signing_input}.{b64(mac)}"
        confused = await api.client.get("/api/me", headers={"Authorization": f"Bearer {hs256}"})
        assert_problem(confused, 401)
