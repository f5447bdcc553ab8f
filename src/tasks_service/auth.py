"""Credentials: Argon2 password hashes, JWT access tokens, opaque refresh tokens.

Access tokens are short-lived JWTs (HS256 by default, RS256 with a key pair) carrying `sub`,
`iss`, `aud`, `iat`, `nbf`, `exp`, `jti`, `sid` (the login session) and `scope`; all are required
and checked on every request. Refresh tokens are random strings; only their SHA-256 is stored,
so a database leak does not hand out sessions.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from tasks_service.settings import Settings

SCOPES_BY_ROLE = {"user": ("tasks",), "admin": ("tasks", "admin")}


class Passwords:
    """Argon2id hashing, run off the event loop (it is deliberately slow)."""

    def __init__(self, settings: Settings) -> None:
        self._hash = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=settings.argon2_time_cost,
                    memory_cost=settings.argon2_memory_cost_kib,
                    parallelism=settings.argon2_parallelism,
                ),
            )
        )
        self._dummy = self._hash.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """(matches, a new hash when the parameters changed). Without a hash, spend the same time
        on a dummy so response time does not reveal whether an account exists."""
        if password_hash is None:
            await anyio.to_thread.run_sync(self._hash.verify, password, self._dummy)
            return False, None
        return await anyio.to_thread.run_sync(self._hash.verify_and_update, password, password_hash)


@dataclass(frozen=True)
class AccessClaims:
    subject: str
    scopes: frozenset[str]
    jti: str
    session_id: str
    expires_at: int


class InvalidTokenError(Exception):
    """The token is malformed, forged, expired, or for another issuer/audience."""


class Tokens:
    """Issues and checks access tokens; makes refresh tokens."""

    _REQUIRED = ("exp", "iat", "nbf", "sub", "aud", "iss", "jti", "sid", "scope")

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._algorithm = settings.jwt_algorithm
        self._signing_key = settings.signing_key
        self._verification_key = settings.verification_key

    @property
    def access_ttl(self) -> int:
        return self._settings.access_token_ttl_seconds

    def issue_access(
        self, *, subject: str, scopes: tuple[str, ...], session_id: str, now: datetime
    ) -> str:
        claims: dict[str, Any] = {
            "iss": self._settings.jwt_issuer,
            "aud": self._settings.jwt_audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + timedelta(seconds=self.access_ttl),
            "jti": uuid.uuid4().hex,
            "sid": session_id,
            "scope": " ".join(scopes),
        }
        return jwt.encode(claims, self._signing_key, algorithm=self._algorithm)

    def verify_access(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._verification_key,
                algorithms=[self._algorithm],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                leeway=self._settings.jwt_leeway_seconds,
                options={"require": list(self._REQUIRED)},
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(str(exc)) from exc
        scope, jti, sid, sub = claims["scope"], claims["jti"], claims["sid"], claims["sub"]
        if not all(isinstance(value, str) for value in (scope, jti, sid, sub)):
            raise InvalidTokenError("malformed claims")
        return AccessClaims(
            subject=sub,
            scopes=frozenset(scope.split()),
            jti=jti,
            session_id=sid,
            expires_at=int(claims["exp"]),
        )

    @staticmethod
    def new_refresh_token() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def fingerprint(refresh_token: str) -> str:
        return hashlib.sha256(refresh_token.encode()).hexdigest()


def granted_scopes(role: str, requested: str | None) -> tuple[str, ...]:
    """The scopes of a role, narrowed to those requested (all of them when none are)."""
    allowed = SCOPES_BY_ROLE.get(role, ())
    if not requested or not requested.split():
        return allowed
    wanted = set(requested.split())
    return tuple(scope for scope in allowed if scope in wanted)
