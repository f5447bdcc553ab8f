from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from specfirst.errors import ContractLoadError
from specfirst.loader import load_contract


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def multi_file(tmp_path: Path) -> Path:
    write(
        tmp_path,
        "schemas/pet.yaml",
        """
        Pet:
          type: object
          properties:
            owner: {$ref: '#/Owner'}
            tag: {$ref: 'tag.yaml'}
        Owner:
          type: object
          properties:
            pets: {type: array, items: {$ref: '#/Pet'}}
        """,
    )
    write(tmp_path, "schemas/tag.yaml", "type: string\nmaxLength: 3\n")
    return write(
        tmp_path,
        "openapi.yaml",
        """
        openapi: 3.1.0
        info: {title: t, version: 2024-01-01}
        paths:
          /pets:
            get:
              operationId: listPets
              responses:
                200:
                  description: ok
                  content:
                    application/json:
                      schema: {$ref: 'schemas/pet.yaml#/Pet'}
        """,
    )


def test_multi_file_refs_are_bundled_into_components(multi_file: Path) -> None:
    contract = load_contract(multi_file)
    schemas = contract.document["components"]["schemas"]
    assert set(schemas) == {"Pet", "Owner", "tag"}
    assert schemas["Pet"]["properties"]["owner"] == {"$ref": "#/components/schemas/Owner"}
    assert schemas["Owner"]["properties"]["pets"]["items"] == {"$ref": "#/components/schemas/Pet"}
    assert len(contract.files) == 3


def test_yaml_values_stay_json_safe(multi_file: Path) -> None:
    document = load_contract(multi_file).document
    assert document["info"]["version"] == "2024-01-01"  # not a date
    assert "200" in document["paths"]["/pets"]["get"]["responses"]  # not an int key


def test_locate_points_into_the_file_where_a_node_was_written(multi_file: Path) -> None:
    contract = load_contract(multi_file)
    where = contract.locate("/components/schemas/Owner/properties/pets")
    assert (where.file.name, where.line) == ("pet.yaml", 9)
    assert contract.locate("/paths/~1pets/get/operationId").line == 6
    assert contract.locate("/components/schemas/tag/maxLength").file.name == "tag.yaml"
    assert contract.locate("/paths/~1pets/get/nope/deeper").line == 5  # nearest existing parent


def test_dangling_ref_in_a_second_file_names_that_file_and_line(multi_file: Path) -> None:
    pet = multi_file.parent / "schemas" / "pet.yaml"
    pet.write_text(pet.read_text().replace("tag.yaml", "missing.yaml"))
    (unresolved,) = load_contract(multi_file).unresolved  # an invalid contract, not unreadable
    assert unresolved.location.file.name == "pet.yaml"
    assert unresolved.location.line == 5
    assert unresolved.pointer == "/Pet/properties/tag/$ref"
    assert "missing.yaml" in unresolved.message


def test_yaml_syntax_error_has_a_position(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "openapi: 3.1.0\ninfo: {title: x\npaths: {}\n")
    with pytest.raises(ContractLoadError) as caught:
        load_contract(path)
    assert caught.value.line == 3
    assert "YAML syntax error" in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ContractLoadError, match="file not found"):
        load_contract(tmp_path / "nope.yaml")


def test_json_contract_and_sha(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "api.json",
        '{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},\n "paths": {}}',
    )
    contract = load_contract(path)
    assert contract.openapi_version == "3.0.3"
    assert len(contract.sha256) == 64
    assert contract.locate("/paths").line == 2


def test_component_that_only_refers_to_another_file_is_filled_in_place(tmp_path: Path) -> None:
    write(tmp_path, "pet.yaml", "Pet:\n  type: object\n  properties: {name: {type: string}}\n")
    root = write(
        tmp_path,
        "openapi.yaml",
        """
        openapi: 3.1.0
        info: {title: t, version: "1"}
        paths: {}
        components:
          schemas:
            Pet: {$ref: 'pet.yaml#/Pet'}
            Owner:
              type: object
              properties: {pet: {$ref: 'pet.yaml#/Pet'}}
        """,
    )
    schemas = load_contract(root).document["components"]["schemas"]
    assert set(schemas) == {"Pet", "Owner"}
    assert schemas["Pet"]["type"] == "object"
    assert schemas["Owner"]["properties"]["pet"] == {"$ref": "#/components/schemas/Pet"}
