"""The cache of `default` verdicts (`validation/cache.py`): with it, every run reports what a run
without it reports, after any edit; the file is bounded, written atomically, and ignored when
corrupted."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from specfirst.loader import load_contract
from specfirst.validation import cache as cache_module
from specfirst.validation import schema_checks, validate_contract

FIXTURES = Path(__file__).parent / "fixtures"

BASE: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Defaults", "version": "1"},
    "paths": {
        "/tasks": {
            "get": {
                "operationId": "listTasks",
                "parameters": [
                    {
                        "name": "level",
                        "in": "query",
                        "schema": {
                            "allOf": [{"$ref": "#/components/schemas/Level"}],
                            "default": "low",
                        },
                    },
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 10}},
                ],
                "responses": {
                    "200": {
                        "description": "Tasks",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Task"},
                                }
                            }
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Level": {"type": "string", "enum": ["low", "high"]},
            "Levels": {"$ref": "#/components/schemas/Level"},
            "Task": {
                "type": "object",
                "properties": {
                    "level": {"allOf": [{"$ref": "#/components/schemas/Levels"}], "default": "low"},
                    "size": {"type": "integer", "minimum": 1, "default": 3},
                    "tags": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Level"},
                        "default": ["high"],
                    },
                    "owner": {"$ref": "#/components/schemas/Owner"},
                },
            },
            "Owner": {
                "type": "object",
                "properties": {"name": {"type": "string", "default": "nobody", "maxLength": 10}},
                "default": {"name": "root"},
            },
        }
    },
}


def _write(folder: Path, document: dict[str, Any]) -> Path:
    path = folder / "openapi.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def _issues(path: Path, state: Path | None) -> list[str]:
    return [str(issue) for issue in validate_contract(load_contract(path), state)]


def _entries(state: Path) -> dict[str, Any]:
    data = json.loads((state / cache_module.FILE_NAME).read_text(encoding="utf-8"))
    entries: dict[str, Any] = data["entries"]
    return entries


def _level_enum(document: dict[str, Any]) -> None:
    """Makes every `low` default invalid, through refs only: no schema that has a default changes."""
    document["components"]["schemas"]["Level"]["enum"] = ["medium", "high"]


def _size_minimum(document: dict[str, Any]) -> None:
    document["components"]["schemas"]["Task"]["properties"]["size"]["minimum"] = 5


def _owner_length(document: dict[str, Any]) -> None:
    document["components"]["schemas"]["Owner"]["properties"]["name"]["maxLength"] = 3


def _levels_retarget(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    schemas["Other"] = {"type": "integer"}
    schemas["Levels"] = {"$ref": "#/components/schemas/Other"}


def _dangling(document: dict[str, Any]) -> None:
    document["components"]["schemas"]["Levels"] = {"$ref": "#/components/schemas/Gone"}


def _description(document: dict[str, Any]) -> None:
    document["components"]["schemas"]["Task"]["description"] = "edited"


def _restore(document: dict[str, Any]) -> None:
    document.clear()
    document.update(copy.deepcopy(BASE))


EDITS: list[Callable[[dict[str, Any]], None]] = [
    _description,
    _level_enum,
    _restore,
    _size_minimum,
    _owner_length,
    _restore,
    _levels_retarget,
    _dangling,
    _restore,
]


def test_a_default_made_invalid_through_a_referenced_schema_is_reported(tmp_path: Path) -> None:
    state = tmp_path / "state"
    document = copy.deepcopy(BASE)
    path = _write(tmp_path, document)
    assert _issues(path, state) == _issues(path, None) == []
    assert _entries(state)  # the verdicts were kept

    _level_enum(document)
    _write(tmp_path, document)
    warm = _issues(path, state)
    assert warm == _issues(path, None)
    assert [issue.split(": ", 2)[1] for issue in warm] == [
        "/paths/~1tasks/get/parameters/0/schema/default",
        "/components/schemas/Task/properties/level/default",
    ]
    assert all("'low' is not one of ['medium', 'high']" in issue for issue in warm)


def test_a_key_without_what_refs_reach_would_give_a_stale_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above can fail: keyed on the schema's own text only, the cache would keep saying
    the `low` defaults are valid."""
    monkeypatch.setattr(schema_checks, "_reaches", lambda value: [])
    state = tmp_path / "state"
    document = copy.deepcopy(BASE)
    path = _write(tmp_path, document)
    assert _issues(path, state) == []
    _level_enum(document)
    _write(tmp_path, document)
    assert _issues(path, state) == [] != _issues(path, None)


def test_after_each_edit_of_a_sequence_the_cache_gives_the_cold_verdict(tmp_path: Path) -> None:
    state = tmp_path / "state"
    document = copy.deepcopy(BASE)
    path = _write(tmp_path, document)
    _issues(path, state)
    seen_invalid = 0
    for edit in EDITS:
        edit(document)
        _write(tmp_path, document)
        cold = _issues(path, None)
        assert _issues(path, state) == cold, edit.__name__
        assert _issues(path, state) == cold, edit.__name__  # and once everything is cached
        seen_invalid += bool(cold)
    assert seen_invalid >= 4  # the sequence does make defaults invalid


