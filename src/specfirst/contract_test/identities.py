"""Who makes the requests of a run: identities, their credentials, and keeping them fresh.

An `Identity` holds one credential per security scheme of the contract, each either a static
value (a token, an API key, `user:password` for HTTP basic) or an OAuth2 grant the tool runs
against the scheme's `tokenUrl` (password or client-credentials flow; refreshed through the
`refreshUrl` before the token expires or as soon as the API answers 401, else granted anew).
It also says what it may reach: the scopes it holds, the account it is (`subject`), operations
it is kept for (`operations`), operations that act on it (`targets`).

Identities come from the settings (static values, OAuth2 grants: one identity, `default`) or
from a project hook (any number, see `specfirst.contract_test.api`). `Wallet` hands out their
credentials, over any `requests.Session` and base URL: a plain one for a server, Schemathesis'
own ASGI client in-process.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import requests

REFRESH_BEFORE = 0.8  # renew once this share of the access token's lifetime has passed


class CredentialError(RuntimeError):
    """A credential could not be obtained through the API."""


@dataclass
class OAuth2Grant:
    """An OAuth2 grant the tool runs: `password` or `client_credentials`."""

    token_url: str
    grant_type: str = "password"
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    scope: str | None = None  # requested scope (narrower than the account's, say)
    refresh_url: str | None = None
    # "form" (RFC 6749: grant_type=refresh_token) or "json" (a body {"refresh_token": ...})
    refresh_format: str = "form"
    client_auth: str = "basic"  # client credentials: "basic" (RFC 6749's default) or "body"


@dataclass
class Credential:
    """The credential for one security scheme; a grant's live token state rides along."""

    scheme: str
    value: str | None = None
    grant: OAuth2Grant | None = None
    access_token: str = ""
    refresh_token: str = ""
    expires_in: float = 0.0  # 0: no expiry known
    issued_at: float = 0.0
    stale: bool = False
    granted_scopes: tuple[str, ...] | None = None

    @property
    def current(self) -> str:
        return (self.value or "") if self.grant is None else self.access_token


@dataclass
class Identity:
    name: str
    credentials: dict[str, Credential] = field(default_factory=dict)
    # The scopes it holds; None: take them from its OAuth2 token, else unknown (reaches all).
    scopes: tuple[str, ...] | None = None
    subject: str | None = None  # the account it is, where a path parameter names accounts
    operations: tuple[str, ...] = ()  # kept for these operationIds only (e.g. logout)
    targets: tuple[str, ...] = ()  # not a caller: these operations act on it (deactivate)
    fresh: bool = False  # a newly refreshed token for each use (operations revoking it)

    def held_scopes(self) -> set[str] | None:
        if self.scopes is not None:
            return set(self.scopes)
        granted = [c.granted_scopes for c in self.credentials.values() if c.granted_scopes]
        return set().union(*granted) if granted else None


@dataclass
class Identities:
    """What the identities hook returns; the first identity is the one most requests use."""

    identities: dict[str, Identity]
    # The path parameter that names an account: pointed at the caller's own `subject` mostly.
    subject_parameter: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Identities:
        data = json.loads(text)
        identities = {}
        for name, raw in data["identities"].items():
            credentials = {}
            for scheme, value in raw.pop("credentials").items():
                grant = value.pop("grant")
                scopes = value.pop("granted_scopes")
                credentials[scheme] = Credential(
                    **value,
                    grant=OAuth2Grant(**grant) if grant else None,
                    granted_scopes=tuple(scopes) if scopes is not None else None,
                )
            scopes = raw.pop("scopes")
            identities[name] = Identity(
                **{
                    **raw,
                    "operations": tuple(raw["operations"]),
                    "targets": tuple(raw["targets"]),
                },
                credentials=credentials,
                scopes=tuple(scopes) if scopes is not None else None,
            )
        return cls(identities=identities, subject_parameter=data.get("subject_parameter"))


# --- security schemes: where a credential goes ---------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where one scheme's credential is sent: a header, a query parameter or a cookie."""

    location: str  # "header" | "query" | "cookie"
    name: str
    prefix: str = ""  # "Bearer ", "Basic "

    def render(self, value: str) -> str:
        if self.prefix == "Basic " and ":" in value:
            value = base64.b64encode(value.encode()).decode()
        return self.prefix + value if self.prefix and not value.startswith(self.prefix) else value


