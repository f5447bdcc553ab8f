"""The example app over HTTP: parameters, bodies, declared statuses and headers, security, 501."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from example_api import Credential, Principal, ServiceMismatchError, create_app
from example_service.app import DEMO_TOKEN, build_app, verify_bearer
from example_service.services import PetsService
from example_service.store import Store
from specfirst.loader import load_contract

AUTH = {"Authorization": f"Bearer {DEMO_TOKEN}"}
PROBLEM = "application/problem+json"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(build_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def create(client: TestClient, name: str = "Rex", species: str = "dog") -> int:
    response = client.post("/pets", json={"name": name, "species": species}, headers=AUTH)
    assert response.status_code == 201
    pet_id: int = response.json()["id"]
    return pet_id


def test_public_operation_needs_no_credentials(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": "wrong"},
        {"Authorization": "Basic eDp5"},
    ],
)
def test_secured_operation_answers_401_problem(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/pets", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["status"] == 401


def test_either_scheme_is_accepted(client: TestClient) -> None:
    assert client.get("/pets", headers=AUTH).status_code == 200
    assert client.get("/pets", headers={"X-API-Key": "demo-key"}).status_code == 200


def test_operation_restricted_to_bearer_refuses_api_key(client: TestClient) -> None:
    response = client.post(
        "/pets", json={"name": "a", "species": "cat"}, headers={"X-API-Key": "demo-key"}
    )
    assert response.status_code == 401


def test_create_answers_201_with_location_and_read_only_fields(client: TestClient) -> None:
    response = client.post(
        "/pets",
        json={"name": "Rex", "species": "dog", "nickname": None, "microchip": "123"},
        headers=AUTH,
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/pets/{body['id']}"
    assert body == {"id": body["id"], "name": "Rex", "species": "dog", "nickname": None}
    assert "microchip" not in body  # writeOnly never shown


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"name": "Rex"}, ["body", "species"]),
        ({"name": "Rex", "species": "cow"}, ["body", "species"]),
        ({"name": "", "species": "dog"}, ["body", "name"]),
        ({"name": "Rex", "species": "dog", "weightKg": False}, ["body", "weightKg"]),
    ],
)
def test_invalid_body_is_a_422_problem(
    client: TestClient, payload: dict[str, object], where: list[str]
) -> None:
    response = client.post("/pets", json=payload, headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert where in [error["loc"] for error in response.json()["errors"]]


def test_bodies_carry_the_contract_names_both_ways(client: TestClient) -> None:
    created = client.post(
        "/pets", json={"name": "Rex", "species": "dog", "weightKg": 4.5}, headers=AUTH
    )
    assert created.status_code == 201
    pet_id = created.json()["id"]
    shown = client.get(f"/pets/{pet_id}", headers=AUTH).json()
    assert shown["weightKg"] == 4.5  # the service set `weight_kg`; the wire says `weightKg`
    assert "weight_kg" not in shown
    python_name = client.post("/adoptions", json={"pet_id": 1, "adopter": {}}, headers=AUTH)
    assert python_name.status_code == 422
    assert ["body", "petId"] in [error["loc"] for error in python_name.json()["errors"]]


def test_malformed_json_is_a_400_problem(client: TestClient) -> None:
    response = client.post(
        "/pets", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


def test_query_parameters_are_parsed_and_validated(client: TestClient) -> None:
    create(client, "Rex", "dog")
    create(client, "Tom", "cat")
    response = client.get("/pets", params={"species": "dog", "name-contains": "re"}, headers=AUTH)
    assert response.status_code == 200
    assert [pet["name"] for pet in response.json()] == ["Rex"]
    assert response.headers["x-total-count"] == "1"
    assert client.get("/pets", params={"limit": 0}, headers=AUTH).status_code == 422
    assert client.get("/pets", params={"limit": 101}, headers=AUTH).status_code == 422
    assert client.get("/pets", params={"species": "cow"}, headers=AUTH).status_code == 422
    assert client.get("/pets", params={"limit": "x"}, headers=AUTH).status_code == 422


def test_path_parameter_is_parsed_and_validated(client: TestClient) -> None:
    pet_id = create(client)
    response = client.get(f"/pets/{pet_id}", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert client.get("/pets/0", headers=AUTH).status_code == 422
    assert client.get("/pets/abc", headers=AUTH).status_code == 422
    missing = client.get("/pets/999", headers=AUTH)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM


def test_required_header_and_date_query(client: TestClient) -> None:
    create(client)
    ok = client.get(
        "/visits", params={"since": "2024-05-01"}, headers={**AUTH, "X-Clinic-Id": "abc12"}
    )
    assert ok.status_code == 200
    assert ok.json()[0]["date"] == "2024-05-01"
    no_header = client.get("/visits", params={"since": "2024-05-01"}, headers=AUTH)
    assert no_header.status_code == 422
    bad_pattern = client.get(
        "/visits", params={"since": "2024-05-01"}, headers={**AUTH, "X-Clinic-Id": "A"}
    )
    assert bad_pattern.status_code == 422
    for bad in ("yesterday", "0", "1700000000"):  # numbers are not RFC 3339 dates
        bad_date = client.get(
            "/visits", params={"since": bad}, headers={**AUTH, "X-Clinic-Id": "abc12"}
        )
        assert bad_date.status_code == 422, bad


def test_several_2xx_on_one_operation(client: TestClient) -> None:
    pet_id = create(client)
    now = client.put(f"/pets/{pet_id}", json={"name": "Max", "species": "dog"}, headers=AUTH)
    assert (now.status_code, now.json()["name"]) == (200, "Max")
    later = client.put(
        f"/pets/{pet_id}",
        params={"mode": "later"},
        json={"name": "Max", "species": "dog"},
        headers=AUTH,
    )
    assert later.status_code == 202
    assert later.json()["state"] == "queued"


def test_delete_answers_204_without_body(client: TestClient) -> None:
    pet_id = create(client)
    response = client.delete(f"/pets/{pet_id}", headers=AUTH)
    assert (response.status_code, response.content) == (204, b"")
    assert client.delete(f"/pets/{pet_id}", headers=AUTH).status_code == 404


def test_multipart_upload(client: TestClient) -> None:
    pet_id = create(client)
    response = client.post(
        f"/pets/{pet_id}/photos",
        files={"file": ("rex.png", b"\x89PNG1234", "image/png")},
        data={"caption": "Rex at the beach"},
        headers=AUTH,
    )
    assert response.status_code == 201
    assert response.json()["size"] == 8
    assert response.json()["caption"] == "Rex at the beach"
    missing_file = client.post(f"/pets/{pet_id}/photos", data={"caption": "x"}, headers=AUTH)
    assert missing_file.status_code == 422


def test_form_body(client: TestClient) -> None:
    assert (
        client.post("/feedback", data={"rating": "5", "comment": "great"}, headers=AUTH).status_code
        == 204
    )
    assert client.post("/feedback", data={"rating": "9"}, headers=AUTH).status_code == 422
    assert client.post("/feedback", data={"rating": "x"}, headers=AUTH).status_code == 422


def test_discriminated_union_body(client: TestClient) -> None:
    shelter = {"kind": "shelter", "shelterName": "Paws", "capacity": 3}
    response = client.post("/adoptions", json={"petId": 1, "adopter": shelter}, headers=AUTH)
    assert response.status_code == 201
    assert response.json()["adopter"] == shelter
    assert response.json()["petId"] == 1
    assert response.headers["location"].startswith("/adoptions/")
    wrong_tag = client.post(
        "/adoptions", json={"petId": 1, "adopter": {"kind": "alien"}}, headers=AUTH
    )
    assert wrong_tag.status_code == 422


def test_routing_errors_are_problems_with_a_correct_allow(client: TestClient) -> None:
    not_found = client.get("/nowhere")
    assert (not_found.status_code, not_found.headers["content-type"]) == (404, PROBLEM)
    wrong_method = client.patch("/pets/1", headers=AUTH)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == PROBLEM
    assert wrong_method.headers["allow"] == "DELETE, GET, PUT"


def test_served_openapi_is_the_source_contract(client: TestClient) -> None:
    served = client.get("/openapi.json").json()
    assert served == load_contract("specs/example/openapi.yaml").document
    assert client.get("/docs").status_code == 200


def test_unbound_operations_answer_501_problem() -> None:
    with TestClient(create_app()) as unbound:
        response = unbound.get("/health")
        assert response.status_code == 501
        assert response.headers["content-type"] == PROBLEM
        assert "getHealth" in response.json()["detail"]
        assert unbound.get("/pets", headers=AUTH).status_code == 501


def test_verifier_principal_reaches_the_service() -> None:
    seen: list[Principal] = []

    class RecordingPets(PetsService):
        async def list_pets(self, *, principal: Principal, **_: Any) -> Any:
            seen.append(principal)
            return await super().list_pets(principal=principal)

    async def verify(credential: Credential) -> Principal | None:
        return Principal(subject=f"user:{credential.value}", scopes=frozenset({"read"}))

    app = create_app(
        pets=RecordingPets(Store()), verifiers={"bearerAuth": verify, "apiKey": verify}
    )
    with TestClient(app) as test_client:
        assert test_client.get("/pets", headers={"Authorization": "Bearer abc"}).status_code == 200
    assert seen == [Principal(subject="user:abc", scopes=frozenset({"read"}))]


def test_mismatched_service_fails_at_start_up_naming_each_operation() -> None:
    class Stale:
        async def get_health(self, *, verbose: bool) -> Any:  # a parameter the contract lacks
            return None

    with pytest.raises(ServiceMismatchError) as caught:
        create_app(meta=Stale())  # type: ignore[arg-type]
    assert "getHealth" in str(caught.value)
    assert "verbose" in str(caught.value)

    class Partial:
        def list_pets(self, **_: Any) -> Any:  # not async, and the rest missing
            return None

    with pytest.raises(ServiceMismatchError) as caught:
        create_app(pets=Partial(), verifiers={"bearerAuth": verify_bearer})  # type: ignore[arg-type]
    message = str(caught.value)
    assert "listPets" in message
    assert "async" in message
    assert "createPet: Partial has no method create_pet()" in message


def test_bound_service_without_a_verifier_fails_at_start_up() -> None:
    with pytest.raises(ServiceMismatchError, match="no verifier for security scheme"):
        create_app(pets=PetsService(Store()))


def test_unhandled_service_error_is_a_500_problem_without_a_trace() -> None:
    class Broken:
        async def get_health(self) -> object:
            raise RuntimeError("secret internals")

    with TestClient(create_app(meta=Broken()), raise_server_exceptions=False) as test_client:  # type: ignore[arg-type]
        response = test_client.get("/health")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "secret" not in response.text
