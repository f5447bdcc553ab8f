"""`ContractModel`: the wire is read by the contract's names only, Python builds by field names."""

from __future__ import annotations

import json
from typing import Annotated, Any, cast

import pytest
from fastapi import Body, FastAPI
from fastapi.testclient import TestClient
from pydantic import MISSING, ConfigDict, Field, TypeAdapter, ValidationError
from specfirst_runtime.models import ContractModel
from specfirst_runtime.responses import Bare, to_response


class Pet(ContractModel):
    model_config = ConfigDict(extra="forbid")
    weight_kg: Annotated[float, Field(alias="weightKg")]
    # `fooBar` took the snake_case name; the wire's own `foo_bar` became `foo_bar_1`
    foo_bar: Annotated[str | MISSING, Field(alias="fooBar")] = MISSING
    foo_bar_1: Annotated[str | MISSING, Field(alias="foo_bar")] = MISSING


class Owner(ContractModel):
    pets: list[Pet]


def test_a_model_is_built_on_first_use_not_when_its_class_is_made() -> None:
    class Deferred(ContractModel):
        name: Annotated[str, Field(alias="fullName")]

    assert not Deferred.__pydantic_complete__  # defer_build: nothing built at import
    assert Deferred(name="Rex").name == "Rex"  # construction by Python name builds it
    assert Deferred.__pydantic_complete__
    assert Deferred.model_validate({"fullName": "Rex"}).name == "Rex"


def test_wire_data_is_read_by_the_contract_names_only() -> None:
    assert Pet.model_validate({"weightKg": 4}).weight_kg == 4
    assert TypeAdapter(Pet).validate_python({"weightKg": 4}).weight_kg == 4
    with pytest.raises(ValidationError, match="weightKg"):
        Pet.model_validate({"weight_kg": 4})  # the Python name is no wire name


def test_a_wire_key_fills_the_one_field_it_names() -> None:
    pet = Pet.model_validate({"weightKg": 1, "foo_bar": "wire"})
    assert pet.foo_bar_1 == "wire"
    assert pet.foo_bar is MISSING


def test_python_code_constructs_by_field_names() -> None:
    pet = Pet(weight_kg=1.5, foo_bar="a", foo_bar_1="b")
    assert (pet.weight_kg, pet.foo_bar, pet.foo_bar_1) == (1.5, "a", "b")
    owner = Owner(pets=[pet])
    assert owner.pets == [pet]
    with pytest.raises(ValidationError):
        Pet(**cast(Any, {"weightKg": 1.5}))  # wire names are for the wire


def test_responses_carry_the_wire_names() -> None:
    owner = Owner(pets=[Pet(weight_kg=2, foo_bar="a", foo_bar_1="b")])
    response = to_response(owner, Bare(status=200, media_type="application/json", body_kind="json"))
    assert json.loads(bytes(response.body)) == {
        "pets": [{"weightKg": 2.0, "fooBar": "a", "foo_bar": "b"}]
    }


# A plain FastAPI route (not a generated router) builds a deferred model's body adapter on the
# first request, where pydantic warns about the alias FastAPI itself gives the body (it silences
# that only while it makes the adapter); generated routers build it with the route instead
# (tests/runtime/test_routing.py). The warning is harmless: the alias is FastAPI's own.
@pytest.mark.filterwarnings("ignore::pydantic.warnings.UnsupportedFieldAttributeWarning")
def test_fastapi_bodies_are_read_by_the_contract_names() -> None:
    app = FastAPI()

    @app.post("/pets")
    async def create(body: Annotated[Pet, Body()]) -> float:
        return body.weight_kg

    with TestClient(app) as client:
        assert client.post("/pets", json={"weightKg": 3}).json() == 3
        refused = client.post("/pets", json={"weight_kg": 3})
    assert refused.status_code == 422
    assert ["body", "weightKg"] in [error["loc"] for error in refused.json()["detail"]]
