"""The Notes fixture app's identities hook: register one account, log in (OAuth2 password flow)."""

from __future__ import annotations

from specfirst.contract_test.api import CredentialError, Identities, Identity, RunContext


def identities(ctx: RunContext) -> Identities:
    assert ctx.session is not None
    assert ctx.base_url is not None
    email, password = f"user-{ctx.run_id}@example.com", f"contract-user-{ctx.run_id}-password"
    response = ctx.session.post(
        ctx.base_url + "/auth/register", json={"email": email, "password": password}, timeout=60
    )
    if response.status_code != 201:
        raise CredentialError(f"registering answered {response.status_code}: {response.text}")
    credential = ctx.password_grant(email, password, refresh_format="json")
    return Identities({"user": Identity("user", {credential.scheme: credential})})
