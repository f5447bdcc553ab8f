"""The Schemathesis auth provider: which identity makes each request, and on whose data.

Each generated case of a secured operation gets the credentials of one identity for one of the
operation's security requirements. The choice is a pure function of the case's data, so
deterministic generation stays deterministic, and it follows what each identity may reach:

- an operation an identity is kept for (`Identity.operations`, e.g. logout) gets that identity,
  with a freshly renewed token when it is `fresh` (so ending that session harms no other request);
- otherwise a caller able to send the credentials is chosen: mostly the first identity holding
  the scopes the operation needs, sometimes another one that holds them, and now and then one
  lacking them (to reach the 403);
- where a path parameter names an account (`Identities.subject_parameter`): a value that is one
  of our accounts (it came from a link) keeps its owner as the caller; another value is mostly
  replaced by the caller's own account, sometimes by another identity's (→ the privacy rule's
  404), sometimes left alone; operations that act on an account (`Identity.targets`) are pointed
  at that sacrificial identity, never at an account the run still needs.

Negative cases (malformed on purpose) keep their values: they exist to be rejected.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from schemathesis import AuthContext, GenerationMode

from specfirst.contract_test.identities import Identity, Wallet, placement, security_schemes
from specfirst.contract_test.operations import (
    AnyCase,
    needed_scopes,
    operation_id,
    security_requirements,
)

_WALLET: list[Wallet] = []


def install(wallet: Wallet | None) -> None:
    """Use these identities from now on (None: send no credentials)."""
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


def _requirements(case: AnyCase, identity: Identity) -> list[dict[str, list[str]]]:
    """The operation's security requirements this identity has every credential for."""
    return [
        requirement
        for requirement in security_requirements(case.operation)
        if requirement and all(scheme in identity.credentials for scheme in requirement)
    ]


def _is_negative(case: AnyCase) -> bool:
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    return getattr(generation, "mode", None) == GenerationMode.NEGATIVE


def choose_identity(case: AnyCase, wallet: Wallet) -> Identity | None:
    requirements = security_requirements(case.operation)
    if not any(requirements):
        return None  # public, or open to anonymous requests
    identities = list(wallet.identities.identities.values())
    op = operation_id(case.operation)
    for identity in identities:
        if op in identity.operations and _requirements(case, identity):
            return identity
    callers = [
        i for i in identities if not i.operations and not i.targets and _requirements(case, i)
    ]
    if not callers:
        return None
    h = case_hash(case)
    needed = needed_scopes(case.operation)
    able = [i for i in callers if (held := i.held_scopes()) is None or needed <= held]
    unable = [i for i in callers if i not in able]
    if not able:
        return callers[h % len(callers)]
    parameter = wallet.identities.subject_parameter
    params = case.path_parameters or {}
    value = str(params[parameter]) if parameter and parameter in params else None
    owners = {i.subject: i for i in able if i.subject}
    if value is not None and value in owners:
        others = [i for i in able if i is not owners[value]]
        return others[h // 7 % len(others)] if others and h % 7 == 0 else owners[value]
    if unable and h % 8 == 0:
        return unable[h // 8 % len(unable)]
    if len(able) > 1 and h % 11 == 0:
        return able[1 + h // 11 % (len(able) - 1)]
    return able[0]


def shape_subject(case: AnyCase, caller: Identity, wallet: Wallet) -> None:
    """Point the account path parameter at an account that makes the request meaningful."""
    parameter = wallet.identities.subject_parameter
    params = case.path_parameters
    if not parameter or not params or parameter not in params or _is_negative(case):
        return
    value = str(params[parameter])
    subjects = wallet.subjects()
    h = case_hash(case) // 5
    op = operation_id(case.operation)
    targets = [i for i in wallet.identities.identities.values() if op in i.targets and i.subject]
    if targets:
        choice = h % 4
        protected = {s for n, s in subjects.items() if all(t.name != n for t in targets)}
        if choice in (0, 1) or value in protected:
            params[parameter] = str(targets[h // 4 % len(targets)].subject)
        elif choice == 2 and caller.subject:
            params[parameter] = caller.subject
        return
    if value in subjects.values():
        return  # one of ours already (a link's value): keep it
    choice = h % 10
    if choice == 0:
        return  # nobody's account
    own = caller.subject or next(iter(subjects.values()), None)
    if choice == 1:
        others = [s for n, s in subjects.items() if n != caller.name and s != own]
        if others:
            params[parameter] = others[h // 10 % len(others)]
            return
    if own:
        params[parameter] = own


class ContractAuth:
    """`schemathesis.auth()` provider over the installed `Wallet` (no caching of its own)."""

    def get(self, case: AnyCase, ctx: AuthContext) -> tuple[str, dict[str, str]] | None:
        wallet = current_wallet()
        if wallet is None:
            return None
        identity = choose_identity(case, wallet)
        if identity is None:
            return None
        options = _requirements(case, identity)
        requirement = options[case_hash(case) // 3 % len(options)]
        values = {
            scheme: wallet.value(identity.name, scheme, fresh=identity.fresh)
            for scheme in requirement
        }
        return identity.name, values

    def set(self, case: AnyCase, data: tuple[str, dict[str, str]], ctx: AuthContext) -> None:
        wallet = current_wallet()
        if wallet is None:
            return
        name, values = data
        apply_credentials(case, values)
        shape_subject(case, wallet.identities.identities[name], wallet)


def apply_credentials(case: AnyCase, values: dict[str, str]) -> None:
    """Put each scheme's credential where the contract says it is sent."""
    schemes = security_schemes(case.operation.schema.raw_schema)
    for scheme, value in values.items():
        where = placement(schemes.get(scheme, {}))
        if where is None:
            continue
        rendered = where.render(value)
        target: Any
        if where.location == "query":
            if case.query is None:
                case.query = {}
            target = case.query
        elif where.location == "cookie":
            if case.cookies is None:
                case.cookies = {}
            target = case.cookies
        else:
            target = case.headers
        target[where.name] = rendered


def register() -> None:
    """Register the provider with Schemathesis (once per process)."""
    import schemathesis

    if not getattr(register, "done", False):
        schemathesis.auth(refresh_interval=None)(ContractAuth)
        register.done = True  # type: ignore[attr-defined]
