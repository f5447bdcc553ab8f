"""Large documents are generated in parts, in parallel; the parts must join to what one run gives."""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from specfirst.generator import model_parts, models
from specfirst.generator.build import plan_models
from specfirst.generator.model_parts import join_parts, plan_parts
from specfirst.loader import load_contract

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
PARTS_FIXTURE = HERE / "fixtures" / "model_parts.yaml"
FIXTURES = [
    PARTS_FIXTURE,
    *sorted((HERE / "fixtures" / "robustness").glob("*.yaml")),
    *sorted((ROOT / "tests" / "golden" / "fixtures").glob("*.yaml")),
    ROOT / "specs" / "tasks" / "openapi.yaml",
]


def models_document(contract: Path) -> dict[str, Any]:
    document = load_contract(contract).document
    return plan_models(document).build(document)


def classes(source: str) -> dict[str, str]:
    """Class name → class text; other top-level statements under the key "" (as a sorted list)."""
    starts = list(re.finditer(r"^class (\w+)", source, re.MULTILINE))
    ends = [s.start() for s in starts[1:]] + [len(source)]
    found, others = {}, []
    for start, end in zip(starts, ends, strict=True):
        lines = source[start.start() : end].rstrip().split("\n")
        cut = next(
            (i for i, line in enumerate(lines[1:], 1) if line and not line[0].isspace()), None
        )
        found[start.group(1)] = "\n".join(lines[:cut]).rstrip()
        others += lines[cut:] if cut is not None else []
    found[""] = "\n".join(sorted(line for line in others if line))
    return found


def imported(source: str) -> set[str]:
    names = set()
    for module, items in re.findall(r"^from (\S+) import (.+)$", source, re.MULTILINE):
        names |= {f"{module}:{item.strip()}" for item in items.split(",")}
    return names


@pytest.fixture
def always_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_parts, "PART_MIN_BYTES", 0)


def test_small_documents_are_generated_in_one_run() -> None:
    assert plan_parts(models_document(ROOT / "specs" / "tasks" / "openapi.yaml")) == []


@pytest.mark.usefixtures("always_split")
def test_each_part_holds_what_its_classes_depend_on() -> None:
    parts = plan_parts(models_document(PARTS_FIXTURE))
    assert len(parts) == model_parts.PARTS
    held = [set(part["components"]["schemas"]) for part in parts]
    for names in held:
        if "Dog" in names:  # a reference (PetBase), and the discriminator naming Dog (Pet)
            assert {"PetBase", "Pet", "Cat"} <= names
        if "Event" in names:
            assert {"Pet", "Cat", "Dog", "PetBase", "Mode", "Node"} <= names
    assert set().union(*held) == set(parts[0]["components"]["schemas"]) | set(
        parts[1]["components"]["schemas"]
    )
    every = set(models_document(PARTS_FIXTURE)["components"]["schemas"])
    assert set().union(*held) == every


@pytest.mark.usefixtures("always_split")
@pytest.mark.parametrize("contract", FIXTURES, ids=lambda p: p.stem)
def test_parts_join_to_the_classes_of_one_run(contract: Path) -> None:
    document = models_document(contract)
    if len(document["components"]["schemas"]) < model_parts.PARTS:
        pytest.skip("too few schemas to split")
    whole = models._run_datamodel_codegen(document)
    parts = plan_parts(document)
    assert len(parts) == model_parts.PARTS
    joined = join_parts([models._run_datamodel_codegen(part) for part in parts])
    assert joined is not None, "the parts disagreed"
    assert classes(joined) == classes(whole)
    assert imported(joined) == imported(whole)
    compile(joined, str(contract), "exec")


def test_join_refuses_parts_that_disagree() -> None:
    head = "# header\n\nfrom __future__ import annotations\n\nfrom pydantic import BaseModel\n\n\n"
    first = head + "class A(BaseModel):\n    x: int\n\n\nclass B(BaseModel):\n    a: A\n"
    same = head + "class A(BaseModel):\n    x: int\n\n\nclass C(BaseModel):\n    a: A\n"
    other = head + "class A(BaseModel):\n    x: str\n"
    rebuild = head + "class A(BaseModel):\n    x: int\n\n\nA.model_rebuild()\n"
    statement = head + "class A(BaseModel):\n    x: int\n\n\nprint(A)\n"
    joined = join_parts([first, same])
    assert joined is not None
    assert [n for n in classes(joined) if n] == ["A", "B", "C"]
    assert join_parts([first, other]) is None
    assert join_parts([first, statement]) is None
    with_rebuild = join_parts([rebuild, first])
    assert with_rebuild is not None
    assert with_rebuild.endswith("\n\n\nA.model_rebuild()\n")
    assert join_parts([first, "# header\n# other\n" + same]) is None


def test_join_merges_imports_of_every_part() -> None:
    first = "from pydantic import BaseModel\n\n\nclass A(BaseModel):\n    x: int\n"
    second = (
        "from pydantic import BaseModel, Field\nfrom enum import Enum\n\n\n"
        "class E(Enum):\n    a = 'a'\n"
    )
    joined = join_parts([first, second])
    assert joined is not None
    assert joined.startswith(
        "from pydantic import BaseModel, Field\nfrom enum import Enum\n\n\nclass A(BaseModel):"
    )


@pytest.mark.usefixtures("always_split")
def test_generate_models_runs_parts_in_processes_and_caches_each(tmp_path: Path) -> None:
    document = models_document(PARTS_FIXTURE)
    whole = models._run_datamodel_codegen(document)
    cache = tmp_path / "cache"
    source = models.generate_models(document, "# head", cache_dir=cache)
    assert classes(source) == classes(models.enums_before_defaults(whole))
    assert len(list(cache.glob("*.py"))) == 1 + model_parts.PARTS  # the parts and the whole
    # Editing a schema only the last part holds regenerates that part alone.
    only_last = set(plan_parts(document)[-1]["components"]["schemas"]) - set(
        plan_parts(document)[0]["components"]["schemas"]
    )
    edited = copy.deepcopy(document)
    name = sorted(only_last)[0]
    edited["components"]["schemas"][name]["description"] = "edited"
    models.generate_models(edited, "# head", cache_dir=cache)
    assert len(list(cache.glob("*.py"))) == 1 + model_parts.PARTS + 2


@pytest.mark.usefixtures("always_split")
def test_a_failing_worker_falls_back_to_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    document = models_document(PARTS_FIXTURE)
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with pytest.raises(models.ModelGenerationError, match="exited with 1"):
        models._run_in_processes(plan_parts(document))
    source = models.generate_models(document, "# head", cache_dir=None)
    assert classes(source) == classes(
        models.enums_before_defaults(models._run_datamodel_codegen(document))
    )
