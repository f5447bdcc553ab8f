"""The Schemathesis auth provider: which account makes each request, and on whose data.

Each generated case of a secured operation gets a bearer token of one identity (see
`accounts`). The choice is a pure function of the case's data, so deterministic generation
stays deterministic, and it spreads requests over the accounts so authorization paths are reached:

- operations needing the admin scope: mostly the admin, sometimes the plain user (→ 403);
- operations with the subject path parameter (`/api/{user_id}/tasks`): a value that is one of our
  accounts (it came from a link) keeps its owner or the admin; a random well-formed value is
  mostly replaced by the caller's own id (so the request can succeed), sometimes by the other
  account's id (→ 404, the privacy rule), sometimes left alone (→ 404);
- victim operations (deactivate an account) point at the sacrificial account, the caller itself
  or a random id, and never at an account the run still needs;
- session operations (logout) get a freshly refreshed token of their own, so ending that session
  does not pull the ground from under the other requests.

Malformed values (negative tests) are left alone: they exist to be rejected.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from schemathesis import AuthContext

from specfirst.contract_test.accounts import Wallet
from specfirst.contract_test.operations import (
    AnyCase,
    needed_scopes,
    operation_id,
    security_requirements,
)

_WALLET: list[Wallet] = []


def install(wallet: Wallet | None) -> None:
    """Use these accounts from now on (None: send no credentials)."""
    _WALLET.clear()
    if wallet is not None:
        _WALLET.append(wallet)


def current_wallet() -> Wallet | None:
    return _WALLET[0] if _WALLET else None


def case_hash(case: AnyCase) -> int:
    """A stable number from the case's data (not its id, which is random)."""
    data = [
        case.method,
        case.path,
        case.path_parameters,
        case.query,
        case.body if not isinstance(case.body, bytes) else case.body.hex(),
    ]
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def choose_role(case: AnyCase, wallet: Wallet) -> str | None:
    requirements = security_requirements(case.operation)
    if not requirements:
        return None
    state = wallet.state
    roles = state.identities
    h = case_hash(case)
    op = operation_id(case.operation)
    if op in state.session_operations and "session" in roles:
        return "session"
    limited = roles.get("limited")
    params = case.path_parameters or {}
    linked = {i.subject for i in roles.values()} & {str(v) for v in params.values()}
    lacking = needed_scopes(case.operation) - set(limited.scopes) if limited else set()
    if limited and lacking and not linked and h % 13 == 0:
        return "limited"
    if state.admin_scope and state.admin_scope in needed_scopes(case.operation):
        return "admin" if "admin" in roles and h % 5 else "user"
    parameter = state.subject_parameter
    if parameter and parameter in params and op not in state.victim_operations:
        owners = {i.subject: role for role, i in roles.items() if role in ("user", "other")}
        owner = owners.get(str(params[parameter]))
        if owner is not None:
            return "admin" if "admin" in roles and h % 7 == 0 else owner
        if "admin" in roles and h % 11 == 0:
            return "admin"
        return "other" if "other" in roles and h % 6 == 0 else "user"
    # Nothing in the request names the owner: one account, so what it creates it can read.
    return "user"


def shape_subject(case: AnyCase, role: str, wallet: Wallet) -> None:
    """Point the subject path parameter at an account that makes the request meaningful."""
    state = wallet.state
    parameter = state.subject_parameter
    params = case.path_parameters
    if not parameter or not params or parameter not in params:
        return
    value = params[parameter]
    if not _is_uuid(value):
        return
    subjects = wallet.subjects()
    h = case_hash(case) // 7
    if operation_id(case.operation) in state.victim_operations:
        protected = {subjects.get(r) for r in ("user", "other", "session")}
        choice = h % 4
        if choice in (0, 1) and "victim" in subjects:
            params[parameter] = subjects["victim"]
        elif choice == 2 and role in subjects:
            params[parameter] = subjects[role]
        elif value in protected:
            params[parameter] = str(uuid.UUID(int=h % (1 << 122)))
        return
    if value in subjects.values():
        return  # one of ours already (a link's value): keep it
    choice = h % 10
    if choice == 0:
        return  # nobody's id: 404
    if choice == 1:
        other = "other" if role != "other" else "user"
        params[parameter] = subjects.get(other, value)
        return
    own = "user" if role in ("admin", "session", "limited") else role
    params[parameter] = subjects.get(own, value)


class ContractAuth:
    """`schemathesis.auth()` provider over the installed `Wallet` (no caching of its own)."""

    def get(self, case: AnyCase, ctx: AuthContext) -> str | None:
        wallet = current_wallet()
        if wallet is None:
            return None
        role = choose_role(case, wallet)
        if role is None:
            return None
        if role == "session":
            return wallet.fresh_token(role)
        return wallet.token(role)

    def set(self, case: AnyCase, data: str, ctx: AuthContext) -> None:
        wallet = current_wallet()
        headers: Any = case.headers
        headers["Authorization"] = f"Bearer {data}"
        role = wallet.role_of(data) if wallet else None
        if wallet is not None and role is not None:
            shape_subject(case, role, wallet)


def register() -> None:
    """Register the provider with Schemathesis (once per process)."""
    import schemathesis

    if not getattr(register, "done", False):
        schemathesis.auth(refresh_interval=None)(ContractAuth)
        register.done = True  # type: ignore[attr-defined]
