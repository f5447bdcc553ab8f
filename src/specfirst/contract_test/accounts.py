"""Accounts obtained through the API itself: register, log in (OAuth2 password grant), refresh.

The harness sets up a few identities before Schemathesis starts, the way a client would:
- `user`: the main account; most secured requests are made as this account;
- `other`: a second account, so requests can reach another account's data (authorization paths);
- `admin`: an account the service's own admin command promoted, for operations needing the
  admin scope (and to show that an ordinary account is refused them);
- `victim`: an account that admin operations acting on accounts (deactivate) may harm;
- `session`: a separate login of `user` for operations that end their own session (logout);
- `limited`: the admin logged in with the admin scope only, a valid token lacking the everyday
  scopes (so the 403 of ordinary operations is reached).

`Wallet` keeps their tokens fresh: an access token is refreshed (refresh-token grant, rotating)
before it expires or as soon as the API answered 401 to it, and logged in again if refreshing
fails. It works over any `requests.Session` and base URL: a plain one for a server, Schemathesis'
own ASGI client in-process (so the app's event loop and lifespan are the ones Schemathesis uses).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

from specfirst.contract_test.settings import AccountsSettings

ROLES = ("user", "other", "admin", "victim", "session", "limited")
REFRESH_BEFORE = 0.8  # refresh once this share of the access token's lifetime has passed


class AccountError(RuntimeError):
    """Credentials could not be obtained through the API."""


@dataclass
class Identity:
    role: str
    email: str
    password: str
    subject: str = ""
    access_token: str = ""
    refresh_token: str = ""
    scopes: tuple[str, ...] = ()
    expires_in: int = 900
    issued_at: float = 0.0
    stale: bool = False
    requested_scope: str | None = None  # narrower than the account's (the `limited` identity)


@dataclass
class AccountsState:
    """What the harness hands to the Schemathesis process (as JSON)."""

    token_path: str
    refresh_path: str | None
    identities: dict[str, Identity] = field(default_factory=dict)
    admin_scope: str | None = None
    subject_parameter: str | None = None
    victim_operations: tuple[str, ...] = ()
    session_operations: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> AccountsState:
        data = json.loads(text)
        identities = {
            role: Identity(**{**value, "scopes": tuple(value.get("scopes", ()))})
            for role, value in data.pop("identities").items()
        }
        return cls(
            identities=identities,
            token_path=data["token_path"],
            refresh_path=data.get("refresh_path"),
            admin_scope=data.get("admin_scope"),
            subject_parameter=data.get("subject_parameter"),
            victim_operations=tuple(data.get("victim_operations", ())),
            session_operations=tuple(data.get("session_operations", ())),
        )


def oauth2_urls(contract: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The password flow's tokenUrl and refreshUrl declared in the contract, if any."""
    schemes = contract.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        if isinstance(scheme, dict) and scheme.get("type") == "oauth2":
            flow = scheme.get("flows", {}).get("password")
            if isinstance(flow, dict):
                return flow.get("tokenUrl"), flow.get("refreshUrl")
    return None, None


class TokenClient:
    """The three calls that give tokens, over whatever client reaches the app."""

    def __init__(
        self,
        session: requests.Session,
        base_url: str,
        token_path: str,
        refresh_path: str | None,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.token_path = token_path
        self.refresh_path = refresh_path

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.base_url + path, timeout=60, **kwargs)

    def register(self, path: str, identity: Identity) -> None:
        response = self.post(path, json={"email": identity.email, "password": identity.password})
        if response.status_code not in (200, 201):
            raise AccountError(
                f"registering {identity.email} at {path} answered {response.status_code}: "
                f"{response.text[:300]}"
            )
        body = response.json()
        if isinstance(body, dict) and body.get("id"):
            identity.subject = str(body["id"])

    def login(self, identity: Identity) -> None:
        form = {"grant_type": "password", "username": identity.email, "password": identity.password}
        if identity.requested_scope:
            form["scope"] = identity.requested_scope
        response = self.post(self.token_path, data=form)
        if response.status_code != 200:
            raise AccountError(
                f"logging in as {identity.email} at {self.token_path} answered "
                f"{response.status_code}: {response.text[:300]}"
            )
        self._take(identity, response.json())

    def refresh(self, identity: Identity) -> bool:
        if not self.refresh_path or not identity.refresh_token:
            return False
        response = self.post(self.refresh_path, json={"refresh_token": identity.refresh_token})
        if response.status_code != 200:
            return False
        self._take(identity, response.json())
        return True

    @staticmethod
    def _take(identity: Identity, body: Mapping[str, Any]) -> None:
        identity.access_token = str(body["access_token"])
        # The account's id: the JWT's `sub` claim, else what registration answered.
        identity.subject = _jwt_subject(identity.access_token) or identity.subject
        identity.refresh_token = str(body.get("refresh_token") or "")
        identity.expires_in = int(body.get("expires_in") or 900)
        identity.scopes = tuple(str(body.get("scope") or "").split())
        identity.issued_at = time.monotonic()
        identity.stale = False


