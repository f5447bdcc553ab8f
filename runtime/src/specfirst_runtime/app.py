"""The app: the contract's routes bound to services, checked against their Protocols at start.

`build_app` is what a generated `create_app` calls. The conformance check reads the generated
Protocols themselves (method names, `async`, keyword arguments) and each tag's table of
operations (names, operation ids, security schemes); the routers themselves are imported on
the first request to one of their paths (`specfirst_runtime.routing`).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, APIRouter
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from specfirst_runtime.docs import install_docs
from specfirst_runtime.problems import ProblemException, install_problem_handlers
from specfirst_runtime.routing import LazyRouters, Operation

__all__ = [
    "ContractApp",
    "Operation",
    "ServiceMismatchError",
    "Tag",
    "bound_service",
    "build_app",
    "check_services",
    "load_contract",
    "read_raw",
]

CONTRACT_FILE = "openapi.json"


class ServiceMismatchError(TypeError):
    """A bound service does not implement its contract's operations."""


@dataclass(frozen=True, kw_only=True)
class Tag:
    """One tag of the contract: its Protocol, its router and the service bound to it (if any).

    `router` is the module holding the tag's `router` (relative to the app's package), imported
    on the first request to one of `operations`' paths; or an `APIRouter`, whose routes are
    added at start (its operations are then read from its routes).
    """

    protocol: type
    router: APIRouter | str
    operations: Mapping[str, Operation] = field(default_factory=dict)  # by method name
    service: object | None = None

    def table(self) -> Mapping[str, Operation]:
        """The tag's operations by method name: as given, or read from an `APIRouter`."""
        if isinstance(self.router, str):
            return self.operations
        return {
            route.name: Operation(
                route=f"{min(route.methods or {''})} {route.path}",
                operation_id=route.operation_id or route.name,
                schemes=tuple(
                    dict.fromkeys(s for r in _requirements(route.dependant) for s in r.scheme_names)
                ),
            )
            for route in self.router.routes
            if isinstance(route, APIRoute)
        }


def load_contract(*, package: str | None) -> dict[str, Any]:
    """The source contract shipped beside the generated package as `openapi.json`."""
    if package is None:
        raise ImportError("load_contract needs the generated package's name")
    text = resources.files(package).joinpath(CONTRACT_FILE).read_text(encoding="utf-8")
    contract: dict[str, Any] = json.loads(text)
    return contract


class ContractApp(FastAPI):
    """A FastAPI app whose OpenAPI document is the source contract, not one FastAPI derives,
    and whose tag routers are imported on the first request to one of their paths."""

    def __init__(self, *, contract: dict[str, Any], **kwargs: Any) -> None:
        self.contract = contract
        self.lazy_routers: LazyRouters | None = None
        super().__init__(**kwargs)

    def openapi(self) -> dict[str, Any]:
        return self.contract

    @property
    def routes(self) -> list[BaseRoute]:
        """Every route, as an app built eagerly has them (pending routers are imported)."""
        if self.lazy_routers is not None:
            self.lazy_routers.load_all()
        return self.router.routes

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if self.lazy_routers is not None:
            self.lazy_routers.load_all()
        return super().url_path_for(name, **path_params)


class _LoadRouters:
    """Middleware (innermost of the app's own, so an import that fails is answered as any
    unhandled error: a 500 problem) importing the routers a request's path needs."""

    def __init__(self, app: ASGIApp, *, routers: LazyRouters) -> None:
        self.app, self.routers = app, routers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.routers.pending and scope["type"] in ("http", "websocket"):
            self.routers.load_matching(_route_path(scope))
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The request's path below the app's `root_path` (as Starlette's routes match it)."""
    path: str = scope["path"]
    root = str(scope.get("root_path", ""))
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :]
    return path


def protocol_methods(protocol: type) -> Iterator[tuple[str, inspect.Signature]]:
    """The operations a generated Protocol declares: its own `async def` methods."""
    for name, member in vars(protocol).items():
        if not name.startswith("_") and inspect.iscoroutinefunction(member):
            yield name, inspect.signature(member)


