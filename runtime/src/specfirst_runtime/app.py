"""The app: the contract's routes bound to services, checked against their Protocols at start.

`build_app` is what a generated `create_app` calls. The conformance check reads the generated
Protocols themselves (method names, `async`, keyword arguments), so there is no second table
of operations to keep in step with them.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, APIRouter
from starlette.responses import Response
from starlette.routing import BaseRoute

from specfirst_runtime.docs import install_docs
from specfirst_runtime.problems import ProblemException, install_problem_handlers

__all__ = [
    "ContractApp",
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
    """One tag of the contract: its Protocol, its router and the service bound to it (if any)."""

    protocol: type
    router: APIRouter
    service: object | None = None


def load_contract(*, package: str | None) -> dict[str, Any]:
    """The source contract shipped beside the generated package as `openapi.json`."""
    if package is None:
        raise ImportError("load_contract needs the generated package's name")
    text = resources.files(package).joinpath(CONTRACT_FILE).read_text(encoding="utf-8")
    contract: dict[str, Any] = json.loads(text)
    return contract


class ContractApp(FastAPI):
    """A FastAPI app whose OpenAPI document is the source contract, not one FastAPI derives."""

    def __init__(self, *, contract: dict[str, Any], **kwargs: Any) -> None:
        self.contract = contract
        super().__init__(**kwargs)

    def openapi(self) -> dict[str, Any]:
        return self.contract


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
        # Each handler is named after its method: name problems by the contract's operationId.
        ids = {r.name: r.operation_id for r in tag.router.routes if isinstance(r, APIRoute)}
        for name, wanted in protocol_methods(tag.protocol):
            operation = ids.get(name) or name
            problems += [
                f"{operation}: {problem}"
                for problem in _method_problems(tag.service, owner, name, wanted)
            ]
        for route in tag.router.routes:
            if isinstance(route, APIRoute):
                schemes = {s for r in _requirements(route.dependant) for s in r.scheme_names}
                if schemes and not schemes & set(verifiers):
                    problems.append(
                        f"{route.operation_id}: no verifier for security scheme"
                        f" {', '.join(sorted(schemes))}"
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


def _route_order(route: BaseRoute) -> tuple[int, ...]:
    """Literal path segments before templated ones, as OpenAPI says concrete paths win."""
    path = getattr(route, "path", "")
    return tuple(1 if "{" in segment else 0 for segment in path.split("/"))


def build_app(
    *,
    contract: dict[str, Any],
    tags: Mapping[str, Tag],
    verifiers: Mapping[str, Callable[..., Any]],
    fastapi_kwargs: Mapping[str, Any],
) -> FastAPI:
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
    # Flatten the tag routers into the app (FastAPI's include_router keeps them nested, which
    # would match routers in inclusion order), then put concrete paths before templated ones.
    for tag in tags.values():
        for route in tag.router.routes:
            if isinstance(route, APIRoute):
                app.router.add_api_route(
                    route.path,
                    route.endpoint,
                    methods=sorted(route.methods or ()),
                    operation_id=route.operation_id,
                    response_class=Response,
                    name=route.name,
                )
    if app.openapi_url is not None:
        install_docs(app, docs_url=docs_url, redoc_url=redoc_url, openapi_url=app.openapi_url)
    app.router.routes.sort(key=_route_order)
    install_problem_handlers(app)
    return app