@pytest.mark.parametrize(
    "fixture",
    ["shared_components.yaml", "shared_components_31.yaml", "referenced_errors/openapi.yaml"],
)
def test_fixtures_with_invalid_defaults_report_the_same_warm_and_cold(
    fixture: str, tmp_path: Path
) -> None:
    path = FIXTURES / fixture
    cold = _issues(path, None)
    assert any("default value" in issue for issue in cold)
    assert _issues(path, tmp_path) == cold
    assert _issues(path, tmp_path) == cold


def test_cached_verdicts_are_used_instead_of_the_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = FIXTURES / "shared_components.yaml"
    cold = _issues(path, tmp_path)

    def library(*args: object) -> None:
        raise AssertionError("the library was asked although every verdict is cached")

    monkeypatch.setattr(schema_checks.SchemaChecks, "_library_default_problems", library)
    assert _issues(path, tmp_path) == cold


@pytest.mark.parametrize(
    "damage",
    [
        "not json {",
        "[]",
        '{"fingerprint": "another version", "entries": {}}',
        "ENTRIES",  # right fingerprint, every entry of the wrong shape
    ],
)
def test_a_corrupted_cache_is_ignored_and_rewritten(damage: str, tmp_path: Path) -> None:
    path = FIXTURES / "shared_components.yaml"
    cold = _issues(path, None)
    _issues(path, tmp_path)
    file = tmp_path / cache_module.FILE_NAME
    if damage == "ENTRIES":
        entries = {key: [["/x", "forged", "forged"], 7] for key in _entries(tmp_path)}
        damage = json.dumps({"fingerprint": cache_module.fingerprint(), "entries": entries})
    file.write_text(damage, encoding="utf-8")
    assert _issues(path, tmp_path) == cold
    assert all(isinstance(v, list) for v in _entries(tmp_path).values())
    assert not list(tmp_path.glob("*.tmp"))


def test_a_stored_verdict_is_what_is_reported(tmp_path: Path) -> None:
    """What the file says is used as is (so the key must name everything: the tests above)."""
    path = FIXTURES / "shared_components.yaml"
    _issues(path, tmp_path)
    file = tmp_path / cache_module.FILE_NAME
    data = json.loads(file.read_text(encoding="utf-8"))
    data["entries"] = {key: [["", "forged", "forged"]] for key in data["entries"]}
    file.write_text(json.dumps(data), encoding="utf-8")
    assert any("default value: forged" in issue for issue in _issues(path, tmp_path))


def test_the_cache_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_ENTRIES", 2)
    document = copy.deepcopy(BASE)
    path = _write(tmp_path, document)
    _issues(path, tmp_path / "state")
    assert len(_entries(tmp_path / "state")) == 2
    for size in range(5, 9):
        document["components"]["schemas"]["Task"]["properties"]["size"]["default"] = size
        _write(tmp_path, document)
        assert _issues(path, tmp_path / "state") == _issues(path, None)
        assert len(_entries(tmp_path / "state")) == 2


def test_schemas_that_may_resolve_by_more_than_their_text_are_not_cached(tmp_path: Path) -> None:
    """A discriminator's implicit mapping names a component from the default's value; an `$id`
    changes what a ref resolves to: such verdicts are computed every time."""
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "Pet": {
                    "oneOf": [{"$ref": "#/components/schemas/Cat"}],
                    "discriminator": {"propertyName": "kind"},
                    "default": {"kind": "Cat"},
                },
                "Cat": {"type": "object", "properties": {"kind": {"type": "string"}}},
            }
        },
    }
    path = _write(tmp_path, document)
    assert _issues(path, tmp_path / "state") == _issues(path, None)
    assert not (tmp_path / "state" / cache_module.FILE_NAME).exists()
    for schema in (
        {"id": "urn:other", "type": "string", "default": "a"},
        {"type": "object", "properties": {"a": {"$ref": "#/x%20y"}}, "default": {}},
    ):
        document["components"]["schemas"] = {"S": schema}
        _write(tmp_path, document)
        assert _issues(path, tmp_path / "state") == _issues(path, None)
        assert not (tmp_path / "state" / cache_module.FILE_NAME).exists()


def test_property_names_that_look_like_data_keys_are_still_followed(tmp_path: Path) -> None:
    """`properties: {default: ..., x-ref: ...}` name schemas: their refs are part of the key."""
    document = copy.deepcopy(BASE)
    document["components"]["schemas"]["Wrapper"] = {
        "type": "object",
        "properties": {
            "default": {"$ref": "#/components/schemas/Level"},
            "x-level": {"$ref": "#/components/schemas/Level"},
        },
        "default": {"default": "low", "x-level": "low"},
    }
    path = _write(tmp_path, document)
    assert _issues(path, tmp_path) == []
    _level_enum(document)
    _write(tmp_path, document)
    warm = _issues(path, tmp_path)
    assert warm == _issues(path, None)
    assert any("/components/schemas/Wrapper/default" in issue for issue in warm)
