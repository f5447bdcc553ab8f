"""Accounts, login, refresh-token rotation, logout, and the bearer-token verifier.

Refresh tokens rotate: each use spends the token and issues a new one in the same family (one
login session). Presenting a spent token means it was copied, so the whole family is revoked in
the database, which kills the family's access tokens too (the verifier checks the family).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from tasks_api import models
from tasks_api.security import Credential, Principal
from tasks_service.core import context
from tasks_service.core.security import SCOPES_BY_ROLE, InvalidTokenError, granted_scopes
from tasks_service.deps import Deps
from tasks_service.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    RateLimitedError,
    UnauthorizedError,
    UnprocessableError,
)
from tasks_service.orm.tables import UserRow
from tasks_service.orm.types import utcnow
from tasks_service.repositories import refresh_tokens, revocations, users
from tasks_service.services.access import keep_read_ahead, task_read_ahead
from tasks_service.services.convert import user_out

log = logging.getLogger("tasks_service.auth")
_EMAIL_MAX = 254  # the column's size, as the contract's maxLength


def _account_key(email: str) -> str:
    # Rate-limit keys name accounts by a hash: the shared store holds no email addresses.
    return hashlib.sha256(users.normalise_email(email).encode()).hexdigest()[:32]


class AuthService:
    """Implements `tasks_api.services.AuthService`."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def _issue(
        self, user: UserRow, scopes: tuple[str, ...], family_id: uuid.UUID
    ) -> tuple[models.TokenResponse, str, int]:
        """A token pair (the refresh token row is added by the caller's transaction)."""
        now = utcnow()
        access = self._deps.tokens.issue_access(
            subject=str(user.id), scopes=scopes, session_id=str(family_id), now=now
        )
        refresh = self._deps.tokens.new_refresh_token()
        body = models.TokenResponse(
            access_token=access,
            token_type=models.TokenResponseTokenType.bearer,
            expires_in=self._deps.tokens.access_ttl,
            refresh_token=refresh,
            scope=" ".join(scopes),
        )
        return body, refresh, self._deps.settings.refresh_token_ttl_seconds

    async def _limit(self, key: str, limit: int, window: int, what: str) -> None:
        wait = await self._deps.limiter.hit(key, limit, window)
        if wait is not None:
            raise RateLimitedError(wait, what)

    async def register_user(self, *, body: models.RegisterRequest) -> models.User:
        settings = self._deps.settings
        await self._limit(
            f"register:client:{context.client_address.get()}",
            settings.register_client_limit,
            settings.register_client_window_seconds,
            "registrations from this address",
        )
        taken = ConflictError("An account with this email already exists.", "email-taken")
        email = users.normalise_email(body.email)
        if len(email) > _EMAIL_MAX:  # lower-casing can lengthen text ("İ" becomes two characters)
            raise UnprocessableError("The email is too long.")
        display_name = body.display_name if isinstance(body.display_name, str) else None
        password_hash = await self._deps.passwords.hash(body.password)
        try:
            async with self._deps.transaction() as session:
                if await users.get_by_email(session, email) is not None:
                    raise taken
                row = await users.add(
                    session,
                    email=email,
                    password_hash=password_hash,
                    display_name=(display_name or email.split("@", 1)[0])[:100],
                )
        except IntegrityError:  # registered concurrently
            raise taken from None
        log.info("account registered", extra={"user_id": str(row.id)})
        return user_out(row)

    async def issue_token(self, *, body: models.TokenRequest) -> models.TokenResponse:
        settings = self._deps.settings
        account_key = f"login:account:{_account_key(body.username)}"
        account_limit = (settings.login_account_limit, settings.login_account_window_seconds)
        await self._limit(
            f"login:client:{context.client_address.get()}",
            settings.login_client_limit,
            settings.login_client_window_seconds,
            "login attempts",
        )
        await self._limit(account_key, *account_limit, "login attempts")
        async with self._deps.transaction() as session:
            user = await users.get_by_email(session, body.username)
            ok, new_hash = await self._deps.passwords.verify(
                body.password, user.password_hash if user else None
            )
            if user is None or not ok:
                raise UnauthorizedError("The email or password is wrong.", "invalid-credentials")
            if not user.is_active:
                raise ForbiddenError("This account is deactivated.", "account-deactivated")
            scopes = granted_scopes(user.role, body.scope if isinstance(body.scope, str) else None)
            if not scopes:
                raise BadRequestError(
                    "None of the requested scopes can be granted to this account.", "invalid-scope"
                )
            if new_hash is not None:
                user.password_hash = new_hash
            family_id = uuid.uuid4()
            tokens, refresh, ttl = await self._issue(user, scopes, family_id)
            now = utcnow()
            await refresh_tokens.add(
                session,
                token_hash=self._deps.tokens.fingerprint(refresh),
                family_id=family_id,
                user_id=user.id,
                scope=tokens.scope,
                issued_at=now,
                expires_at=now + timedelta(seconds=ttl),
            )
        await self._deps.limiter.reset(account_key, *account_limit)
        log.info("login", extra={"user_id": str(user.id), "session_id": str(family_id)})
        return tokens

    async def refresh_token(self, *, body: models.RefreshRequest) -> models.TokenResponse:
        settings = self._deps.settings
        await self._limit(
            f"refresh:client:{context.client_address.get()}",
            settings.refresh_client_limit,
            settings.refresh_client_window_seconds,
            "refresh attempts",
        )
        now = utcnow()
        async with self._deps.transaction() as session:
            row = await refresh_tokens.get_by_hash(
                session, self._deps.tokens.fingerprint(body.refresh_token)
            )
            if row is None or row.revoked_at is not None or row.expires_at <= now:
                raise UnauthorizedError(
                    "The refresh token is invalid, expired or revoked.", "invalid-refresh-token"
                )
            family_id, user_id, scope = row.family_id, row.user_id, row.scope
            reused = row.used_at is not None or not await refresh_tokens.mark_used(
                session, row.id, now
            )
            if reused:
                # Revoking the family also stops its access tokens (the verifier checks it).
                await refresh_tokens.revoke_family(session, family_id, now)
            else:
                user = await users.get(session, user_id)
                if user is None or not user.is_active:
                    raise ForbiddenError("This account is deactivated.", "account-deactivated")
                allowed = set(SCOPES_BY_ROLE.get(user.role, ()))
                scopes = tuple(s for s in scope.split() if s in allowed)
                tokens, refresh, ttl = await self._issue(user, scopes, family_id)
                await refresh_tokens.add(
                    session,
                    token_hash=self._deps.tokens.fingerprint(refresh),
                    family_id=family_id,
                    user_id=user_id,
                    scope=tokens.scope,
                    issued_at=now,
                    expires_at=now + timedelta(seconds=ttl),
                )
        if reused:
            log.warning(
                "refresh token reused; session revoked",
                extra={"user_id": str(user_id), "session_id": str(family_id)},
            )
            raise UnauthorizedError(
                "This refresh token was already used; the session has been revoked.",
                "refresh-token-reused",
            )
        return tokens

    async def logout(self, *, body: models.LogoutRequest, principal: Principal) -> None:
        claims = principal.claims
        now = utcnow()
        async with self._deps.transaction() as session:
            await revocations.revoke(
                session, str(claims["jti"]), datetime.fromtimestamp(int(claims["exp"]), UTC)
            )
            row = await refresh_tokens.get_by_hash(
                session, self._deps.tokens.fingerprint(body.refresh_token)
            )
            if row is not None and str(row.user_id) == principal.subject:
                await refresh_tokens.revoke_family(session, row.family_id, now)
        log.info("logout", extra={"user_id": principal.subject})

    async def get_current_user(self, *, principal: Principal) -> models.User:
        async with self._deps.reading() as session:
            user = await users.get(session, uuid.UUID(principal.subject))
        if user is None:  # deleted between verification and now
            raise UnauthorizedError("The account no longer exists.")
        return user_out(user)


