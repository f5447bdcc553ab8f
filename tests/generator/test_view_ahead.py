"""The view model built ahead, on the last run's classes, while the models worker runs
(`pipeline._ViewAhead`): its files are used only when the real classes answer every question
it asked alike, so every run writes what a cold run writes."""

from __future__ import annotations

import re
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from specfirst.generator import format_pieces, pipeline, state, view_cache, write
from specfirst.generator.build import plan_models
from specfirst.generator.pydantic_models import driver
from specfirst.generator.pydantic_models import parts as model_parts
from specfirst.generator.view_cache import (
    AskedClasses,
    planned_classes,
    read_classes,
    write_classes,
)
from specfirst.generator.write import tree_files

CONTRACT = Path(__file__).parent / "fixtures" / "model_parts.yaml"
Document = dict[str, Any]
Tree = dict[str, bytes]


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
    # The first run guessed from the plan, and held; a description held the last run's
    # classes, and so did a property of a class no operation asks about anew; the new class an
    # operation answers with refused them. The last contract's models are the second's, taken
    # whole from the cache: nothing to wait for.
    warm = outcomes[0::2]  # each warm run is followed by its cold run (a guess from the plan)
    assert warm == ["held", "held", "refused", "held", "none"]
    assert set(outcomes[1::2]) == {"held"}


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
    assert outcomes == ["held", "refused", "held"]
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
    assert list((tmp_path / "state" / "models-cache").glob("*.memo.marshal"))
    rewrites.clear()
    _describe(document)
    contract.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    pipeline.generate_package(contract, "zoo_api", tmp_path / "out")
    assert rewrites == [document["components"]["schemas"]["Pet"]]


VARIANTS = Path(__file__).parent / "fixtures" / "model_variants.yaml"


def _nothing_ahead(contract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tree:
    """A cold run whose view stage runs after the models, as on main before the cold guess."""
    with monkeypatch.context() as patch:
        patch.setattr(pipeline._ViewAhead, "start", lambda self, plan: None)
        return _cold(contract, tmp_path, patch)


@pytest.mark.parametrize("contract", [CONTRACT, VARIANTS], ids=["parts", "variants"])
def test_a_cold_run_guesses_the_classes_from_the_plan(
    contract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outcomes: list[str]
) -> None:
    """With no classes kept, the view runs ahead on the plan's names and both variants of each
    family (`view_cache.planned_classes`): it holds, and the files are those of a run that
    waited for the real classes."""
    document: Document = yaml.safe_load(contract.read_text(encoding="utf-8"))
    plan = plan_models(document)
    guess = planned_classes(plan)
    assert set(plan.class_names.values()) | set(plan.hoisted.values()) <= guess
    assert {f"{name}Request" for name in plan.families} <= guess
    assert {f"{name}Response" for name in plan.families} <= guess
    assert _cold(contract, tmp_path, monkeypatch) == _nothing_ahead(contract, tmp_path, monkeypatch)
    assert outcomes == ["held", "none"]


def test_a_wrong_cold_guess_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outcomes: list[str]
) -> None:
    """A plan guess without the variants: the view would name `HolderOne` where
    `HolderOneRequest` was generated; the real classes refuse it and the view runs again."""
    document: Document = yaml.safe_load(VARIANTS.read_text(encoding="utf-8"))
    assert plan_models(document).families  # the fixture's schemas do split
    expected = _nothing_ahead(VARIANTS, tmp_path, monkeypatch)
    monkeypatch.setattr(
        view_cache, "planned_classes", lambda plan: frozenset(plan.class_names.values())
    )
    assert _cold(VARIANTS, tmp_path, monkeypatch) == expected
    assert outcomes == ["none", "refused"]


