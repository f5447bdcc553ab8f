"""String keywords hold under every format, over HTTP (golden package `string_formats_api`).

datamodel-code-generator writes `format: uri` as a bare `AnyUrl` (and `uuid`, `date`, `ipv4`,
`password`... likewise) without the contract's minLength/maxLength/pattern; the generator keeps
them (`generator/string_keywords.py`, `_runtime.StringKeywords`). Each case sends one body or
parameter just inside and just outside one keyword of one format.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from specfirst.generator.string_keywords import move_keywords, restore_keywords

EXPECTED = Path(__file__).resolve().parents[1] / "golden" / "expected"
VALID = {"url": "https://example.com/a"}


class Echo:
    async def create_link(self, *, body: Any, trace: Any = None, since: Any = None) -> Any:
        return body


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    sys.path.insert(0, str(EXPECTED))
    try:
        module = importlib.import_module("string_formats_api")
        with TestClient(module.create_app(default=Echo())) as test_client:
            yield test_client
    finally:
        sys.path.remove(str(EXPECTED))


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("url", "https://example.com/" + "a" * 20, "https://example.com/" + "a" * 21),  # maxLength
        ("host", "api.example.com", "API.example.com"),  # pattern next to format's own
        ("owner", "ann@example.com", "ann.longname@example.com"),  # maxLength on EmailStr
        ("id", "0f6c1a52-3b3c-4f57-9a43-4f2a4c4a9e11", "1f6c1a52-3b3c-4f57-9a43-4f2a4c4a9e11"),
        ("at", "2026-12-01T10:00:00Z", "2026-12-01T10:00Z"),  # minLength
        ("day", "2026-12-01", "1999-12-01"),  # pattern through a $ref'd component
        ("address", "10.0.0.1", "192.168.0.1"),
        ("secret", "hunter", "Hunter"),
    ],
)
def test_body_keywords_hold(client: TestClient, field: str, good: str, bad: str) -> None:
    accepted = client.post("/links", json={**VALID, field: good})
    assert accepted.status_code == 201, accepted.text
    refused = client.post("/links", json={**VALID, field: bad})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"


def test_null_stays_allowed_where_the_contract_allows_it(client: TestClient) -> None:
    assert client.post("/links", json={**VALID, "id": None}).status_code == 201


def test_the_format_still_holds(client: TestClient) -> None:
    assert client.post("/links", json={"url": "not a url"}).status_code == 422
    assert client.post("/links", json={**VALID, "id": "0-not-a-uuid"}).status_code == 422


@pytest.mark.parametrize(
    ("where", "good", "bad"),
    [
        (
            {"headers": "trace"},
            "0f6c1a52-3b3c-4f57-9a43-4f2a4c4a9e11",
            "0F6C1A52-3B3C-4F57-9A43-4F2A4C4A9E11",
        ),
        ({"params": "since"}, "2026-01-02", "1999-01-02"),
    ],
)
def test_parameter_keywords_hold(
    client: TestClient, where: dict[str, str], good: str, bad: str
) -> None:
    ((kind, name),) = where.items()
    accepted = client.post("/links", json=VALID, **{kind: {name: good}})
    assert accepted.status_code == 201, accepted.text
    refused = client.post("/links", json=VALID, **{kind: {name: bad}})
    assert refused.status_code == 422, refused.text


def test_keywords_move_only_off_special_formats() -> None:
    document = {
        "a": {"type": "string", "format": "uri", "maxLength": 5},
        "b": {"type": "string", "format": "uri-reference", "maxLength": 5},
        "c": {"type": "string", "maxLength": 5},
        "d": {"type": "integer", "format": "date-time", "maximum": 5},
    }
    moved = {name: move_keywords(schema) for name, schema in document.items()}
    assert moved["a"] == {
        "type": "string",
        "format": "uri",
        "x-specfirst-string": {"max_length": 5},
    }
    assert moved["b"] is document["b"]
    assert moved["c"] is document["c"]
    assert moved["d"] is document["d"]
    assert document["a"]["maxLength"] == 5  # the input is left as it was


def test_restore_keeps_other_field_arguments() -> None:
    line = (
        "    a: Annotated[AnyUrl, Field(description='x{2}', "
        "json_schema_extra={'x-specfirst-string': {'pattern': '^a{1,2}$'}}, alias='A')]"
    )
    restored = restore_keywords("from pydantic import Field\n" + line)
    assert (
        "Annotated[AnyUrl, Field(description='x{2}', alias='A'), "
        "StringKeywords(pattern='^a{1,2}$')]" in restored
    )
    assert "from specfirst_runtime.values import StringKeywords" in restored