def security_schemes(contract: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    schemes = contract.get("components", {}).get("securitySchemes", {})
    return {str(k): v for k, v in schemes.items() if isinstance(v, dict)}


def placement(scheme: Mapping[str, Any]) -> Placement | None:
    kind = scheme.get("type")
    if kind == "apiKey":
        where = str(scheme.get("in", "header"))
        return Placement(where, str(scheme.get("name", "")))
    if kind == "http":
        if str(scheme.get("scheme", "")).lower() == "basic":
            return Placement("header", "Authorization", "Basic ")
        return Placement("header", "Authorization", "Bearer ")
    if kind in ("oauth2", "openIdConnect"):
        return Placement("header", "Authorization", "Bearer ")
    return None  # mutualTLS: nothing to send in a request


def oauth2_flow(scheme: Mapping[str, Any], flow: str) -> dict[str, Any] | None:
    """The contract's `password` or `clientCredentials` flow of an OAuth2 scheme."""
    if scheme.get("type") != "oauth2":
        return None
    found = scheme.get("flows", {}).get(flow)
    return found if isinstance(found, dict) else None


# --- obtaining and renewing tokens ---------------------------------------------------------


class TokenClient:
    """The OAuth2 token requests, over whatever client reaches the app."""

    def __init__(self, session: requests.Session, base_url: str) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")

    def _url(self, url: str) -> str:
        return url if "://" in url else self.base_url + "/" + url.lstrip("/")

    def obtain(self, credential: Credential) -> None:
        grant = credential.grant
        assert grant is not None
        form: dict[str, str] = {"grant_type": grant.grant_type}
        auth = None
        if grant.grant_type == "password":
            form.update(username=grant.username or "", password=grant.password or "")
        elif grant.client_auth == "basic":
            auth = (grant.client_id or "", grant.client_secret or "")
        else:
            form.update(client_id=grant.client_id or "", client_secret=grant.client_secret or "")
        if grant.scope:
            form["scope"] = grant.scope
        response = self.session.post(self._url(grant.token_url), data=form, auth=auth, timeout=60)
        if response.status_code != 200:
            who = grant.username or grant.client_id
            raise CredentialError(
                f"OAuth2 {grant.grant_type} grant for {who} at {grant.token_url} answered "
                f"{response.status_code}: {response.text[:300]}"
            )
        self._take(credential, response)

    def refresh(self, credential: Credential) -> bool:
        grant = credential.grant
        if grant is None or not grant.refresh_url or not credential.refresh_token:
            return False
        url = self._url(grant.refresh_url)
        if grant.refresh_format == "json":
            response = self.session.post(
                url, json={"refresh_token": credential.refresh_token}, timeout=60
            )
        else:
            form = {"grant_type": "refresh_token", "refresh_token": credential.refresh_token}
            response = self.session.post(url, data=form, timeout=60)
        if response.status_code != 200:
            return False
        self._take(credential, response)
        return True

    @staticmethod
    def _take(credential: Credential, response: requests.Response) -> None:
        try:
            body = response.json()
            credential.access_token = str(body["access_token"])
        except (ValueError, KeyError, TypeError):
            raise CredentialError(
                f"the token response has no access_token: {response.text[:300]}"
            ) from None
        credential.refresh_token = str(body.get("refresh_token") or "")
        credential.expires_in = float(body.get("expires_in") or 0)
        scope = body.get("scope")
        if isinstance(scope, str):
            credential.granted_scopes = tuple(scope.split())
        credential.issued_at = time.monotonic()
        credential.stale = False


def jwt_subject(token: str) -> str | None:
    """The `sub` claim of a JWT (unverified: only to know which account a token is)."""
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


class Wallet:
    """Hands out fresh credentials per identity and scheme; thread-safe."""

    def __init__(self, identities: Identities, session: requests.Session, base_url: str) -> None:
        self.identities = identities
        self.tokens = TokenClient(session, base_url)
        self._lock = threading.Lock()
        self._owner: dict[str, str] = {}
        for identity in identities.identities.values():
            for credential in identity.credentials.values():
                if credential.grant is not None and not credential.access_token:
                    self.tokens.obtain(credential)
                if identity.subject is None and credential.grant is not None:
                    identity.subject = jwt_subject(credential.access_token)
                self._owner[credential.current] = identity.name

    def value(self, identity: str, scheme: str, *, fresh: bool = False) -> str:
        with self._lock:
            credential = self.identities.identities[identity].credentials[scheme]
            if credential.grant is not None:
                age = time.monotonic() - credential.issued_at
                expiring = credential.expires_in and age > credential.expires_in * REFRESH_BEFORE
                if fresh or credential.stale or expiring:
                    self._renew(identity, credential)
            return credential.current

    def _renew(self, identity: str, credential: Credential) -> None:
        self._owner.pop(credential.current, None)
        if not self.tokens.refresh(credential):
            self.tokens.obtain(credential)
        self._owner[credential.current] = identity

    def rejected(self, value: str) -> None:
        """The API answered 401 to this credential: renew it before its next use."""
        with self._lock:
            name = self._owner.get(value)
            if name is None:
                return
            for credential in self.identities.identities[name].credentials.values():
                if credential.current == value and credential.grant is not None:
                    credential.stale = True

    def owner_of(self, value: str) -> str | None:
        return self._owner.get(value)

    def subjects(self) -> dict[str, str]:
        return {n: i.subject for n, i in self.identities.identities.items() if i.subject}
