"""When a models worker starts before the contract is loaded (`early`, `driver.worker_before_load`):
on a schema edit, not on an operation edit, and never left running."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from specfirst.errors import SpecfirstError
from specfirst.generator import pipeline
from specfirst.generator.pydantic_models import driver
from specfirst.generator.pydantic_models import parts as model_parts
from specfirst.generator.pydantic_models.document import component_texts
from specfirst.generator.pydantic_models.early import region_changed, schemas_region
from specfirst.generator.write import tree_files

CONTRACT = Path(__file__).parent / "fixtures" / "model_parts.yaml"


def _document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    return document


def _texts(document: dict[str, Any]) -> list[bytes]:
    """The document as compact JSON, indented JSON and block YAML."""
    return [
        json.dumps(document).encode(),
        json.dumps(document, indent=2).encode(),
        yaml.safe_dump(document, sort_keys=False).encode(),
    ]


def test_the_region_starts_at_the_component_schemas() -> None:
    document = _document()
    document["paths"]["/pets"]["post"]["description"] = '"components": {"schemas": 1}'
    for raw in _texts(document):
        start = schemas_region(raw)
        assert start is not None
        before, after = raw[:start], raw[start:]
        assert b"createPet" in before
        assert b"Pet" in after
        assert b"listEvents" not in after  # every operation comes before it
    assert schemas_region(b'{"openapi": "3.0.3", "paths": {}}') is None
    assert schemas_region(b"openapi: 3.0.3\npaths: {}\n") is None


def test_a_schema_edit_changes_the_region_and_an_operation_edit_does_not(tmp_path: Path) -> None:
    for form in range(3):
        hint = tmp_path / f"hint-{form}.json"
        document = _document()
        assert region_changed(_texts(document)[form], hint)  # no hint yet
        assert not region_changed(_texts(document)[form], hint)
        document["paths"]["/events"]["get"]["summary"] = "Every event"
        assert not region_changed(_texts(document)[form], hint)
        document["components"]["schemas"]["Pet"]["description"] = "edited"
        assert region_changed(_texts(document)[form], hint)
        assert not region_changed(_texts(document)[form], hint)
        assert not region_changed(_texts(document)[form], tmp_path / "other.json", 10**9)


class _FakeWorker:
    def __init__(self, log: list[str]) -> None:
        self.log = log
        log.append("started")

    def close(self) -> None:
        self.log.append("closed")


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What fake workers went through (`PrestartedWorker.start` makes one)."""
    started: list[str] = []
    monkeypatch.setattr(
        driver.PrestartedWorker, "start", classmethod(lambda cls: _FakeWorker(started))
    )
    monkeypatch.setattr(model_parts, "MIN_BYTES", 0)
    return started


def test_a_worker_started_on_a_wrong_guess_is_ended_once_the_schemas_are_known(
    tmp_path: Path, log: list[str]
) -> None:
    contract = tmp_path / "openapi.json"
    document = _document()
    contract.write_text(json.dumps(document), encoding="utf-8")
    scope = contract.resolve().as_posix()
    texts = component_texts(document)
    guessed = driver.worker_before_load(contract, tmp_path)
    assert guessed is not None
    assert log == ["started"]
    assert driver.early_worker(texts, tmp_path, scope, guessed) is guessed  # kept: used
    assert log == ["started"]
    # The same schemas behind other bytes (a component example, after the schemas): a guess,
    # ended as soon as the schemas are known to be the last run's.
    document["components"]["examples"] = {"one": {"value": 1}}
    contract.write_text(json.dumps(document), encoding="utf-8")
    guessed = driver.worker_before_load(contract, tmp_path)
    assert guessed is not None
    assert driver.early_worker(texts, tmp_path, scope, guessed) is None
    assert log == ["started", "started", "closed"]
    # An operation edit: no guess, and none later either.
    document["paths"]["/events"]["get"]["summary"] = "Every event"
    contract.write_text(json.dumps(document), encoding="utf-8")
    assert driver.worker_before_load(contract, tmp_path) is None
    assert driver.early_worker(texts, tmp_path, scope, None) is None
    # No guess (a region not found), but the schemas changed: started once they are known.
    assert driver.worker_before_load(tmp_path / "missing.json", tmp_path) is None
    document["components"]["schemas"]["Pet"]["description"] = "edited"
    assert driver.early_worker(component_texts(document), tmp_path, scope, None) is not None
    assert log == ["started", "started", "closed", "started"]


def test_a_worker_started_before_loading_is_ended_when_loading_fails(
    tmp_path: Path, log: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPECFIRST_STATE_DIR", str(tmp_path / "state"))
    contract = tmp_path / "openapi.json"
    contract.write_text(json.dumps(_document())[:-1], encoding="utf-8")  # no closing brace
    with pytest.raises(SpecfirstError):
        pipeline.generate_package(contract, "zoo_api", tmp_path / "out")
    assert log == ["started", "closed"]
    assert not (tmp_path / "out" / "zoo_api").exists()


def test_a_worker_started_before_loading_is_handed_to_the_models_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[Any] = []
    real = driver.early_worker

    def early_worker(*args: Any) -> Any:
        handed.append(args[3])
        return real(*args)

    monkeypatch.setattr(driver, "early_worker", early_worker)
    monkeypatch.setattr(driver, "usable_cores", lambda: 2)
    monkeypatch.setattr(model_parts, "MIN_BYTES", 0)
    monkeypatch.setattr(model_parts, "PART_BYTES", 1)
    contract = tmp_path / "openapi.json"
    contract.write_text(json.dumps(_document()), encoding="utf-8")
    monkeypatch.setenv("SPECFIRST_STATE_DIR", str(tmp_path / "state"))
    pipeline.generate_package(contract, "zoo_api", tmp_path / "out")
    assert len(handed) == 1
    assert isinstance(handed[0], driver.PrestartedWorker)
    assert handed[0].process is not None
    assert handed[0].folder is not None
    assert handed[0].process.poll() == 0  # it took its share and ended
    assert not handed[0].folder.exists()
    monkeypatch.setattr(driver, "worker_before_load", lambda *args: None)
    monkeypatch.setenv("SPECFIRST_STATE_DIR", str(tmp_path / "cold"))
    pipeline.generate_package(contract, "zoo_api", tmp_path / "plain")
    assert handed[1] is None
    assert tree_files(tmp_path / "out" / "zoo_api") == tree_files(tmp_path / "plain" / "zoo_api")
