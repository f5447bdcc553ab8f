"""The start-up conformance check reads the Protocols; docs are served from local files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Protocol

import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient
from specfirst_runtime.app import ServiceMismatchError, Tag, build_app, check_services
from specfirst_runtime.docs import DOCS_CSP, REDOC_CSP
from specfirst_runtime.responses import respond
from specfirst_runtime.security import Principal, Requirement, Scheme

SCHEMES = {"bearer": Scheme(name="bearer", kind="bearer")}
bearer = Requirement(schemes=SCHEMES, alternatives=[{"bearer": []}])


class PetsService(Protocol):
    async def get_pet(self, *, pet_id: int, principal: Principal) -> dict[str, int]: ...


router = APIRouter()


@router.api_route("/pets/{pet_id}", methods=["GET"], operation_id="getPet")
async def get_pet(
    request: Request, pet_id: int, principal: Annotated[Principal, Depends(bearer)]
) -> object:
    service: PetsService = request.app.state.specfirst_services["pets"]
    return await respond(call=service.get_pet(pet_id=pet_id, principal=principal))


class Good:
    async def get_pet(self, *, pet_id: int, principal: Principal) -> dict[str, int]:
        return {"id": pet_id}


class Wrong:
    def get_pet(self, *, pet_id: int, principal: Principal) -> dict[str, int]:
        return {"id": pet_id}


class Stale:
    async def get_pet(self, *, pet_id: int, principal: Principal, verbose: bool) -> None:
        return None


async def verify(credential: object) -> Principal:
    return Principal(subject="me")


CONTRACT = {"openapi": "3.1.0", "info": {"title": "Pets", "version": "1"}, "paths": {}}


def test_a_matching_service_passes() -> None:
    check_services(
        {"pets": Tag(protocol=PetsService, router=router, service=Good())}, {"bearer": verify}
    )


@pytest.mark.parametrize(
    ("service", "message"),
    [
        (object(), "getPet: object has no method get_pet()"),
        (Wrong(), "getPet: Wrong.get_pet() must be `async def`"),
        (Stale(), "getPet: Stale.get_pet() requires verbose"),
    ],
)
def test_mismatches_name_the_operation(service: object, message: str) -> None:
    tags = {"pets": Tag(protocol=PetsService, router=router, service=service)}
    with pytest.raises(ServiceMismatchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_services(tags, {"bearer": verify})


def test_a_secured_operation_needs_a_verifier_for_its_scheme() -> None:
    tags = {"pets": Tag(protocol=PetsService, router=router, service=Good())}
    with pytest.raises(
        ServiceMismatchError, match="getPet: no verifier for security scheme bearer"
    ):
        check_services(tags, {})


def test_unbound_tags_are_not_checked() -> None:
    check_services({"pets": Tag(protocol=PetsService, router=router)}, {})


@pytest.fixture
def client() -> TestClient:
    app = build_app(
        contract=CONTRACT,
        tags={"pets": Tag(protocol=PetsService, router=router, service=Good())},
        verifiers={"bearer": verify},
        fastapi_kwargs={},
    )
    return TestClient(app)


def test_docs_pages_load_only_local_assets_under_a_strict_policy(client: TestClient) -> None:
    for url, policy in (("/docs", DOCS_CSP), ("/redoc", REDOC_CSP)):
        page = client.get(url)
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == policy
        assert "charset=utf-8" in page.headers["content-type"]
        assert "http://" not in page.text
        assert "https://" not in page.text
        for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/redoc.standalone.js"):
            if asset.rsplit("/", 1)[1].split(".")[0] in page.text:
                assert client.get(asset).status_code == 200
    assert client.get("/docs/assets/swagger-init.js").status_code == 200
    assert client.get("/docs/assets/nothing.js").status_code == 404
    assert "fonts.googleapis" not in client.get("/redoc").text


def test_docs_can_be_turned_off() -> None:
    app = build_app(
        contract=CONTRACT,
        tags={},
        verifiers={},
        fastapi_kwargs={"docs_url": None, "redoc_url": None},
    )
    with TestClient(app) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404


def test_served_contract_is_the_given_document(client: TestClient) -> None:
    assert client.get("/openapi.json").json() == CONTRACT


def test_contract_is_read_as_package_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from specfirst_runtime.app import load_contract

    package = tmp_path / "pets_api"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "openapi.json").write_text(json.dumps(CONTRACT))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_contract(package="pets_api") == CONTRACT
