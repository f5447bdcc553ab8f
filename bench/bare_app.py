"""The floor of `bench_service.py`: bare FastAPI answering constant JSON of the same shapes as the
Tasks API's task and default page (20 tasks), with no database, no auth and no middleware.

What is left is uvicorn, Starlette routing and FastAPI's own response handling: the cost every
FastAPI service pays before doing any work.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI

_OWNER = "5f0c6f0e-3c1e-4d5e-9d1a-7f1c2b3a4d5e"


def _task(index: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=index + 1)),
        "owner_id": _OWNER,
        "title": f"bench task {index}",
        "description": "A task the service benchmark made.",
        "status": "pending",
        "due_at": "2026-12-31T17:00:00Z",
        "completed_at": None,
        "created_at": "2026-12-01T09:31:00.123456Z",
        "updated_at": "2026-12-01T09:31:00.123456Z",
        "version": 1,
    }


TASK = _task(0)
PAGE = {"items": [_task(i) for i in range(20)], "total": 1000, "limit": 20, "next_cursor": "x" * 80}


def create_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/api/{user_id}/tasks/{task_id}")
    async def get_task(user_id: str, task_id: str) -> dict[str, Any]:
        return TASK

    @app.get("/api/{user_id}/tasks")
    async def list_tasks(user_id: str) -> dict[str, Any]:
        return PAGE

    return app