def test_the_view_files_are_formatted_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outcomes: list[str]
) -> None:
    """On a cold run ruff formats the view files in the ahead thread (`write.format_ahead`):
    after the models, only models.py is formatted; the view files are cache hits."""
    calls: list[tuple[str, list[str] | None]] = []
    real = write.format_tree

    def format_tree(folder: Path, only: list[str] | None = None) -> None:
        calls.append((threading.current_thread().name, only))
        real(folder, only)

    monkeypatch.setattr(write, "format_tree", format_tree)
    files = _cold(CONTRACT, tmp_path, monkeypatch)
    assert outcomes == ["held"]
    named = [(thread, ["."] if only is None else only) for thread, only in calls]  # None: all
    ahead = {n for thread, only in named if thread == "specfirst-view-ahead" for n in only}
    assert {"app.py", "routers/default.py", "services.py"} <= ahead
    later = {n for thread, only in named if thread != "specfirst-view-ahead" for n in only}
    assert later == {"models.py"}
    assert files == _nothing_ahead(CONTRACT, tmp_path, monkeypatch)
    assert not list(tmp_path.glob("cold-*/.zoo_api.*"))  # its staging folder is gone


def test_an_edit_of_a_description_formats_nothing_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outcomes: list[str]
) -> None:
    """After a description edit the view runs ahead on the last run's classes and its files
    are the last run's formatted bytes: `result` waits for the thread, and it runs no ruff
    there (the cold run before it did)."""
    document: Document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    contract = tmp_path / "api.yaml"
    out = tmp_path / "out"
    monkeypatch.setenv(state.STATE_ENV, str(tmp_path / "warm-state"))
    ahead: list[int] = []
    real = write.format_tree

    def format_tree(folder: Path, only: list[str] | None = None) -> None:
        if threading.current_thread().name == "specfirst-view-ahead":
            ahead[-1] += 1
        real(folder, only)

    monkeypatch.setattr(write, "format_tree", format_tree)
    for edit in [None, _describe]:
        if edit is not None:
            edit(document)
        contract.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        ahead.append(0)
        pipeline.generate_package(contract, "zoo_api", out)
    assert outcomes == ["held", "held"]  # both ran ahead: cold on the plan, then on its classes
    assert ahead[0] > 0  # the cold run formatted its view files there
    assert ahead[1] == 0


def _module(functions: int) -> str:
    """A generated-looking module (a header with the contract's hash) for ruff to format."""
    body = "".join(
        f"def f{i}( x ):\n    return  os.path.join( x ,'a')\n\n" for i in range(functions)
    )
    return f"# generated (sha256 0123456789abcdef)\nimport os\nimport sys\n{body}"


def test_format_ahead_fills_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `format_ahead` formats, `stage_files` finds in the cache (no ruff run), small files
    and large ones (piece by piece, as routers over `format_pieces.MIN_BYTES`), formatted as
    a run without the cache formats them."""
    monkeypatch.setattr(format_pieces, "MIN_BYTES", 2000)
    files: dict[str, str | bytes] = {
        "small.py": _module(2),
        "routers/large.py": _module(60),
        "openapi.json": b"{}",
    }
    assert len(files["routers/large.py"]) >= format_pieces.MIN_BYTES > len(files["small.py"])
    ruff = write.ruff_binary()
    runs: list[object] = []
    real = subprocess.Popen

    class Counted(real):  # type: ignore[misc,valid-type]
        def __init__(self, args: Any, *rest: Any, **options: Any) -> None:
            if args[0] == ruff:
                runs.append(args)
            super().__init__(args, *rest, **options)

    monkeypatch.setattr(subprocess, "Popen", Counted)
    expected = write.stage_files({**files, "models.py": b""}, tmp_path / "plain" / "pkg")[1]
    assert runs  # ruff runs, and is seen running
    cache = tmp_path / "format-cache"
    near = tmp_path / "out" / "pkg"
    pieces: list[str] = []
    cut = write._pieces
    monkeypatch.setattr(write, "_pieces", lambda name, *a: (pieces.append(name), cut(name, *a))[1])
    write.format_ahead(files, near, cache, ["models.py"])
    assert pieces == ["routers/large.py"]
    assert not list(near.parent.iterdir())  # its folder is gone
    runs.clear()
    written = write.stage_files({**files, "models.py": b""}, near, cache)[1]
    assert runs == []
    assert written == expected
