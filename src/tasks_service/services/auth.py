"""Accounts, login, refresh-token rotation, logout, and the bearer-token verifier.

Refresh tokens rotate: each use spends the token and issues a new one in the same family (one
login session). Presenting a spent token means it was copied, so the whole family is revoked in
the database, and the session id in the shared store, which kills the family's access tokens too.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from tasks_api import models, responses
from tasks_api.security import Credential, Principal
from tasks_service import context
from tasks_service.auth import SCOPES_BY_ROLE, InvalidTokenError, granted_scopes
from tasks_service.db.tables import UserRow
from tasks_service.db.types import utcnow
from tasks_service.repositories import refresh_tokens, users
from tasks_service.services.convert import problem, user_out
from tasks_service.services.deps import Deps

log = logging.getLogger("tasks_service.auth")
_EMAIL_MAX = 254  # the column's size, as the contract's maxLength


def _rate_limited(retry_after: int, what: str) -> models.Problem:
    return problem(
        429,
        "Too Many Requests",
        f"Too many {what}; retry in {retry_after} seconds.",
        "rate-limited",
    )


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

    async def register_user(
        self, *, body: models.RegisterRequest
    ) -> models.User | responses.Conflict | responses.TooManyRequests:
        settings = self._deps.settings
        wait = await self._deps.store.hit(
            f"register:client:{context.client_address.get()}",
            settings.register_client_limit,
            settings.register_client_window_seconds,
        )
        if wait is not None:
            return responses.TooManyRequests(
                body=_rate_limited(wait, "registrations from this address"), retry_after=wait
            )
        taken = responses.Conflict(
            body=problem(
                409, "Conflict", "An account with this email already exists.", "email-taken"
            )
        )
        email = users.normalise_email(body.email)
        if len(email) > _EMAIL_MAX:  # lower-casing can lengthen text ("İ" becomes two characters)
            raise responses.UnprocessableContent(
                body=problem(422, "Unprocessable Content", "The email is too long.")
            )
        display_name = body.display_name if isinstance(body.display_name, str) else None
        password_hash = await self._deps.passwords.hash(body.password)
        try:
            async with self._deps.sessions() as session, session.begin():
                if await users.get_by_email(session, email) is not None:
                    return taken
                row = await users.add(
                    session,
                    email=email,
                    password_hash=password_hash,
                    display_name=(display_name or email.split("@", 1)[0])[:100],
                )
        except IntegrityError:  # registered concurrently
            return taken
        log.info("account registered", extra={"user_id": str(row.id)})
        return user_out(row)

    async def issue_token(
        self, *, body: models.TokenRequest
    ) -> (
        models.TokenResponse
        | responses.Unauthorized
        | responses.Forbidden
        | responses.TooManyRequests
    ):
        settings, store = self._deps.settings, self._deps.store
        account_key = f"login:account:{_account_key(body.username)}"
        waits = [
            await store.hit(
                f"login:client:{context.client_address.get()}",
                settings.login_client_limit,
                settings.login_client_window_seconds,
            ),
            await store.hit(
                account_key, settings.login_account_limit, settings.login_account_window_seconds
            ),
        ]
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            return responses.TooManyRequests(
                body=_rate_limited(wait, "login attempts"), retry_after=wait
            )
        async with self._deps.sessions() as session, session.begin():
            user = await users.get_by_email(session, body.username)
            ok, new_hash = await self._deps.passwords.verify(
                body.password, user.password_hash if user else None
            )
            if user is None or not ok:
                return responses.Unauthorized(
                    body=problem(
                        401,
                        "Unauthorized",
                        "The email or password is wrong.",
                        "invalid-credentials",
                    )
                )
            if not user.is_active:
                return responses.Forbidden(
                    body=problem(
                        403, "Forbidden", "This account is deactivated.", "account-deactivated"
                    )
                )
            scopes = granted_scopes(user.role, body.scope if isinstance(body.scope, str) else None)
            if not scopes:
                raise responses.BadRequest(
                    body=problem(
                        400,
                        "Bad Request",
                        "None of the requested scopes can be granted to this account.",
                        "invalid-scope",
                    )
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
        await store.reset(account_key)
        log.info("login", extra={"user_id": str(user.id), "session_id": str(family_id)})
        return tokens

    async def refresh_token(
        self, *, body: models.RefreshRequest
    ) -> (
        models.TokenResponse
        | responses.Unauthorized
        | responses.Forbidden
        | responses.TooManyRequests
    ):
        settings, store = self._deps.settings, self._deps.store
        wait = await store.hit(
            f"refresh:client:{context.client_address.get()}",
            settings.refresh_client_limit,
            settings.refresh_client_window_seconds,
        )
        if wait is not None:
            return responses.TooManyRequests(
                body=_rate_limited(wait, "refresh attempts"), retry_after=wait
            )
        invalid = responses.Unauthorized(
            body=problem(
                401,
                "Unauthorized",
                "The refresh token is invalid, expired or revoked.",
                "invalid-refresh-token",
            )
        )
        now = utcnow()
        async with self._deps.sessions() as session, session.begin():
            row = await refresh_tokens.get_by_hash(
                session, self._deps.tokens.fingerprint(body.refresh_token)
            )
            if row is None or row.revoked_at is not None or row.expires_at <= now:
                return invalid
            family_id, user_id, scope = row.family_id, row.user_id, row.scope
            reused = row.used_at is not None or not await refresh_tokens.mark_used(
                session, row.id, now
            )
            if reused:
                await refresh_tokens.revoke_family(session, family_id, now)
            else:
                user = await users.get(session, user_id)
                if user is None or not user.is_active:
                    return responses.Forbidden(
                        body=problem(
                            403, "Forbidden", "This account is deactivated.", "account-deactivated"
                        )
                    )
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
            await store.revoke(f"sid:{family_id}", self._deps.tokens.access_ttl)
            log.warning(
                "refresh token reused; session revoked",
                extra={"user_id": str(user_id), "session_id": str(family_id)},
            )
            return responses.Unauthorized(
                body=problem(
                    401,
                    "Unauthorized",
                    "This refresh token was already used; the session has been revoked.",
                    "refresh-token-reused",
                )
            )
        return tokens

    async def logout(self, *, body: models.LogoutRequest, principal: Principal) -> None:
        claims = principal.claims
        ttl = max(1, int(claims.get("exp", 0)) - int(time.time()))
        await self._deps.store.revoke(f"jti:{claims.get('jti')}", ttl)
        now = utcnow()
        async with self._deps.sessions() as session, session.begin():
            row = await refresh_tokens.get_by_hash(
                session, self._deps.tokens.fingerprint(body.refresh_token)
            )
            family_id = row.family_id if row and str(row.user_id) == principal.subject else None
            if family_id is not None:
                await refresh_tokens.revoke_family(session, family_id, now)
        if family_id is not None:
            await self._deps.store.revoke(f"sid:{family_id}", self._deps.tokens.access_ttl)
        log.info("logout", extra={"user_id": principal.subject})

    async def get_current_user(
        self, *, principal: Principal
    ) -> models.User | responses.Unauthorized:
        async with self._deps.sessions() as session:
            user = await users.get(session, uuid.UUID(principal.subject))
        if user is None:  # deleted between verification and now
            return responses.Unauthorized(
                body=problem(401, "Unauthorized", "The account no longer exists.")
            )
        return user_out(user)


class BearerVerifier:
    """The `oauth2` scheme's verifier: a valid, unrevoked JWT of an active account.

    Scopes are the token's, narrowed to what the account's role allows now, so a demoted admin
    loses `admin` at once; a deactivated account's tokens stop working on the next request.
    """

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def __call__(self, credential: Credential) -> Principal | None:
        try:
            claims = self._deps.tokens.verify_access(credential.value)
            user_id = uuid.UUID(claims.subject)
        except (InvalidTokenError, ValueError):
            return None
        if await self._deps.store.is_revoked(f"jti:{claims.jti}", f"sid:{claims.session_id}"):
            return None
        async with self._deps.sessions() as session:
            user = await users.get(session, user_id)
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
