"""specfirst.openapi.schemas: where schemas stand, and the types a schema names."""

from __future__ import annotations

from typing import Any

from specfirst.openapi import (
    flatten_all_of,
    is_json_media,
    iter_media_schemas,
    iter_schemas,
    schema_types,
)

DOCUMENT: dict[str, Any] = {
    "paths": {
        "/pets": {
            "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
            "post": {
                "parameters": [{"$ref": "#/components/parameters/Limit"}],
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                    }
                },
                "responses": {
                    "201": {"$ref": "#/components/responses/Created"},
                    "400": {"$ref": "#/components/responses/Created"},
                },
                "callbacks": {
                    "done": {
                        "{$request.body#/url}": {
                            "post": {
                                "requestBody": {
                                    "content": {"text/plain": {"schema": {"type": "string"}}}
                                }
                            }
                        }
                    }
                },
            },
        },
        "x-ignored": {"get": {"parameters": [{"name": "z", "in": "query", "schema": {}}]}},
    },
    "webhooks": {
        "petAdded": {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}
            }
        }
    },
    "components": {
        "schemas": {"Pet": {"type": "object"}},
        "parameters": {"Limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}},
        "responses": {
            "Created": {
                "description": "created",
                "headers": {"Location": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": {"type": "array"}}},
            }
        },
    },
}


def test_every_slot_schema_once_with_its_role() -> None:
    found = [(site.role, site.pointer) for site in iter_schemas(DOCUMENT)]
    assert found == [
        ("component", "/components/schemas/Pet"),
        ("parameter", "/components/parameters/Limit/schema"),
        ("header", "/components/responses/Created/headers/Location/schema"),
        ("response", "/components/responses/Created/content/application~1json/schema"),
        ("parameter", "/paths/~1pets/parameters/0/schema"),
        ("request-body", "/paths/~1pets/post/requestBody/content/application~1json/schema"),
        (
            "request-body",
            "/paths/~1pets/post/callbacks/done/{$request.body#~1url}/post/requestBody/content/text~1plain/schema",
        ),
        ("request-body", "/webhooks/petAdded/post/requestBody/content/application~1json/schema"),
    ]
    body = next(s for s in iter_schemas(DOCUMENT) if s.role == "request-body")
    assert body.node == {"$ref": "#/components/schemas/Pet"}  # the schema as written
    assert body.owner == "/paths/~1pets/post/requestBody/content/application~1json"


def test_schema_types() -> None:
    assert schema_types({"type": "string"}).names == ("string",)
    three_oh = schema_types({"type": "integer", "nullable": True})
    assert (three_oh.names, three_oh.nullable, three_oh.declared) == (
        ("integer",),
        True,
        frozenset({"integer", "null"}),
    )
    three_one = schema_types({"type": ["null", "string"]})
    assert (three_one.names, three_one.nullable) == (("string",), True)
    untyped = schema_types({"nullable": True})
    assert untyped.any
    assert untyped.nullable
    assert untyped.names == ()
    assert schema_types({"type": "null"}).declared == frozenset({"null"})
    assert not schema_types({"type": "object", "nullable": "yes"}).nullable


def test_json_media() -> None:
    assert [
        is_json_media(m)
        for m in (
            "application/json; charset=utf-8",
            "application/problem+json",
            "*/*",
            "text/plain",
        )
    ] == [True, True, True, False]


def test_media_schemas_and_flat_all_of() -> None:
    document = {
        "components": {
            "schemas": {
                "Base": {"type": "object", "properties": {"id": {}}, "required": ["id"]},
                "Pet": {
                    "allOf": [{"$ref": "#/components/schemas/Base"}, {"properties": {"name": {}}}]
                },
            }
        }
    }
    content = {
        "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}},
        "text/plain": {},
    }
    ((media, schema, pointer),) = iter_media_schemas(document, content, "/c")
    assert (media, pointer) == ("application/json", "/components/schemas/Pet")
    flat = flatten_all_of(document, schema)
    assert (flat["type"], sorted(flat["properties"]), flat["required"]) == (
        "object",
        ["id", "name"],
        ["id"],
    )
