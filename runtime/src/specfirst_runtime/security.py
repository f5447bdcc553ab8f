"""Security requirements as FastAPI dependencies; verifying a credential is the app's job.

A generated `security.py` declares the contract's schemes (`Scheme`) and one `Requirement` per
distinct `security` list. The app passes one verifier per scheme to `create_app`; it receives a
`Credential` and returns a `Principal` (or None to refuse it).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from specfirst_runtime.problems import ProblemException

__all__ = ["Credential", "Principal", "Requirement", "Scheme", "Verifier"]


@dataclass(frozen=True)
class Principal:
    """Who a verifier says is calling; services get it as `principal`."""

    subject: str
    scopes: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Credential:
    """What the request presented for one security scheme."""

    scheme: str  # the securitySchemes key
    value: str  # bearer token, API key or basic password
    username: str | None = None  # basic auth only
    required_scopes: tuple[str, ...] = ()


Verifier = Callable[[Credential], Awaitable[Principal | None]]


@dataclass(frozen=True, kw_only=True)
class Scheme:
    """Where a security scheme's credential travels."""

    name: str
    kind: str  # bearer | basic | apikey | http-<scheme> | unsupported
    location: str = "header"  # header | query | cookie
    parameter: str = "Authorization"  # the header, query or cookie name


class Requirement:
    """A FastAPI dependency for one `security` list: alternatives tried in order, AND within one.

    No credential, or a verifier returning None, answers 401 with `WWW-Authenticate`; a
    principal lacking a required scope answers 403. With `optional` (`{}` among the
    alternatives) a request presenting no credential gets `None`.
    """

    def __init__(
        self,
        *,
        schemes: Mapping[str, Scheme],
        alternatives: Sequence[Mapping[str, Sequence[str]]],
        optional: bool = False,
    ) -> None:
        self.schemes = schemes
        self.alternatives = alternatives
        self.optional = optional

    @property
    def scheme_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for alt in self.alternatives for name in alt))

    async def __call__(self, request: Request) -> Principal | None:
        verifiers: Mapping[str, Verifier] = request.app.state.specfirst_verifiers
        usable = [alt for alt in self.alternatives if all(name in verifiers for name in alt)]
        if not usable:
            raise ProblemException(
                501, "Not Implemented", "No credential verifier is configured for this operation."
            )
        presented = insufficient = False
        for alternative in usable:
            principal: Principal | None = None
            for name, scopes in alternative.items():
                credential = self._extract(request, name, tuple(scopes))
                if credential is None:
                    principal = None
                    break
                presented = True
                found = await verifiers[name](credential)
                if found is None:
                    principal = None
                    break
                if not set(scopes) <= found.scopes:
                    insufficient, principal = True, None
                    break
                principal = principal or found
            if principal is not None:
                return principal
        if self.optional and not presented:
            return None
        if insufficient:
            raise ProblemException(403, "Forbidden", "The credentials lack a required scope.")
        raise ProblemException(
            401,
            "Unauthorized",
            "Missing or invalid credentials.",
            headers={"WWW-Authenticate": self._challenge()},
        )

    def _challenge(self) -> str:
        kinds = {self.schemes[n].kind for n in self.scheme_names if n in self.schemes}
        if "basic" in kinds:
            return 'Basic realm="api"'
        return "Bearer" if "bearer" in kinds or not kinds else "ApiKey"

    def _extract(self, request: Request, name: str, scopes: tuple[str, ...]) -> Credential | None:
        scheme = self.schemes.get(name)
        if scheme is None:
            return None
        if scheme.kind == "apikey":
            source: Mapping[str, str] = {
                "header": request.headers,
                "query": request.query_params,
                "cookie": request.cookies,
            }.get(scheme.location, {})
            value = source.get(scheme.parameter)
            return Credential(name, value, None, scopes) if value else None
        authorization = request.headers.get("authorization", "")
        kind, _, value = authorization.partition(" ")
        value = value.strip()
        if not value:
            return None
        if scheme.kind == "basic" and kind.lower() == "basic":
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            username, sep, password = decoded.partition(":")
            return Credential(name, password, username, scopes) if sep else None
        if scheme.kind == "bearer" and kind.lower() == "bearer":
            return Credential(name, value, None, scopes)
        if scheme.kind.startswith("http-") and kind.lower() == scheme.kind[5:]:
            return Credential(name, value, None, scopes)
        return None
