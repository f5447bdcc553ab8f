"""Router modules are imported on the first request to one of their paths, and the app then
routes exactly as one whose routers were all added at start."""

from __future__ import annotations

import itertools
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from specfirst_runtime.app import ServiceMismatchError, Tag, build_app
from specfirst_runtime.responses import Bare, respond
from specfirst_runtime.routing import DeferredRouter, Operation

CONTRACT = {"openapi": "3.1.0", "info": {"title": "Lazy", "version": "1"}, "paths": {}}
_numbers = itertools.count()

PETS = """
from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Path, Request
from specfirst_runtime.app import bound_service
from specfirst_runtime.models import ContractModel
from specfirst_runtime.responses import Bare, respond
from specfirst_runtime.routing import DeferredRouter
from starlette.responses import Response

router = DeferredRouter()


def caller() -> str:
    return "anyone"


@router.api_route("/pets/{pet_id}", methods=["GET"], operation_id="getPet")
async def get_pet(
    request: Request,
    pet_id: Annotated[int, Path()],
    who: Annotated[str, Depends(caller)],
) -> Response:
    service = bound_service(request=request, tag="pets", operation_id="getPet")
    return await respond(
        call=service.get_pet(pet_id=pet_id, who=who),
        bare=Bare(status=200, media_type="application/json", body_kind="json"),
    )


class NewPet(ContractModel):  # deferred: built on first use
    name: str


@router.api_route("/pets", methods=["POST"], operation_id="addPet")
async def add_pet(request: Request, body: Annotated[NewPet, Body()]) -> Response:
    return await respond(
        call=_named(body.name), bare=Bare(status=201, media_type="application/json", body_kind="json")
    )


async def _named(name: str) -> dict[str, str]:
    return {"name": name}


@router.api_route("/pets/mine", methods=["GET"], operation_id="getMine")
async def get_mine(request: Request) -> Response:
    service = bound_service(request=request, tag="pets", operation_id="getMine")
    return await respond(
        call=service.get_mine(), bare=Bare(status=200, media_type="application/json", body_kind="json")
    )
"""

ADMIN = """
from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from specfirst_runtime.app import bound_service
from specfirst_runtime.responses import Bare, respond
from specfirst_runtime.routing import DeferredRouter
from starlette.responses import Response

router = DeferredRouter()


@router.api_route("/pets/{pet_id}", methods=["DELETE"], operation_id="deletePet")
async def delete_pet(request: Request, pet_id: Annotated[int, Path()]) -> Response:
    service = bound_service(request=request, tag="admin", operation_id="deletePet")
    return await respond(call=service.delete_pet(pet_id=pet_id), bare=Bare(status=204))


@router.api_route("/users", methods=["GET"], operation_id="listUsers")
async def list_users(request: Request) -> Response:
    service = bound_service(request=request, tag="admin", operation_id="listUsers")
    return await respond(
        call=service.list_users(), bare=Bare(status=200, media_type="application/json", body_kind="json")
    )
"""

PET_OPERATIONS = {
    "get_pet": Operation(route="GET /pets/{pet_id}", operation_id="getPet"),
    "get_mine": Operation(route="GET /pets/mine", operation_id="getMine"),
    "add_pet": Operation(route="POST /pets", operation_id="addPet"),
}
ADMIN_OPERATIONS = {
    "delete_pet": Operation(
        route="DELETE /pets/{pet_id}", operation_id="deletePet", schemes=("bearer",)
    ),
    "list_users": Operation(route="GET /users", operation_id="listUsers"),
}


class PetsService(Protocol):
    async def get_pet(self, *, pet_id: int, who: str) -> dict[str, object]: ...

    async def get_mine(self) -> list[int]: ...

    async def add_pet(self, *, body: object) -> dict[str, str]: ...


class AdminService(Protocol):
    async def delete_pet(self, *, pet_id: int) -> None: ...

    async def list_users(self) -> list[str]: ...


class Pets:
    async def get_pet(self, *, pet_id: int, who: str) -> dict[str, object]:
        return {"id": pet_id, "who": who}

    async def get_mine(self) -> list[int]:
        return [1, 2]

    async def add_pet(self, *, body: object) -> dict[str, str]:
        return {}


