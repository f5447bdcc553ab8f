"""specfirst.openapi.refs: one rule for following `$ref`s, local and across files (via the loader)."""

from __future__ import annotations

from pathlib import Path

import pytest

from specfirst.loader import load_contract
from specfirst.openapi import (
    References,
    RefError,
    component_of,
    component_ref,
    deref,
    effective_parameters,
    enclosing_component,
    iter_operations,
    iter_refs,
    mapping_ref,
    ref_pointer,
    referenced_files,
    resolve,
)

DOCUMENT = {
    "components": {
        "schemas": {
            "Pet": {"type": "object"},
            "Alias": {"$ref": "#/components/schemas/Pet"},
            "Loop": {"$ref": "#/components/schemas/Loop2"},
            "Loop2": {"$ref": "#/components/schemas/Loop"},
            "a/b c": {"type": "string"},
            "Null": None,
        }
    }
}


def test_follow_a_chain_to_its_end() -> None:
    found = References(DOCUMENT).follow({"$ref": "#/components/schemas/Alias"}, "/x")
    assert found is not None
    assert found.node == {"type": "object"}
    assert found.pointer == "/components/schemas/Pet"
    assert found.ref == "#/components/schemas/Pet"
    assert found.component == ("schemas", "Pet")


def test_a_node_that_is_no_ref_is_its_own_target() -> None:
    found = References(DOCUMENT).follow({"type": "string"}, "/here")
    assert found is not None
    assert (found.pointer, found.ref, found.component) == ("/here", None, None)


def test_missing_target_and_loop_raise_with_the_reason() -> None:
    refs = References(DOCUMENT)
    with pytest.raises(RefError) as missing:
        refs.follow({"$ref": "#/components/schemas/Nope"}, "")
    assert missing.value.reason == "$ref target not found"
    with pytest.raises(RefError) as loop:
        refs.follow({"$ref": "#/components/schemas/Loop"}, "")
    assert loop.value.reason == "circular $ref"


def test_escaped_and_percent_encoded_tokens() -> None:
    found = References(DOCUMENT).target("#/components/schemas/a~1b%20c")
    assert found is not None
    assert found.node == {"type": "string"}
    assert found.pointer == "/components/schemas/a~1b c"


def test_a_null_target_exists() -> None:
    found = References(DOCUMENT).target("#/components/schemas/Null")
    assert found is not None
    assert found.node is None


def test_anchors_and_non_local_refs_are_not_followed() -> None:
    refs = References(DOCUMENT)
    assert refs.target("#pet") is None
    assert refs.target("https://example.com/pet.json") is None
    assert refs.follow({"$ref": "#pet"}, "") is None
    assert ref_pointer("#") == ""


def test_lenient_resolve() -> None:
    assert resolve(DOCUMENT, {"$ref": "#/components/schemas/Alias"}, "/x") == (
        {"type": "object"},
        "/components/schemas/Pet",
    )
    assert resolve(DOCUMENT, {"$ref": "#/components/schemas/Loop"}, "/x") == (None, "/x")
    assert resolve(DOCUMENT, {"$ref": "#/missing"}, "/x") == (None, "/x")
    assert deref(DOCUMENT, {"$ref": "#/components/schemas/Pet"}) == {"type": "object"}


def test_component_names_and_refs() -> None:
    assert component_of("#/components/responses/Not%20Found") == ("responses", "Not Found")
    assert component_of("#/components/schemas/Pet/properties/name") is None
    assert component_ref("schemas", "a/b") == "#/components/schemas/a~1b"
    assert mapping_ref("Pet") == "#/components/schemas/Pet"
    assert mapping_ref("#/components/schemas/Cat") == "#/components/schemas/Cat"
    assert mapping_ref("./dog.yaml") == "./dog.yaml"


def test_iter_refs_includes_discriminator_mappings() -> None:
    node = {
        "oneOf": [{"$ref": "#/components/schemas/Cat"}],
        "discriminator": {"propertyName": "kind", "mapping": {"dog": "Dog", "cat": "#/x/Cat"}},
    }
    assert sorted(iter_refs(node)) == [
        "#/components/schemas/Cat",
        "#/components/schemas/Dog",
        "#/x/Cat",
    ]


def test_references_across_files_resolve_and_locate_in_their_file(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "pet.yaml").write_text(
        "Pet:\n  type: object\n  properties:\n    owner:\n      $ref: 'owner.yaml#/Owner'\n"
    )
    (tmp_path / "schemas" / "owner.yaml").write_text("Owner:\n  type: string\n  minLength: 1\n")
    (tmp_path / "params.yaml").write_text("Id:\n  name: id\n  in: path\n  required: true\n")
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.1.0\n"
        "info: {title: t, version: '1'}\n"
        "paths:\n"
        "  /pets/{id}:\n"
        "    parameters:\n"
        "      - $ref: 'params.yaml#/Id'\n"
        "    get:\n"
        "      responses:\n"
        "        '200':\n"
        "          description: ok\n"
        "          content:\n"
        "            application/json:\n"
        "              schema:\n"
        "                $ref: 'schemas/pet.yaml#/Pet'\n"
    )
    contract = load_contract(tmp_path / "api.yaml")
    document = contract.document
    refs = References(document)
    (op,) = iter_operations(document, refs)
    media = op.node["responses"]["200"]["content"]["application/json"]
    pet = refs.follow(media["schema"], op.pointer + "/responses/200/content/x/schema")
    assert pet is not None
    assert pet.component == ("schemas", "Pet")
    owner = refs.follow(pet.node["properties"]["owner"], pet.pointer + "/properties/owner")
    assert owner is not None
    assert owner.node == {"type": "string", "minLength": 1}
    # The source map names the file and line each target was written in.
    pet_at = contract.locate(pet.pointer)
    assert (pet_at.file.name, pet_at.line) == ("pet.yaml", 1)
    owner_at = contract.locate(owner.pointer + "/minLength")
    assert (owner_at.file.name, owner_at.line) == ("owner.yaml", 3)
    (param,) = effective_parameters(document, op, refs)
    assert param.name == "id"
    assert contract.locate(param.pointer).file.name == "params.yaml"
    assert contract.locate(param.site).file.name == "api.yaml"


def test_enclosing_component() -> None:
    assert enclosing_component("#/components/schemas/Pet/properties/name") == ("schemas", "Pet")
    assert enclosing_component("#/components/schemas") is None
    assert enclosing_component("#/paths/~1a") is None


def test_referenced_files() -> None:
    node = {
        "a": {"$ref": "schemas/pet%20s.yaml#/Pet"},
        "b": [{"$ref": "#/local"}, {"$ref": "https://example.com/x.yaml#/X"}],
        "c": {"discriminator": {"mapping": {"dog": "./dog.yaml", "cat": "Cat"}}},
        "d": {"$ref": "whole.json"},
    }
    assert sorted(referenced_files(node)) == ["./dog.yaml", "schemas/pet s.yaml", "whole.json"]
