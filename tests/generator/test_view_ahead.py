"""The view model built ahead, on the last run's classes, while the models worker runs
(`pipeline._ViewAhead`): its files are used only when the real classes answer every question
it asked alike, so every run writes what a cold run writes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from specfirst.generator import pipeline, state
from specfirst.generator.pydantic_models import driver
from specfirst.generator.pydantic_models import parts as model_parts
from specfirst.generator.view_cache import AskedClasses, read_classes, write_classes
from specfirst.generator.write import tree_files

CONTRACT = Path(__file__).parent / "fixtures" / "model_parts.yaml"
Document = dict[str, Any]


def test_a_guess_holds_when_every_question_gets_the_same_answer() -> None:
    asked = AskedClasses({"Pet", "PetResponse"})
    assert "Pet" in asked
    assert "Zoo" not in asked
    assert asked.holds({"Pet", "Other"})  # what was not asked does not matter
    assert not asked.holds({"Other"})  # `Pet` was generated, now it is not
    assert not asked.holds({"Pet", "Zoo"})  # `Zoo` was not, now it is
    with pytest.raises(TypeError):
        list(asked)


def test_the_classes_are_kept_for_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "view-cache" / "x.classes"
    assert read_classes(path) is None
    write_classes(path, frozenset({"B", "A"}), None)
    assert read_classes(path) == {"A", "B"}
    write_classes(path, frozenset({"C"}), frozenset({"A", "B"}))
    assert read_classes(path) == {"C"}
    path.write_bytes(b"\xff damaged")
    assert read_classes(path) is None
    path.write_text("another format\nA", encoding="utf-8")
    assert read_classes(path) is None


def _add_keeper(d: Document) -> None:
    """A new component, and an operation whose response is it: a class the view asks about."""
    d["components"]["schemas"]["Keeper"] = {
        "type": "object",
        "properties": {"name": {"type": "string"}},
    }
    d["paths"]["/events"]["get"]["responses"]["404"] = {
        "description": "No keeper",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Keeper"}}},
    }


def _describe(d: Document) -> None:
    d["components"]["schemas"]["Pet"]["description"] = "A pet, edited."


def _add_property(d: Document) -> None:
    d["components"]["schemas"]["Keeper"]["properties"]["age"] = {"type": "integer"}


def _remove_keeper(d: Document) -> None:
    del d["components"]["schemas"]["Keeper"]
    del d["paths"]["/events"]["get"]["responses"]["404"]


@pytest.fixture
def outcomes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Parts and workers on any machine; what each `_ViewAhead.result` came to."""
    monkeypatch.setattr(model_parts, "MIN_BYTES", 0)
    monkeypatch.setattr(model_parts, "PART_BYTES", 1)
    monkeypatch.setattr(driver, "usable_cores", lambda: 2)
    seen: list[str] = []
    real = pipeline._ViewAhead.result

    def result(self: pipeline._ViewAhead, *args: Any) -> Any:
        files = real(self, *args)
        seen.append("none" if self.thread is None else "held" if files else "refused")
        return files

    monkeypatch.setattr(pipeline._ViewAhead, "result", result)
    return seen


def _cold(contract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    folder = tmp_path / f"cold-{len(list(tmp_path.glob('cold-*')))}"
    monkeypatch.setenv(state.STATE_ENV, str(folder / "state"))
    pipeline.generate_package(contract, "zoo_api", folder)
    return tree_files(folder / "zoo_api")


def test_every_run_writes_what_a_cold_run_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outcomes: list[str]
) -> None:
    document: Document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    contract = tmp_path / "api.yaml"
    out = tmp_path / "out"
    for edit in [None, _describe, _add_keeper, _add_property, _remove_keeper]:
        if edit is not None:
            edit(document)
        contract.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        monkeypatch.setenv(state.STATE_ENV, str(tmp_path / "warm-state"))
        pipeline.generate_package(contract, "zoo_api", out)
        assert tree_files(out / "zoo_api") == _cold(contract, tmp_path, monkeypatch)
    # The first run had no guess; a description held it, and so did a property of a class
    # no operation asks about anew; the new class an operation answers with refused it. The
    # last contract's models are the second's, taken whole from the cache: nothing to wait for.
    warm = outcomes[0::2]  # each warm run is followed by its cold run (no guess: "none")
    assert warm == ["none", "held", "refused", "held", "none"]
    assert set(outcomes[1::2]) == {"none"}


def test_a_wrong_guess_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outcomes: list[str]
) -> None:
    document: Document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    contract = tmp_path / "api.yaml"
    contract.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv(state.STATE_ENV, str(tmp_path / "warm-state"))
    pipeline.generate_package(contract, "zoo_api", tmp_path / "out")
    [kept] = (tmp_path / "warm-state" / "view-cache").glob("*.classes")
    # No request or response variant, and the base name of each: the view would name `Pet`
    # where `PetRequest` was generated (no error says so); only the real answers can tell.
    real = read_classes(kept)
    assert real is not None
    assert any(name.endswith("Request") for name in real)
    guess = {re.sub("(Request|Response)$", "", name) for name in real}
    write_classes(kept, frozenset(guess), None)
    _describe(document)
    contract.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    pipeline.generate_package(contract, "zoo_api", tmp_path / "out")
    assert tree_files(tmp_path / "out" / "zoo_api") == _cold(contract, tmp_path, monkeypatch)
    assert outcomes == ["none", "refused", "none"]
    assert read_classes(kept)  # the real classes again


def test_the_memo_written_after_the_models_serves_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The models memo is written while ruff formats (`DocumentBuilder.later`), not before the
    worker has its share: the next edit still rewrites only the schema it touched."""
    from specfirst.generator.schemas import ModelPlan

    rewrites: list[object] = []
    real = ModelPlan._rewrite

    def rewrite(self: ModelPlan, schema: Any, names: Any = None) -> Any:
        rewrites.append(schema)
        return real(self, schema, names)

    monkeypatch.setattr(ModelPlan, "_rewrite", rewrite)
    monkeypatch.setenv(state.STATE_ENV, str(tmp_path / "state"))
    document: Document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    contract = tmp_path / "api.yaml"
    contract.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    pipeline.generate_package(contract, "zoo_api", tmp_path / "out")
    assert len(rewrites) > 5
    assert list((tmp_path / "state" / "models-cache").glob("*.memo.json"))
    rewrites.clear()
    _describe(document)
    contract.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    pipeline.generate_package(contract, "zoo_api", tmp_path / "out")
    assert rewrites == [document["components"]["schemas"]["Pet"]]
