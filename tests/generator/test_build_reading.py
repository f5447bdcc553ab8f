"""The view builder reads the contract through specfirst.openapi: shared objects, merged parameters."""

from __future__ import annotations

from typing import Any

from specfirst.generator.build import ViewBuilder, plan_models
from specfirst.generator.source import python_type
from specfirst.generator.viewmodel import ApiView

OBJECT = {"type": "object", "properties": {"x": {"type": "string"}}}


def _view(document: dict[str, Any]) -> ApiView:
    plan = plan_models(document)
    classes = set(plan.class_names.values()) | set(plan.hoisted.values())
    builder = ViewBuilder(
        document, plan, classes, package="p", contract_path="api.yaml", contract_sha256="0"
    )
    return builder.build()


def test_path_items_behind_one_ref_share_their_classes_but_not_their_names() -> None:
    document = {
        "openapi": "3.1.0",
        "paths": {
            "/a": {"$ref": "#/components/pathItems/Shared"},
            "/b": {"$ref": "#/components/pathItems/Shared"},
        },
        "components": {
            "pathItems": {
                "Shared": {
                    "post": {
                        "requestBody": {"content": {"application/json": {"schema": OBJECT}}},
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {"application/json": {"schema": OBJECT}},
                            }
                        },
                    }
                }
            }
        },
    }
    plan = plan_models(document)
    shared = "/components/pathItems/Shared/post"
    assert plan.hoisted == {
        f"{shared}/requestBody/content/application~1json/schema": "PostARequestBody",
        f"{shared}/responses/200/content/application~1json/schema": "PostA200ResponseBody",
    }
    (tag,) = _view(document).tags
    a, b = tag.operations
    assert (a.python_name, b.python_name) == ("post_a", "post_b")
    assert [r.class_name for r in a.responses] == ["PostA200Response"]
    assert [r.class_name for r in b.responses] == ["PostB200Response"]
    assert a.body is not None
    assert b.body is not None
    assert python_type(a.body.type) == python_type(b.body.type) == "models.PostARequestBody"


def test_parameters_follow_the_one_merge_rule() -> None:
    document = {
        "openapi": "3.1.0",
        "paths": {
            "/pets/{petId}": {
                "parameters": [
                    {"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "X-Request-Id", "in": "header", "schema": {"type": "string"}},
                    {"name": "Accept", "in": "header", "schema": {"type": "string"}},
                ],
                "get": {
                    "parameters": [
                        {
                            "name": "petId",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        },
                        {"name": "x-request-id", "in": "header", "schema": {"type": "integer"}},
                        {"name": "unused", "in": "path", "required": True, "schema": {}},
                        {"name": "legacy", "in": "body", "schema": {}},
                    ],
                    "responses": {"204": {"description": "done"}},
                },
            }
        },
    }
    ((operation,),) = [tag.operations for tag in _view(document).tags]
    params = [(p.location, p.wire_name, python_type(p.type)) for p in operation.parameters]
    # The operation's own win by (in, name), header names without case; framework-owned headers,
    # path parameters the template does not name and unknown locations are left out.
    assert params == [("path", "petId", "int"), ("header", "x-request-id", "int")]
    assert operation.route_path == "/pets/{pet_id}"
