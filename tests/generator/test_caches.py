"""Caches never change what is generated: after any sequence of edits, a warm run writes the
bytes a cold run of the final contract writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from specfirst import yaml_splice
from specfirst.generator import pipeline, state
from specfirst.generator.pydantic_models import parts
from specfirst.generator.write import tree_files

ROOT = Path(__file__).parents[2]
Document = dict[str, Any]
CONTRACT = ROOT / "tests" / "generator" / "fixtures" / "model_parts.yaml"


def edit_schema_description(d: Document) -> None:
    d["components"]["schemas"]["Zoo"]["description"] = "A zoo."


def add_property(d: Document) -> None:
    d["components"]["schemas"]["Zoo"]["properties"]["city"] = {"type": "string"}


def add_component(d: Document) -> None:
    d["components"]["schemas"]["Keeper"] = {
        "type": "object",
        "properties": {"zoo": {"$ref": "#/components/schemas/Zoo"}},
    }


def edit_operation(d: Document) -> None:
    d["paths"]["/events"]["get"]["summary"] = "Every event"


def remove_component(d: Document) -> None:
    del d["components"]["schemas"]["Keeper"]


def _unchanged(d: Document) -> None:
    pass


EDITS = [edit_schema_description, add_property, add_component, edit_operation, remove_component]


def rename_operation(d: Document) -> None:
    d["paths"]["/events"]["get"]["operationId"] = "listAllEvents"


def describe_operation(d: Document) -> None:  # prose alone: the last run's plan is taken
    d["paths"]["/events"]["get"]["description"] = "Every event, newest first."


@pytest.mark.parametrize("suffix", ["yaml", "json"])  # JSON: what `ahead` reads from the bytes
@pytest.mark.parametrize(
    "order",
    [[*EDITS, rename_operation, describe_operation], EDITS[::-1][1:]],
    ids=["forward", "backward"],
)
def test_warm_runs_after_edits_equal_a_cold_run(
    order: list[Callable[[Document], None]],
    suffix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parts, "MIN_BYTES", 0)
    monkeypatch.setattr(parts, "PART_BYTES", 1)
    spliced: list[bool] = []  # YAML: which loads took the last one's data (`yaml_splice`)
    real = yaml_splice.reparsed

    def reparsed(*args: Any) -> Any:
        found = real(*args)
        spliced.append(found is not None)
        return found

    monkeypatch.setattr(yaml_splice, "reparsed", reparsed)
    document = yaml.safe_load(CONTRACT.read_text())
    contract = tmp_path / f"api.{suffix}"
    out = tmp_path / "out"
    monkeypatch.setenv(state.STATE_ENV, str(tmp_path / "warm-state"))
    for edit in [_unchanged, *order]:
        if order[0] is remove_component and edit is remove_component:
            continue
        edit(document)
        if suffix == "json":
            contract.write_text(json.dumps(document))
        else:
            contract.write_text(yaml.safe_dump(document, sort_keys=False))
        pipeline.generate_package(contract, "zoo_api", out)
    warm = tree_files(out / "zoo_api")
    monkeypatch.setenv(state.STATE_ENV, str(tmp_path / "cold-state"))
    pipeline.generate_package(contract, "zoo_api", tmp_path / "cold")
    cold = tree_files(tmp_path / "cold" / "zoo_api")
    assert warm.keys() == cold.keys()
    for name in warm:
        assert warm[name] == cold[name], name
    assert (tmp_path / "warm-state" / "models-cache").is_dir()
    if suffix == "yaml":  # every edit but the new component (between two) and the removal
        assert spliced.count(True) >= len(order) - 2
    assert any((tmp_path / "warm-state" / "format-cache").iterdir())
    assert any((tmp_path / "warm-state" / "view-cache").iterdir())


def test_state_goes_beside_the_project_or_to_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(state.STATE_ENV)
    (tmp_path / "project" / "generated").mkdir(parents=True)
    (tmp_path / "project" / "pyproject.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    assert (
        state.state_dir(tmp_path / "project" / "generated")
        == (tmp_path / "project" / ".specfirst").resolve()
    )
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert state.state_dir(tmp_path / "elsewhere") in (
        tmp_path / "xdg" / "specfirst",
        state.user_cache_dir(),
    )


def test_an_operation_edit_does_not_even_build_the_models_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from specfirst.generator.pydantic_models.document import DocumentBuilder

    document = yaml.safe_load(CONTRACT.read_text())
    contract = tmp_path / "api.yaml"
    contract.write_text(yaml.safe_dump(document, sort_keys=False))
    monkeypatch.setenv(state.STATE_ENV, str(tmp_path / "state"))
    pipeline.generate_package(contract, "zoo_api", tmp_path / "out")

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("the models document was built")

    monkeypatch.setattr(DocumentBuilder, "build", no_build)
    edit_operation(document)
    contract.write_text(yaml.safe_dump(document, sort_keys=False))
    assert pipeline.generate_package(contract, "zoo_api", tmp_path / "out").changed
    edit_schema_description(document)
    contract.write_text(yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(AssertionError, match="was built"):
        pipeline.generate_package(contract, "zoo_api", tmp_path / "out")


def test_a_view_model_like_the_last_runs_takes_its_files_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema's description is in models.py only: the view model is the last run's, so its
    files are taken from the state folder (nothing rendered, nothing formatted) and are what a
    cold run writes; a damaged copy of them is ignored."""
    from specfirst.generator import render

    document = yaml.safe_load(CONTRACT.read_text())
    contract = tmp_path / "api.yaml"
    out = tmp_path / "out"
    contract.write_text(yaml.safe_dump(document, sort_keys=False))
    monkeypatch.setenv(state.STATE_ENV, str(tmp_path / "warm-state"))
    pipeline.generate_package(contract, "zoo_api", out)
    edit_schema_description(document)
    contract.write_text(yaml.safe_dump(document, sort_keys=False))
    real = render.render_package

    def no_render(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("rendered")

    monkeypatch.setattr(render, "render_package", no_render)
    assert pipeline.generate_package(contract, "zoo_api", out).changed
    warm = tree_files(out / "zoo_api")
    monkeypatch.setenv(state.STATE_ENV, str(tmp_path / "cold-state"))
    monkeypatch.setattr(render, "render_package", real)
    pipeline.generate_package(contract, "zoo_api", tmp_path / "cold")
    assert warm == tree_files(tmp_path / "cold" / "zoo_api")

    monkeypatch.setenv(state.STATE_ENV, str(tmp_path / "warm-state"))
    (kept,) = (tmp_path / "warm-state" / "view-cache").glob("*.files")
    good = kept.read_bytes()
    head, _, payload = good.partition(b"\n\n")
    edited = payload.replace(b"class ", b"klass ", 1)
    assert edited != payload
    for damaged in [b"", good[:-10], head + b"\n\n" + edited]:
        kept.write_bytes(damaged)
        pipeline.generate_package(contract, "zoo_api", out, force=True)
        assert tree_files(out / "zoo_api") == warm
        assert kept.read_bytes() == good  # rendered again, and kept again


def test_an_operation_edit_renders_the_routers_whose_view_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The routers of the tags an edit leaves alone keep their key (`ViewBuilder.router_keys`:
    their drafts, the names handed out to them, the drafts their shared responses come from)
    and are the last run's files: a summary renders one router. An edit of another tag that
    renames a response class this one shares renders it again. Every run writes what a cold
    run writes."""
    from specfirst.generator import render

    example = ROOT / "specs" / "example" / "openapi.yaml"
    document = yaml.safe_load(example.read_text())
    contract = tmp_path / "api.yaml"
    out = tmp_path / "out"
    real = render.render_package
    rendered: list[set[str]] = []

    def counting(api: Any, served: Any, kept: Any = ()) -> Any:
        files = real(api, served, kept)
        rendered.append(
            {name for name in files if name.startswith("routers/") and "__" not in name}
        )
        return files

    def summary(d: Document) -> None:
        d["paths"]["/visits"]["get"]["summary"] = "Every visit"

    def renamed(d: Document) -> None:  # a 403 first: the shared 401 is `Unauthorized401` now
        unauthorized = {"$ref": "#/components/responses/Unauthorized"}
        d["paths"]["/health"]["get"]["responses"]["403"] = unauthorized

    monkeypatch.setattr(render, "render_package", counting)
    for number, edit in enumerate([_unchanged, summary, renamed]):
        edit(document)
        contract.write_text(yaml.safe_dump(document, sort_keys=False))
        monkeypatch.setenv(state.STATE_ENV, str(tmp_path / "warm-state"))
        pipeline.generate_package(contract, "zoo_api", out)
        monkeypatch.setenv(state.STATE_ENV, str(tmp_path / f"cold-{number}"))
        pipeline.generate_package(contract, "zoo_api", tmp_path / f"cold-{number}")
        assert tree_files(out / "zoo_api") == tree_files(tmp_path / f"cold-{number}" / "zoo_api")
    routers = {"routers/meta.py", "routers/pets.py", "routers/clinic.py"}
    assert rendered[0] == routers  # cold
    assert rendered[2] == {"routers/clinic.py"}  # the summary's router alone
    assert rendered[4] == routers  # clinic's drafts are the same, not its class names