def _jwt_subject(token: str) -> str | None:
    import base64

    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError):
        return None
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return str(subject) if subject else None


def bootstrap(
    session: requests.Session,
    base_url: str,
    settings: AccountsSettings,
    contract: Mapping[str, Any],
    *,
    run_id: str,
    make_admin: Callable[[Identity], None] | None = None,
) -> AccountsState:
    """Register and log in every identity; returns their state with fresh tokens."""
    declared_token, declared_refresh = oauth2_urls(contract)
    token_path = settings.token_path or declared_token
    if not token_path:
        raise AccountError(
            "no token endpoint: the contract declares no OAuth2 password flow and the "
            "contract-test settings give no accounts.token_path"
        )
    state = AccountsState(
        token_path=token_path,
        refresh_path=settings.refresh_path or declared_refresh,
        admin_scope=settings.admin_scope,
        subject_parameter=settings.subject_parameter,
        victim_operations=settings.victim_operations,
        session_operations=settings.session_operations,
    )
    tokens = TokenClient(session, base_url, state.token_path, state.refresh_path)
    for role in ("user", "other", "admin", "victim"):
        if role == "admin" and make_admin is None:
            continue
        identity = Identity(
            role=role,
            email=f"{role}-{run_id}@{settings.email_domain}",
            password=f"contract-{role}-{run_id}-password",
        )
        if role == "admin" and make_admin is not None:
            make_admin(identity)
        elif settings.register_path:
            tokens.register(settings.register_path, identity)
        tokens.login(identity)
        state.identities[role] = identity
    user = state.identities["user"]
    own_session = Identity(
        role="session", email=user.email, password=user.password, subject=user.subject
    )
    tokens.login(own_session)
    state.identities["session"] = own_session
    admin = state.identities.get("admin")
    if admin and settings.admin_scope:
        if settings.admin_scope not in admin.scopes:
            raise AccountError(
                f"the admin account {admin.email} was given scopes {admin.scopes}, "
                f"not {settings.admin_scope!r}: the admin command did not make it an admin"
            )
        if set(admin.scopes) - {settings.admin_scope}:
            # A valid token without the everyday scopes: reaches the 403 of other operations.
            limited = Identity(
                role="limited",
                email=admin.email,
                password=admin.password,
                subject=admin.subject,
                requested_scope=settings.admin_scope,
            )
            tokens.login(limited)
            state.identities["limited"] = limited
    return state


def admin_by_command(
    command: Sequence[str], env: Mapping[str, str], cwd: Path
) -> Callable[[Identity], None]:
    """Make an admin with the service's own command; the password goes to its stdin."""

    def make(identity: Identity) -> None:
        argv = [part.format(email=identity.email, password="") for part in command]
        result = subprocess.run(
            argv,
            input=identity.password + "\n",
            env=dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise AccountError(
                f"admin command {' '.join(argv)} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout)[-500:]}"
            )

    return make


class Wallet:
    """Hands out fresh access tokens per role; thread-safe."""

    def __init__(self, state: AccountsState, session: requests.Session, base_url: str) -> None:
        self.state = state
        self.tokens = TokenClient(session, base_url, state.token_path, state.refresh_path)
        self._lock = threading.Lock()
        self._by_token: dict[str, str] = {}
        for role, identity in state.identities.items():
            self._by_token[identity.access_token] = role

    def token(self, role: str) -> str:
        with self._lock:
            identity = self.state.identities[role]
            age = time.monotonic() - identity.issued_at
            if identity.stale or age > identity.expires_in * REFRESH_BEFORE:
                self._renew(identity)
            return identity.access_token

    def fresh_token(self, role: str) -> str:
        """A token of a new refresh (for operations that revoke the token they are sent with)."""
        with self._lock:
            self._renew(self.state.identities[role])
            return self.state.identities[role].access_token

    def _renew(self, identity: Identity) -> None:
        self._by_token.pop(identity.access_token, None)
        if not self.tokens.refresh(identity):
            self.tokens.login(identity)
        self._by_token[identity.access_token] = identity.role

    def rejected(self, token: str) -> None:
        """The API answered 401 to this token: renew it before its next use."""
        with self._lock:
            role = self._by_token.get(token)
            if role is not None:
                self.state.identities[role].stale = True

    def role_of(self, token: str) -> str | None:
        return self._by_token.get(token)

    def subjects(self) -> dict[str, str]:
        return {role: i.subject for role, i in self.state.identities.items() if i.subject}