class Admin:
    async def delete_pet(self, *, pet_id: int) -> None:
        return None

    async def list_users(self) -> list[str]:
        return ["ann"]


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package with two router modules, `routers.pets` and `routers.admin`, not imported."""
    name = f"lazy_fixture_{next(_numbers)}"
    routers = tmp_path / name / "routers"
    routers.mkdir(parents=True)
    (tmp_path / name / "__init__.py").write_text("", encoding="utf-8")
    (routers / "__init__.py").write_text("", encoding="utf-8")
    (routers / "pets.py").write_text(textwrap.dedent(PETS), encoding="utf-8")
    (routers / "admin.py").write_text(textwrap.dedent(ADMIN), encoding="utf-8")
    (routers / "broken.py").write_text("raise RuntimeError('no such router')\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def make_app(package: str, *, pets: object | None = None, admin: object | None = None) -> FastAPI:
    return build_app(
        contract=CONTRACT,
        package=package,
        tags={
            "pets": Tag(
                protocol=PetsService,
                router=".routers.pets",
                operations=PET_OPERATIONS,
                service=pets,
            ),
            "admin": Tag(
                protocol=AdminService,
                router=".routers.admin",
                operations=ADMIN_OPERATIONS,
                service=admin,
            ),
        },
        verifiers={"bearer": lambda credential: None} if admin is not None else {},
        fastapi_kwargs={},
    )


def loaded(package: str) -> set[str]:
    prefix = package + ".routers."
    return {m.removeprefix(prefix) for m in sys.modules if m.startswith(prefix)}


def test_start_imports_no_router_and_a_request_imports_only_its_own(package: str) -> None:
    client = TestClient(make_app(package, pets=Pets(), admin=Admin()))
    assert loaded(package) == set()
    assert client.get("/users").json() == ["ann"]
    assert loaded(package) == {"admin"}
    assert client.get("/pets/mine").json() == [1, 2]
    assert loaded(package) == {"admin", "pets"}


def test_concrete_paths_win_whichever_router_came_first(package: str) -> None:
    client = TestClient(make_app(package, pets=Pets()))
    assert client.get("/pets/7").json() == {"id": 7, "who": "anyone"}
    assert client.get("/pets/mine").json() == [1, 2]  # not `/pets/{pet_id}` with "mine"


def test_a_path_of_two_routers_imports_both_so_405_allows_every_method(package: str) -> None:
    client = TestClient(make_app(package))
    answer = client.post("/pets/7")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE, GET"
    assert loaded(package) == {"admin", "pets"}


def test_unknown_paths_import_nothing_and_answer_404(package: str) -> None:
    client = TestClient(make_app(package))
    assert client.get("/nothing/here").status_code == 404
    assert loaded(package) == set()


def test_unbound_operations_answer_501_from_a_lazy_router(package: str) -> None:
    answer = TestClient(make_app(package)).get("/users")
    assert answer.status_code == 501
    assert answer.headers["content-type"] == "application/problem+json"


def test_listing_routes_imports_every_router_in_the_order_of_an_eager_app(package: str) -> None:
    app = make_app(package)
    paths = [(r.path, sorted(r.methods)) for r in app.routes if isinstance(r, APIRoute)]
    assert paths == [
        ("/pets", ["POST"]),
        ("/users", ["GET"]),
        ("/pets/mine", ["GET"]),
        ("/pets/{pet_id}", ["GET"]),
        ("/pets/{pet_id}", ["DELETE"]),
    ]
    assert loaded(package) == {"admin", "pets"}
    assert app.url_path_for("get_pet", pet_id="3") == "/pets/3"


def test_routes_added_after_start_stay_behind_the_contracts(package: str) -> None:
    app = make_app(package, pets=Pets())

    @app.get("/pets/special")
    async def special() -> str:
        return "special"

    client = TestClient(app)
    # As in an app built eagerly: the contract's `/pets/{pet_id}` was there first.
    assert client.get("/pets/special").status_code == 422
    assert client.get("/pets/mine").json() == [1, 2]
    assert [getattr(r, "path", "") for r in app.router.routes][-1] == "/pets/special"


def test_the_app_provides_dependency_overrides_to_lazy_routes(package: str) -> None:
    app = make_app(package, pets=Pets())
    TestClient(app).get("/pets/mine")  # imports the router
    module = sys.modules[f"{package}.routers.pets"]
    app.dependency_overrides[module.caller] = lambda: "tester"
    assert TestClient(app).get("/pets/1").json() == {"id": 1, "who": "tester"}


def test_each_app_builds_its_own_routes(package: str) -> None:
    first, second = make_app(package, pets=Pets()), make_app(package)
    assert TestClient(first).get("/pets/1").status_code == 200
    assert TestClient(second).get("/pets/1").status_code == 501


def test_a_mismatching_service_fails_at_start_without_importing_its_router(package: str) -> None:
    class Stale:
        async def get_pet(self, *, pet_id: int) -> None:
            return None

    with pytest.raises(
        ServiceMismatchError, match=r"getPet: Stale.get_pet\(\) does not accept who"
    ):
        make_app(package, pets=Stale())
    assert loaded(package) == set()


def test_a_secured_operation_of_a_lazy_router_needs_a_verifier_at_start(package: str) -> None:
    with pytest.raises(
        ServiceMismatchError, match="deletePet: no verifier for security scheme bearer"
    ):
        build_app(
            contract=CONTRACT,
            package=package,
            tags={
                "admin": Tag(
                    protocol=AdminService,
                    router=".routers.admin",
                    operations=ADMIN_OPERATIONS,
                    service=Admin(),
                )
            },
            verifiers={},
            fastapi_kwargs={},
        )


def test_paths_below_a_root_path_find_their_router(package: str) -> None:
    client = TestClient(make_app(package, admin=Admin()), root_path="/api")
    assert client.get("/api/users").json() == ["ann"]


def test_a_router_that_fails_to_import_answers_a_500_problem(package: str) -> None:
    app = build_app(
        contract=CONTRACT,
        package=package,
        tags={
            "broken": Tag(
                protocol=AdminService,
                router=".routers.broken",
                operations={"list_users": Operation(route="GET /broken", operation_id="x")},
            )
        },
        verifiers={},
        fastapi_kwargs={},
    )
    answer = TestClient(app, raise_server_exceptions=False).get("/broken")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_deferred_body_model_validates_without_pydantic_warnings(package: str) -> None:
    # FastAPI silences pydantic's warning about its `Body()` alias only while it makes the
    # body's adapter; a deferred model's adapter is built when the route is (warnings are
    # errors here: a warning on the first request would answer 500).
    client = TestClient(make_app(package, pets=Pets()))
    assert client.post("/pets", json={"name": "Rex"}).json() == {"name": "Rex"}
    assert client.post("/pets", json={"nom": "Rex"}).status_code == 422


def test_a_deferred_router_declares_without_building() -> None:
    router = DeferredRouter()

    @router.api_route("/x", methods=["GET"], operation_id="getX")
    async def get_x() -> None:
        return None

    assert [(r.path, r.methods, r.operation_id, r.endpoint) for r in router.routes] == [
        ("/x", ("GET",), "getX", get_x)
    ]


def test_an_api_router_given_as_an_object_is_added_at_start() -> None:
    router = APIRouter()

    @router.api_route("/pets/mine", methods=["GET"], operation_id="getMine")
    async def get_mine(request: Request) -> object:
        return await respond(
            call=_mine(), bare=Bare(status=200, media_type="application/json", body_kind="json")
        )

    app = build_app(
        contract=CONTRACT,
        tags={"pets": Tag(protocol=PetsService, router=router)},
        verifiers={},
        fastapi_kwargs={},
    )
    assert [r.path for r in app.router.routes if isinstance(r, APIRoute)] == ["/pets/mine"]
    assert TestClient(app).get("/pets/mine").json() == [3]


async def _mine() -> list[int]:
    return [3]