def check_services(tags: Mapping[str, Tag], verifiers: Mapping[str, Any]) -> None:
    """Raise `ServiceMismatchError` naming every way a bound service misses its Protocol."""
    problems: list[str] = []
    for tag in tags.values():
        if tag.service is None:
            continue
        owner = type(tag.service).__name__
        table = tag.table()
        # Each handler is named after its method: name problems by the contract's operationId.
        ids = {name: op.operation_id for name, op in table.items()}
        for name, wanted in protocol_methods(tag.protocol):
            operation = ids.get(name) or name
            problems += [
                f"{operation}: {problem}"
                for problem in _method_problems(tag.service, owner, name, wanted)
            ]
        for op in table.values():
            if op.schemes and not set(op.schemes) & set(verifiers):
                problems.append(
                    f"{op.operation_id}: no verifier for security scheme"
                    f" {', '.join(sorted(op.schemes))}"
                )
    if problems:
        raise ServiceMismatchError(
            "services do not match the contract:\n  " + "\n  ".join(problems)
        )


def _method_problems(
    service: object, owner: str, name: str, wanted: inspect.Signature
) -> list[str]:
    method = getattr(service, name, None)
    if method is None:
        return [f"{owner} has no method {name}()"]
    if not inspect.iscoroutinefunction(method):
        return [f"{owner}.{name}() must be `async def`"]
    keywords = [n for n in wanted.parameters if n != "self"]
    parameters = inspect.signature(method).parameters
    named = {
        n for n, p in parameters.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }
    problems: list[str] = []
    if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        missing = [k for k in keywords if k not in named]
        if missing:
            problems.append(f"{owner}.{name}() does not accept {', '.join(missing)}")
    extra = [
        n
        for n, p in parameters.items()
        if n not in keywords
        and p.default is p.empty
        and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if extra:
        problems.append(
            f"{owner}.{name}() requires {', '.join(extra)}, which the contract does not supply"
        )
    return problems


def _requirements(dependant: Dependant) -> Iterator[Any]:
    from specfirst_runtime.security import Requirement  # only secured packages need it

    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Requirement):
            yield dependency.call
        yield from _requirements(dependency)


def bound_service(*, request: Request, tag: str, operation_id: str) -> Any:
    """The service bound to `tag`; an unbound one answers 501."""
    service = request.app.state.specfirst_services.get(tag)
    if service is None:
        raise ProblemException(
            501, "Not Implemented", f"Operation {operation_id!r} has no service bound."
        )
    return service


async def read_raw(*, request: Request, required: bool) -> bytes | None:
    """A body of a media type with no model (octet streams, images, text)."""
    content = await request.body()
    if not content:
        if required:
            raise RequestValidationError(
                [{"type": "missing", "loc": ("body",), "msg": "Field required"}]
            )
        return None
    return content


def build_app(
    *,
    contract: dict[str, Any],
    tags: Mapping[str, Tag],
    verifiers: Mapping[str, Callable[..., Any]],
    fastapi_kwargs: Mapping[str, Any],
    package: str | None = None,
) -> FastAPI:
    """The app of `tags`. Router modules (`Tag.router` a module name, relative to `package`)
    are imported on the first request to one of their paths; `APIRouter`s are added now."""
    check_services(tags, verifiers)
    info = contract.get("info", {})
    options: dict[str, Any] = {
        "title": str(info.get("title", "API")),
        "version": str(info.get("version", "")),
        "redirect_slashes": False,
        "docs_url": "/docs",
        "redoc_url": "/redoc",
    }
    options.update(fastapi_kwargs)
    docs_url, redoc_url = options.pop("docs_url"), options.pop("redoc_url")
    app = ContractApp(contract=contract, docs_url=None, redoc_url=None, **options)
    app.state.specfirst_services = {name: tag.service for name, tag in tags.items()}
    app.state.specfirst_verifiers = dict(verifiers)
    # The tag routers' routes go into the app itself (FastAPI's include_router keeps them
    # nested, which would match routers in inclusion order), concrete paths before templated.
    modules = [(_module(name, tag), tag.table().values()) for name, tag in tags.items()]
    lazy = LazyRouters(app=app, modules=modules, package=package)
    for name, tag in tags.items():
        if not isinstance(tag.router, str):
            lazy.add_router(_module(name, tag), tag.router.routes)
    if app.openapi_url is not None:
        install_docs(app, docs_url=docs_url, redoc_url=redoc_url, openapi_url=app.openapi_url)
    lazy.start()
    app.lazy_routers = lazy
    app.add_middleware(_LoadRouters, routers=lazy)
    install_problem_handlers(app)
    return app


def _module(name: str, tag: Tag) -> str:
    return tag.router if isinstance(tag.router, str) else f"<router of tag {name}>"
