"""specfirst.openapi.operations: which operations a document has, and one parameter-merge rule."""

from __future__ import annotations

from typing import Any

from specfirst.openapi import (
    HTTP_METHODS,
    effective_parameters,
    effective_security,
    iter_operations,
    iter_webhooks,
    status_class,
)


def _document(**extra: Any) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "paths": {
            "/pets/{id}": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "description": "path level"},
                    {"name": "X-Trace", "in": "header", "description": "path level"},
                    {"name": "verbose", "in": "query", "description": "path level"},
                ],
                "get": {
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "description": "op level"},
                        {"name": "x-trace", "in": "header", "description": "op level"},
                        {"name": "verbose", "in": "header", "description": "other location"},
                        {"$ref": "#/components/parameters/Limit"},
                    ],
                    "responses": {"200": {"description": "ok"}},
                },
                "delete": {"responses": {"204": {"description": "gone"}}},
                "summary": "not an operation",
            },
            "x-extension": {"get": {"responses": {}}},
        },
        "components": {"parameters": {"Limit": {"name": "limit", "in": "query"}}},
        **extra,
    }


def test_http_methods_are_the_eight_of_openapi() -> None:
    assert HTTP_METHODS == ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def test_operations_in_method_order_and_extensions_skipped() -> None:
    found = [(op.method, op.path, op.pointer) for op in iter_operations(_document())]
    assert found == [
        ("get", "/pets/{id}", "/paths/~1pets~1{id}/get"),
        ("delete", "/pets/{id}", "/paths/~1pets~1{id}/delete"),
    ]


def test_path_item_behind_a_ref_is_followed_and_pointers_name_the_target() -> None:
    document = {
        "paths": {"/a": {"$ref": "#/components/pathItems/A"}},
        "components": {"pathItems": {"A": {"post": {"operationId": "makeA"}}}},
    }
    (op,) = iter_operations(document)
    assert op.pointer == "/components/pathItems/A/post"
    assert op.path_item_pointer == "/components/pathItems/A"
    assert op.label == "POST /a"
    assert op.operation_id == "makeA"


def test_dangling_path_item_yields_nothing() -> None:
    assert list(iter_operations({"paths": {"/a": {"$ref": "#/nowhere"}}})) == []


def test_operation_level_overrides_path_level_by_name_and_location() -> None:
    (get, delete) = iter_operations(_document())
    params = {(p.location, p.name): p for p in effective_parameters(_document(), get)}
    # Same (in, name): the operation's wins, in the path item's position.
    assert params[("path", "id")].node["description"] == "op level"
    assert params[("path", "id")].site == "/paths/~1pets~1{id}/get/parameters/0"
    # Header names compare without case: `x-trace` replaces `X-Trace`.
    assert ("header", "X-Trace") not in params
    assert params[("header", "x-trace")].node["description"] == "op level"
    # Same name, other location: both stay.
    assert params[("query", "verbose")].node["description"] == "path level"
    assert params[("header", "verbose")].node["description"] == "other location"
    order = [(p.location, p.name) for p in effective_parameters(_document(), get)]
    assert order == [
        ("path", "id"),
        ("header", "x-trace"),
        ("query", "verbose"),
        ("header", "verbose"),
        ("query", "limit"),
    ]
    # Without parameters of its own, an operation takes the path item's.
    inherited = effective_parameters(_document(), delete)
    assert [p.node["description"] for p in inherited] == ["path level"] * 3


def test_referenced_parameter_keeps_its_target_pointer_and_its_site() -> None:
    (get, _) = iter_operations(_document())
    limit = effective_parameters(_document(), get)[-1]
    assert limit.pointer == "/components/parameters/Limit"
    assert limit.site == "/paths/~1pets~1{id}/get/parameters/3"
    assert not limit.required


def test_malformed_parameters_are_skipped() -> None:
    document = {
        "paths": {
            "/a": {
                "get": {
                    "parameters": [
                        {"$ref": "#/components/parameters/Missing"},
                        {"name": 3, "in": "query"},
                        {"in": "query"},
                        "junk",
                        {"name": "ok", "in": "query", "required": True},
                    ]
                }
            }
        }
    }
    (op,) = iter_operations(document)
    assert [(p.name, p.required) for p in effective_parameters(document, op)] == [("ok", True)]


def test_security_is_the_operations_own_even_when_empty() -> None:
    document = _document(security=[{"bearer": []}])
    get, delete = iter_operations(document)
    assert effective_security(document, delete) == [{"bearer": []}]
    get.node["security"] = []
    assert effective_security(document, get) == []


def test_status_class() -> None:
    assert [status_class(s) for s in ("200", "4XX", "4xx", "default", "600", "20")] == [
        "2",
        "4",
        "4",
        None,
        None,
        None,
    ]


def test_webhooks_are_operations_named_by_the_webhook() -> None:
    document = {
        "webhooks": {
            "petAdded": {"post": {"security": [{"key": []}]}, "parameters": []},
            "shared": {"$ref": "#/components/pathItems/Hook"},
        },
        "components": {"pathItems": {"Hook": {"put": {}}}},
    }
    found = [(op.path, op.method, op.pointer) for op in iter_webhooks(document)]
    assert found == [
        ("petAdded", "post", "/webhooks/petAdded/post"),
        ("shared", "put", "/components/pathItems/Hook/put"),
    ]
    assert list(iter_operations(document)) == []
