"""Credentials: Argon2 password hashes, JWT access tokens, opaque refresh tokens.

Access tokens are short-lived JWTs (HS256 by default, RS256 with a key pair) carrying `sub`,
`iss`, `aud`, `iat`, `nbf`, `exp`, `jti`, `sid` (the login session) and `scope`; all are required
and checked on every request. Refresh tokens are random strings; only their SHA-256 is stored,
so a database leak does not hand out sessions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from tasks_service.core.config import Settings

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


class InvalidSignatureError(ValueError):
    """A signed value that is malformed or whose signature no current key made."""


class CursorSigner:
    """Authenticates list cursors: `base64url(payload) + base64url(HMAC-SHA256(key, that)[:16])`
    (the tag is the last 22 characters; the contract's cursor alphabet has no separator).

    The first key signs; every key verifies, so a key can be rotated in by putting the new one
    first and dropped once the cursors it signed are no longer in use (cursors are short-lived:
    a client holds one between two page requests).
    """

    _TAG_BYTES = 16
    _TAG_CHARS = 22  # base64url of 16 bytes, unpadded

    def __init__(self, keys: tuple[bytes, ...]) -> None:
        if not keys:
            raise ValueError("at least one cursor key is needed")
        self._keys = keys

    def _tag(self, key: bytes, payload: str) -> bytes:
        return hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()[: self._TAG_BYTES]

    def sign(self, payload: bytes) -> str:
        body = _b64encode(payload)
        return body + _b64encode(self._tag(self._keys[0], body))

    def open(self, token: str) -> bytes:
        """The payload of a token one of the keys signed; InvalidSignatureError otherwise."""
        body, tag = token[: -self._TAG_CHARS], token[-self._TAG_CHARS :]
        if not body or not token.isascii():
            raise InvalidSignatureError("not a signed cursor")
        try:
            presented = _b64decode(tag)
            payload = _b64decode(body)
        except (ValueError, binascii.Error) as exc:
            raise InvalidSignatureError("not a signed cursor") from exc
        if not any(hmac.compare_digest(self._tag(key, body), presented) for key in self._keys):
            raise InvalidSignatureError("this cursor was not issued by this service")
        return payload


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
