"""The typed view model renders to Python source in one place (`source.py`)."""

from __future__ import annotations

import dataclasses

import pytest

from specfirst.generator.build import ViewBuilder, plan_models
from specfirst.generator.source import class_keywords, marker, python_type, return_annotation
from specfirst.generator.viewmodel import (
    ANY,
    NONE,
    Constraint,
    HeaderView,
    ParameterView,
    ResponseView,
    TypeRef,
    list_of,
    literal,
    model,
)


@pytest.mark.parametrize(
    ("ref", "text"),
    [
        (model("Task"), "models.Task"),
        (list_of(model("Task")).or_none(), "list[models.Task] | None"),
        (literal(("asc", "desc")), "Literal['asc', 'desc']"),
        (TypeRef("date", module="datetime").or_none(), "datetime.date | None"),
        (ANY.or_none(), "Any"),  # `Any | None` says nothing more
        (NONE.or_none(), "None"),
    ],
)
def test_types_render_as_python(ref: TypeRef, text: str) -> None:
    assert python_type(ref) == text


def test_modules_can_be_left_off() -> None:
    assert python_type(list_of(model("Task")), frozenset({"models"})) == "list[Task]"


def test_parameter_marker_has_alias_constraints_and_the_date_guard() -> None:
    param = ParameterView(
        wire_name="dueAfter",
        python_name="due_after",
        location="query",
        type=TypeRef("datetime", module="datetime"),
        required=False,
        default=None,
        alias="dueAfter",
        constraints=(Constraint("max_length", 30), Constraint("pattern", "^\\d")),
        iso_text=True,
    )
    assert marker(param) == "ISO_TEXT, Query(alias='dueAfter', max_length=30, pattern='^\\\\d')"


def test_response_class_keywords() -> None:
    response = ResponseView(
        key="201",
        class_name="CreatePet201Response",
        status=201,
        media_type="application/json",
        body_kind="json",
        body=model("Pet"),
        headers=(HeaderView("Location", "location", TypeRef("str"), True),),
    )
    assert class_keywords(response) == (
        "key='201', media_type='application/json', body_kind='json', headers={'location': 'Location'}"
    )


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/pets/{id}": {
            "get": {
                "operationId": "getPet",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"type": "string"}}},
                    },
                    "404": {"$ref": "#/components/responses/NotFound"},
                    "422": {"$ref": "#/components/responses/NotFound"},
                },
            }
        }
    },
    "components": {"responses": {"NotFound": {"description": "gone"}}},
}


def test_view_model_is_immutable_and_typed() -> None:
    api = ViewBuilder(
        DOCUMENT, plan_models(DOCUMENT), set(), package="p", contract_path="", contract_sha256=""
    ).build()
    op = api.operations[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.python_name = "other"  # type: ignore[misc]
    # 422 is the framework's for an operation with input: raisable, not in the return type.
    assert return_annotation(op) == "str | responses.NotFound"
    assert [r.class_name for r in op.raise_only] == ["NotFound422"]
    assert [r.class_name for r in api.responses] == ["NotFound", "NotFound422"]
