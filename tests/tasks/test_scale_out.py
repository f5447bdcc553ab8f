"""Two instances of the app sharing one database and one Redis behave as one service:
rate limits count across them and a revocation on one is honoured by the other."""

from __future__ import annotations

import pytest

from tasks_service.core.ratelimit import RateLimiter

from .conftest import REDIS_URL, ApiFactory, make_settings
from .test_api_auth import assert_problem

pytestmark = pytest.mark.anyio


async def test_instances_share_limits_and_revocations(
    api_factory: ApiFactory, redis_prefix: str
) -> None:
    shared = make_settings(redis_url=REDIS_URL, redis_key_prefix=redis_prefix)
    one_limiter, two_limiter = RateLimiter.from_settings(shared), RateLimiter.from_settings(shared)
    try:
        async with (
            api_factory(limiter=one_limiter, login_account_limit=3) as one,
            api_factory(limiter=two_limiter, login_account_limit=3) as two,
        ):
            ada = await one.account("ada@example.com")  # one login attempt, which resets
            assert (await two.client.get("/api/me", headers=ada.auth)).status_code == 200

            # Logout on one instance; the other refuses the token at once.
            bye = await one.client.post(
                "/api/auth/logout", json={"refresh_token": ada.refresh}, headers=ada.auth
            )
            assert bye.status_code == 204
            assert_problem(await two.client.get("/api/me", headers=ada.auth), 401)

            # Refresh-token reuse detected on one instance kills the session on the other.
            tokens = (await two.login("ada@example.com")).json()
            rotated = await one.client.post(
                "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
            )
            auth = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
            assert (await two.client.get("/api/me", headers=auth)).status_code == 200
            reused = await two.client.post(
                "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
            )
            assert_problem(reused, 401, "refresh-token-reused")
            assert_problem(await one.client.get("/api/me", headers=auth), 401)

            # Failed logins count across instances.
            for api in (one, two, one):
                assert (await api.login("ada@example.com", "wrong-password-123")).status_code == 401
            assert_problem(await two.login("ada@example.com"), 429, "rate-limited")
    finally:
        await one_limiter.close()
        await two_limiter.close()
