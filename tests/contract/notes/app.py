"""A throwaway app that keeps `openapi.yaml` next to it, unless told to break it.

The contract-test harness's own tests run against this app: clean, it must give zero findings;
with `NOTES_DEFECTS` (comma-separated names below) it plants one known defect each, so the tests
can assert that `specfirst contract-test` reports every one of them. State lives in memory.

Defects, each on one operation:
- `undocumented-status`: deleteNote answers 200 with a body instead of 204.
- `wrong-type`: getStats returns `count` as a string.
- `plain-text-error`: getNote's 404 is `text/plain`.
- `ignores-auth`: listNotes answers without credentials.
- `server-error`: createNote crashes (500) on a text longer than 5 characters.
- `leaky-error`: the 500 carries a Python traceback and SQL.
- `no-security-headers`, `no-request-id`: every response lacks them.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from starlette.exceptions import HTTPException

PROBLEM = "application/problem+json"
Text = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class RegisterBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    # Syntax only: email-validator (EmailStr) refuses reserved domains such as `.test`, which
    # JSON Schema's `format: email` allows and Schemathesis generates.
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
    password: Annotated[str, StringConstraints(min_length=12, max_length=128)]


class TokenForm(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    grant_type: Literal["password"]
    username: Annotated[str, StringConstraints(min_length=1, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class RefreshBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=512)]


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: Text


class Limit(BaseModel):
    limit: int = Field(default=10, ge=1, le=50)


class NoteId(BaseModel):
    note_id: int = Field(ge=1, le=1_000_000)


class ProblemError(Exception):
    def __init__(self, status: int, title: str, headers: dict[str, str] | None = None) -> None:
        self.status, self.title, self.headers = status, title, headers or {}


def problem(status: int, title: str, headers: dict[str, str] | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


class Store:
    def __init__(self) -> None:
        self.accounts: dict[str, tuple[str, str]] = {}  # email -> (id, password)
        self.access: dict[str, str] = {}  # token -> account id
        self.refresh: dict[str, str] = {}
        self.notes: dict[int, tuple[str, str]] = {}  # id -> (owner, text)
        self.next_id = 1

    def issue(self, account: str) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access[access] = account
        self.refresh[refresh] = account
        return {
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": 900,
        }


async def json_body(request: Request, model: type[BaseModel]) -> Any:
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ProblemError(400, "Bad Request") from None
    try:
        return model.model_validate(data)
    except ValidationError:
        raise ProblemError(422, "Unprocessable Content") from None


def validated(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError:
        raise ProblemError(422, "Unprocessable Content") from None


def create_app() -> FastAPI:
    defects = {d.strip() for d in os.environ.get("NOTES_DEFECTS", "").split(",") if d.strip()}
    store = Store()
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    def caller(request: Request) -> str:
        kind, _, token = request.headers.get("authorization", "").partition(" ")
        account = store.access.get(token.strip()) if kind.lower() == "bearer" else None
        if account is None:
            raise ProblemError(401, "Unauthorized", {"WWW-Authenticate": "Bearer"})
        return account

    @app.exception_handler(ProblemError)
    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return problem(exc.status, exc.title, exc.headers)

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed(request.url.path))
        return problem(exc.status_code, str(exc.detail), headers)

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> Response:
        if "leaky-error" in defects:
            return JSONResponse(
                {
                    "title": "Internal Server Error",
                    "status": 500,
                    "detail": 'Traceback (most recent call last):\n  File "app.py", line 1\n'
                    "sqlalchemy.exc.OperationalError: SELECT * FROM notes WHERE id = 1",
                },
                status_code=500,
                media_type=PROBLEM,
            )
        return problem(500, "Internal Server Error")

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Any:
        try:
            response = await call_next(request)
        except Exception as exc:
            response = await on_crash(request, exc)
        if "no-security-headers" not in defects:
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Content-Security-Policy"] = "default-src 'none'"
            response.headers["Referrer-Policy"] = "no-referrer"
        if "no-request-id" not in defects:
            response.headers["X-Request-ID"] = request.headers.get("x-request-id") or str(
                uuid.uuid4()
            )
        return response

    def allowed(path: str) -> list[str]:
        if path.startswith("/notes/"):
            return ["DELETE", "GET"]
        return {"/notes": ["GET", "POST"], "/readyz": ["GET"], "/stats": ["GET"]}.get(
            path, ["POST"]
        )

    @app.post("/auth/register")
    async def register(request: Request) -> Response:
        body = await json_body(request, RegisterBody)
        email = body.email.lower()
        if email in store.accounts:
            raise ProblemError(409, "Conflict")
        account = str(uuid.uuid4())
        store.accounts[email] = (account, body.password)
        return JSONResponse({"id": account, "email": email}, status_code=201)

    @app.post("/auth/token")
    async def token(request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0] != (
            "application/x-www-form-urlencoded"
        ):
            raise ProblemError(400, "Bad Request")
        form = await request.form()
        if any(len(form.getlist(key)) > 1 for key in form):
            raise ProblemError(422, "Unprocessable Content")
        data = validated(TokenForm, dict(form))
        known = store.accounts.get(data.username.lower())
        if known is None or known[1] != data.password:
            raise ProblemError(401, "Unauthorized", {"WWW-Authenticate": "Bearer"})
        return JSONResponse(store.issue(known[0]))

    @app.post("/auth/refresh")
    async def refresh(request: Request) -> Response:
        body = await json_body(request, RefreshBody)
        account = store.refresh.pop(body.refresh_token, None)
        if account is None:
            raise ProblemError(401, "Unauthorized", {"WWW-Authenticate": "Bearer"})
        return JSONResponse(store.issue(account))

    @app.get("/readyz")
    async def readyz() -> Response:
        return JSONResponse({"status": "ok"})

    @app.get("/notes")
    async def list_notes(request: Request) -> Response:
        owner = None if "ignores-auth" in defects else caller(request)
        limit = validated(Limit, dict(request.query_params)).limit
        items = [
            {"id": k, "text": text}
            for k, (who, text) in store.notes.items()
            if owner is None or who == owner
        ]
        return JSONResponse(items[:limit])

    @app.post("/notes")
    async def create_note(request: Request) -> Response:
        owner = caller(request)
        body = await json_body(request, NoteBody)
        if "server-error" in defects and len(body.text) > 5:
            raise RuntimeError("the text column is only 5 characters wide")
        note_id = store.next_id
        store.next_id += 1
        store.notes[note_id] = (owner, body.text)
        return JSONResponse(
            {"id": note_id, "text": body.text},
            status_code=201,
            headers={"Location": f"/notes/{note_id}"},
        )

    def own_note(request: Request, raw_id: str) -> tuple[int, str]:
        owner = caller(request)
        note_id = validated(NoteId, {"note_id": raw_id}).note_id
        found = store.notes.get(note_id)
        if found is None or found[0] != owner:
            if "plain-text-error" in defects:
                raise LookupError
            raise ProblemError(404, "Not Found")
        return note_id, found[1]

    @app.exception_handler(LookupError)
    async def on_lookup(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("no such note", status_code=404)

    @app.get("/notes/{note_id}")
    async def get_note(request: Request, note_id: str) -> Response:
        found, text = own_note(request, note_id)
        return JSONResponse({"id": found, "text": text})

    @app.delete("/notes/{note_id}")
    async def delete_note(request: Request, note_id: str) -> Response:
        found, _ = own_note(request, note_id)
        del store.notes[found]
        if "undocumented-status" in defects:
            return JSONResponse({"deleted": found})
        return Response(status_code=204)

    @app.get("/stats")
    async def stats(request: Request) -> Response:
        owner = caller(request)
        count = sum(1 for who, _ in store.notes.values() if who == owner)
        return JSONResponse({"count": str(count) if "wrong-type" in defects else count})

    return app