class BearerVerifier:
    """The `oauth2` scheme's verifier: a valid, unrevoked JWT of an active account.

    One query per request reads the account and whether the token or its session is revoked
    (`repositories.revocations`); Redis is not involved, so revocations survive its restarts and
    authenticated requests keep working while it is down. Scopes are the token's, narrowed to
    what the account's role allows now, so a demoted admin loses `admin` at once; a deactivated
    account's tokens stop working on the next request. For a GET of one of the caller's own
    tasks the same statement reads that task too (`services.access.task_read_ahead`).
    """

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def __call__(self, credential: Credential) -> Principal | None:
        try:
            claims = self._deps.tokens.verify_access(credential.value)
            user_id = uuid.UUID(claims.subject)
        except (InvalidTokenError, ValueError):
            return None
        try:
            session_id: uuid.UUID | None = uuid.UUID(claims.session_id)
        except ValueError:  # not a session this service opened: nothing of it can be revoked
            session_id = None
        ahead = task_read_ahead(claims.subject)
        async with self._deps.read_connection() as connection:
            if ahead is None:
                user = await revocations.account_unless_revoked(
                    connection, user_id, claims.jti, session_id
                )
            else:
                user, task = await revocations.account_and_task_unless_revoked(
                    connection, user_id, claims.jti, session_id, ahead[1]
                )
                if user is not None:
                    keep_read_ahead(*ahead, task)
        if user is None or not user.is_active:
            return None
        allowed = set(SCOPES_BY_ROLE.get(user.role, ()))
        return Principal(
            subject=claims.subject,
            scopes=frozenset(claims.scopes & allowed),
            claims={
                "jti": claims.jti,
                "sid": claims.session_id,
                "exp": claims.expires_at,
                "role": user.role,
            },
        )
