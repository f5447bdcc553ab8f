"""The example app: generated routes, hand-written services and verifiers.

Run it with `uv run --frozen uvicorn example_service.app:app` (or `make run-example`). The demo
credentials are `Authorization: Bearer demo-token` or `X-API-Key: demo-key`.
"""

from __future__ import annotations

from fastapi import FastAPI

from example_api import Credential, Principal, create_app
from example_service.services import ClinicService, MetaService, PetsService
from example_service.store import Store

DEMO_TOKEN = "demo-token"
DEMO_API_KEY = "demo-key"


async def verify_bearer(credential: Credential) -> Principal | None:
    return Principal(subject="demo-user") if credential.value == DEMO_TOKEN else None


async def verify_api_key(credential: Credential) -> Principal | None:
    return Principal(subject="demo-key-user") if credential.value == DEMO_API_KEY else None


def build_app(store: Store | None = None) -> FastAPI:
    store = store or Store()
    return create_app(
        pets=PetsService(store),
        clinic=ClinicService(store),
        meta=MetaService(),
        verifiers={"bearerAuth": verify_bearer, "apiKey": verify_api_key},
    )


app = build_app()
