"""The example API's services: they implement the generated Protocols of `example_api.services`."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from pydantic import MISSING

from example_api import models, responses, security
from example_service.store import PetRecord, Store


def _problem(status: int, title: str, detail: str) -> models.Problem:
    return models.Problem(type="about:blank", title=title, status=status, detail=detail)


def _to_api(record: PetRecord) -> models.PetResponse:
    pet = models.PetResponse(id=record.id, name=record.name, species=models.Species(record.species))
    if record.nickname_set:
        pet.nickname = record.nickname
    if record.weight_kg is not None:
        pet.weight_kg = record.weight_kg
    return pet


def _apply(record: PetRecord, body: models.PetRequest) -> None:
    record.name = body.name
    record.species = body.species.value
    record.nickname_set = body.nickname is not MISSING
    record.nickname = body.nickname if body.nickname is not MISSING else None
    record.weight_kg = body.weight_kg if body.weight_kg is not MISSING else None
    record.microchip = body.microchip if body.microchip is not MISSING else None


class MetaService:
    async def get_health(self) -> models.GetHealth200ResponseBody:
        return models.GetHealth200ResponseBody(status=models.GetHealth200ResponseBodyStatus.ok)


class PetsService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def list_pets(
        self,
        *,
        principal: security.Principal,
        limit: int = 20,
        offset: int = 0,
        species: models.Species | None = None,
        name_contains: str | None = None,
        x_request_id: str | None = None,
    ) -> responses.ListPets200Response:
        matching = [
            record
            for record in self.store.pets.values()
            if (species is None or record.species == species.value)
            and (name_contains is None or name_contains.lower() in record.name.lower())
        ]
        page = [_to_api(record) for record in matching[offset : offset + limit]]
        return responses.ListPets200Response(body=page, x_total_count=len(matching))

    async def create_pet(
        self, *, body: models.PetRequest, principal: security.Principal
    ) -> responses.CreatePet201Response:
        record = PetRecord(next(self.store.ids), "", "cat", None, False, None, None)
        _apply(record, body)
        self.store.pets[record.id] = record
        return responses.CreatePet201Response(body=_to_api(record), location=f"/pets/{record.id}")

    async def get_pet(
        self, *, pet_id: int, principal: security.Principal, clinic_session: str | None = None
    ) -> responses.GetPet200Response | responses.NotFound:
        record = self.store.pets.get(pet_id)
        if record is None:
            return responses.NotFound(body=_problem(404, "Not Found", f"No pet {pet_id}."))
        return responses.GetPet200Response(body=_to_api(record), etag=f'"{record.version}"')

    async def update_pet(
        self,
        *,
        pet_id: int,
        body: models.PetRequest,
        principal: security.Principal,
        mode: Literal["now", "later"] = "now",
    ) -> models.PetResponse | responses.UpdatePet202Response | responses.NotFound:
        record = self.store.pets.get(pet_id)
        if record is None:
            return responses.NotFound(body=_problem(404, "Not Found", f"No pet {pet_id}."))
        if mode == "later":
            job = models.Job(id=str(uuid.uuid4()), state=models.JobState.queued)
            return responses.UpdatePet202Response(body=job)
        _apply(record, body)
        record.version += 1
        return _to_api(record)

    async def delete_pet(
        self, *, pet_id: int, principal: security.Principal
    ) -> responses.NotFound | None:
        if self.store.pets.pop(pet_id, None) is None:
            return responses.NotFound(body=_problem(404, "Not Found", f"No pet {pet_id}."))
        return None

    async def upload_photo(
        self, *, pet_id: int, body: models.UploadPhotoRequestBody, principal: security.Principal
    ) -> models.Photo | responses.NotFound:
        if pet_id not in self.store.pets:
            return responses.NotFound(body=_problem(404, "Not Found", f"No pet {pet_id}."))
        photo_id = uuid.uuid4().hex
        caption = body.caption if body.caption is not MISSING else None
        self.store.photos[photo_id] = (pet_id, len(body.file), caption)
        photo = models.Photo(id=photo_id, pet_id=pet_id, size=len(body.file))
        if caption is not None:
            photo.caption = caption
        return photo


class ClinicService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def list_visits(
        self,
        *,
        since: datetime.date,
        x_clinic_id: str,
        principal: security.Principal,
        limit: int = 50,
    ) -> list[models.Visit]:
        return [
            models.Visit(pet_id=pet_id, date=since, reason=f"check-up at {x_clinic_id}")
            for pet_id in sorted(self.store.pets)[:limit]
        ]

    async def create_adoption(
        self, *, body: models.AdoptionRequest, principal: security.Principal
    ) -> responses.CreateAdoption201Response:
        adoption_id = uuid.uuid4().hex
        self.store.adoptions[adoption_id] = body.pet_id
        adoption = models.Adoption(id=adoption_id, pet_id=body.pet_id, adopter=body.adopter)
        return responses.CreateAdoption201Response(
            body=adoption, location=f"/adoptions/{adoption_id}"
        )

    async def send_feedback(
        self, *, body: models.SendFeedbackRequestBody, principal: security.Principal
    ) -> None:
        self.store.feedback.append(
            (body.rating, body.comment if body.comment is not MISSING else None)
        )
