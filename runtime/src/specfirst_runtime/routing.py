"""Router modules imported on the first request to one of their paths.

FastAPI does real work for every route it adds (the dependant, a Pydantic field per parameter,
the body field), and importing a router imports the models it names. For a contract with
a thousand operations that is seconds before the first request, on every `uvicorn --reload`.
So a generated app starts with a table of its operations only (`Operation`: method and
path, operation id, security schemes); the start-up conformance check reads that table and the Protocols.
`LazyRouters` imports a tag's router module when a request's path matches one of the tag's
paths, and adds its routes to the app exactly as they would have been added at start:
in the same order (concrete paths before templated ones), with the app as their dependency
overrides provider. Anything that lists the app's routes (`app.routes`, `url_path_for`) gets
every router loaded first, so it sees what an eagerly built app has.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic.warnings import UnsupportedFieldAttributeWarning
from starlette.responses import Response
from starlette.routing import BaseRoute, compile_path

__all__ = ["DeferredRouter", "LazyRouters", "Operation", "route_order"]

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One operation of a tag's router, as the app needs it before the router is imported
    (a tag's table maps each router function, the Protocol's method, to its operation)."""

    route: str  # "GET /pets/{pet_id}": the method and the route path (Python parameter names)
    operation_id: str
    schemes: tuple[str, ...] = ()  # every security scheme its requirement names

    @property
    def method(self) -> str:
        return self.route.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return self.route.split(" ", 1)[1]


@dataclass(frozen=True, kw_only=True)
class DeclaredRoute:
    """A route as a router module declares it, before FastAPI builds it."""

    path: str
    endpoint: Callable[..., Any]
    methods: tuple[str, ...]
    operation_id: str


class DeferredRouter:
    """A tag's routes, declared like `APIRouter.api_route` declares them; FastAPI builds them
    (`add_api_route`) on the app that first needs them, so that importing a router module
    builds nothing, and each app builds its routes once, with itself providing dependency
    overrides."""

    def __init__(self) -> None:
        self.routes: list[DeclaredRoute] = []

    def api_route(
        self, path: str, *, methods: Sequence[str], operation_id: str
    ) -> Callable[[Endpoint], Endpoint]:
        def declare(endpoint: Endpoint) -> Endpoint:
            route = DeclaredRoute(
                path=path, endpoint=endpoint, methods=tuple(methods), operation_id=operation_id
            )
            self.routes.append(route)
            return endpoint

        return declare


@dataclass(frozen=True, kw_only=True)
class _Pending:
    module: str
    patterns: tuple[re.Pattern[str], ...]


def _build_fields(route: APIRoute) -> None:
    """Build the validators of a route's parameters and body now, while FastAPI's own filter
    for pydantic's `UnsupportedFieldAttributeWarning` would apply.

    FastAPI validates a body with `TypeAdapter(Annotated[Model, Field(alias="body")])` and
    silences pydantic's warning about that alias while it makes the adapter; but an adapter
    of a model with `defer_build` (the generated models, `specfirst_runtime.deferred`) is
    built on first use, on the first request, where the warning is no longer silenced.
    Validating once here builds it (and the deferred models it reaches) with the same filter.
    """
    fields = [route.body_field] if route.body_field is not None else []
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        fields += dependant.path_params + dependant.query_params
        fields += dependant.header_params + dependant.cookie_params + dependant.body_params
        pending += dependant.dependencies
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UnsupportedFieldAttributeWarning)
        for field in fields:
            field.validate(None, {}, loc=(field.name,))


def route_order(route: BaseRoute) -> tuple[int, ...]:
    """Literal path segments before templated ones, as OpenAPI says concrete paths win."""
    path = getattr(route, "path", "")
    return tuple(1 if "{" in segment else 0 for segment in path.split("/"))


class LazyRouters:
    """The app's router modules not imported yet, and how to add their routes when needed.

    `modules` are (module name, operations) in the app's tag order; a module holds `router`,
    an `APIRouter`. Routes are kept as an eagerly built app would hold them: the routes the app
    had when this was made, the contract's routes, and those added before `start` (docs),
    sorted so that concrete paths come first (ties in that order), then routes added after.
    """

    def __init__(
        self,
        *,
        app: FastAPI,
        modules: Iterable[tuple[str, Iterable[Operation]]],
        package: str | None,
    ) -> None:
        self._app = app
        self._package = package
        self._pending: list[_Pending] = []
        self._modules: list[str] = []  # tag order
        self._loaded: dict[str, list[BaseRoute]] = {}
        # the app's own routes (its OpenAPI document, docs): those it had before the routers
        # were added, and those added before `start`
        self._head: list[BaseRoute] = list(app.router.routes)
        self._tail: list[BaseRoute] = []
        self._known: set[int] = set()  # ids of every route placed by `_place`
        for module, operations in modules:
            self._modules.append(module)
            paths = dict.fromkeys(op.path for op in operations)
            patterns = tuple(compile_path(path)[0] for path in paths)
            self._pending.append(_Pending(module=module, patterns=patterns))

    @property
    def pending(self) -> bool:
        """Whether some router module has not been imported yet."""
        return bool(self._pending)

    def start(self) -> None:
        """Take the routes added to the app since this was made as its own too (they keep
        their place among the contract's routes), and place the routers added so far."""
        head = {id(r) for r in self._head}
        self._tail = [r for r in self._app.router.routes if id(r) not in head]
        self._known = head | {id(r) for r in self._tail}
        self._place()

    def add_router(self, module: str, routes: Sequence[BaseRoute | DeclaredRoute]) -> None:
        """Add the routes of a router that is already built (a tag given an `APIRouter`)."""
        self._pending = [p for p in self._pending if p.module != module]
        self._loaded[module] = self._copy(routes)

    def load_matching(self, path: str) -> None:
        """Import every pending router with an operation whose path matches `path`, so that
        the app routes the request (and answers 405 with every allowed method) as if all
        routers had been imported at start."""
        due = [p for p in self._pending if any(rx.match(path) for rx in p.patterns)]
        if due:
            self._load(due)

    def load_all(self) -> None:
        if self._pending:
            self._load(list(self._pending))

    def _load(self, due: list[_Pending]) -> None:
        for pending in due:
            module = importlib.import_module(pending.module, self._package)
            self._loaded[pending.module] = self._copy(module.router.routes)
        names = {p.module for p in due}
        self._pending = [p for p in self._pending if p.module not in names]
        self._place()

    def _copy(self, routes: Sequence[BaseRoute | DeclaredRoute]) -> list[BaseRoute]:
        """Each route of a tag router (a `DeferredRouter` or an `APIRouter`), built by the
        app's `add_api_route` (so the app provides dependency overrides); the response is
        always the endpoint's own."""
        table = self._app.router.routes
        start = len(table)
        for route in routes:
            if isinstance(route, DeclaredRoute | APIRoute):
                self._app.router.add_api_route(
                    route.path,
                    route.endpoint,
                    methods=sorted(route.methods or ()),
                    operation_id=route.operation_id,
                    response_class=Response,
                    name=route.name if isinstance(route, APIRoute) else route.endpoint.__name__,
                )
        copies = table[start:]
        del table[start:]
        for copy in copies:
            if isinstance(copy, APIRoute):
                _build_fields(copy)
        return copies

    def _place(self) -> None:
        routes = self._app.router.routes
        added_later = [r for r in routes if id(r) not in self._known]
        contract = [r for m in self._modules for r in self._loaded.get(m, ())]
        placed = sorted([*self._head, *contract, *self._tail], key=route_order)
        self._known = {id(r) for r in placed}
        routes[:] = [*placed, *added_later]
