"""Golden files: fixture contracts in, expected packages out, byte for byte.

When a change to the generator is intended, refresh the expected files with `make golden`
(SPECFIRST_UPDATE_GOLDEN=1) and review the diff like any other change. The expected packages are
type-checked (mypy --strict) and linted by `make test` itself, not again here.
"""

from __future__ import annotations

import difflib
import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from specfirst.generator.pipeline import STAMP_FILE, stage_package
from specfirst.generator.write import same_tree
from specfirst.loader import load_contract

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
FIXTURES = sorted((HERE / "fixtures").glob("*.yaml"))
EXPECTED = HERE / "expected"
UPDATE = os.environ.get("SPECFIRST_UPDATE_GOLDEN") == "1"
REFRESH = "make golden   (or: SPECFIRST_UPDATE_GOLDEN=1 uv run pytest tests/golden)"


def package_name(fixture: Path) -> str:
    return f"{fixture.stem}_api"


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Generated headers name the contract relative to the working folder.
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_generated_package_matches_golden_files(fixture: Path, tmp_path: Path) -> None:
    contract = load_contract(fixture.relative_to(ROOT))
    staging = stage_package(contract, package_name(fixture), tmp_path / package_name(fixture))
    (staging / STAMP_FILE).unlink()  # records the generator's own fingerprint, not output
    expected = EXPECTED / package_name(fixture)
    if UPDATE:
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(staging, expected)
        return
    differing = same_tree(staging, expected)
    assert not differing, (
        f"generated code for {fixture.name} differs from the golden files in {expected}: "
        f"{', '.join(differing)}\n{tree_diff(expected, staging, differing)}\n"
        f"If the change is intended, refresh them with: {REFRESH}"
    )


def tree_diff(expected: Path, actual: Path, names: list[str], limit: int = 200) -> str:
    """A unified diff of the differing files (expected → generated), cut at `limit` lines."""
    lines: list[str] = []
    for name in names:
        old, new = expected / name, actual / name
        lines += difflib.unified_diff(
            old.read_text(encoding="utf-8").splitlines() if old.exists() else [],
            new.read_text(encoding="utf-8").splitlines() if new.exists() else [],
            f"expected/{name}",
            f"generated/{name}",
            lineterm="",
        )
    cut = lines[:limit] + ([f"... ({len(lines) - limit} more lines)"] if len(lines) > limit else [])
    return "\n".join(cut)


_COLD_RUN = """
import sys
from pathlib import Path
from specfirst.generator.pipeline import generate_package
for contract in sys.argv[1:]:
    generate_package(Path(contract), Path(contract).stem + "_api", Path("out"), force=True)
"""


def _cold_run(folder: Path) -> Path:
    """Generate every fixture in a fresh process, working folder and cache folder: nothing a
    previous run left (model cache, generator state) can be reused."""
    for fixture in FIXTURES:
        (folder / "specs").mkdir(parents=True, exist_ok=True)
        shutil.copy(fixture, folder / "specs" / fixture.name)
    env = dict(os.environ, XDG_CACHE_HOME=str(folder / "cache"), HOME=str(folder))
    env["SPECFIRST_STATE_DIR"] = str(folder / "state")
    contracts = [f"specs/{f.name}" for f in FIXTURES]
    subprocess.run([sys.executable, "-c", _COLD_RUN, *contracts], cwd=folder, env=env, check=True)
    return folder / "out"


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first, second = _cold_run(tmp_path / "a"), _cold_run(tmp_path / "b")
    assert sorted(p.name for p in first.iterdir()) == [package_name(f) for f in FIXTURES]
    assert same_tree(first, second) == []


@pytest.fixture
def golden_on_path() -> Iterator[None]:
    sys.path.insert(0, str(EXPECTED))
    try:
        yield
    finally:
        sys.path.remove(str(EXPECTED))


@pytest.mark.usefixtures("golden_on_path")
@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_golden_package_imports_and_serves_its_contract(fixture: Path) -> None:
    module = importlib.import_module(package_name(fixture))
    app = module.create_app()
    with TestClient(app) as client:
        served = client.get("/openapi.json").json()
    assert served == load_contract(fixture.relative_to(ROOT)).document


def test_a_golden_mismatch_shows_the_diff_and_the_refresh_command(tmp_path: Path) -> None:
    expected, actual = tmp_path / "expected", tmp_path / "actual"
    for folder, text in ((expected, "x = 1\n"), (actual, "x = 2\n")):
        folder.mkdir()
        (folder / "m.py").write_text(text)
    diff = tree_diff(expected, actual, same_tree(actual, expected))
    assert "-x = 1" in diff
    assert "+x = 2" in diff
    assert "make golden" in REFRESH


WIRE_RECORD = {
    "weightKg": 4.5,
    "foo": "a",
    "Foo": "b",
    "fooBar": "c",
    "foo_bar": "d",
    "HTTPStatus": 200,
    "_links": {"self": "/records/1"},
    "@type": "record",
    "$ref": "#/x",
    "class": "k",
    "a.b": "e",
    "123abc": "f",
    "model_config": "g",
    "schema": "h",
    "self": "i",
    "Tier": "paid",
    "tags": ["x"],
    "codes": [1, 2],
    "grid": [["ab"]],
    "scores": {"math": 9.5},
    "labels": ["first"],
}


@pytest.mark.usefixtures("golden_on_path")
def test_awkward_field_names_keep_their_wire_names_on_the_wire() -> None:
    module = importlib.import_module("fields_api")
    with TestClient(module.create_app()) as client:
        served = client.post("/records", json=WIRE_RECORD)
        snake = client.post("/records", json={"weight_kg": 1})
        too_long = client.post("/records", json={"weightKg": 1, "tags": ["x" * 21]})
    assert served.status_code == 501  # no service bound: the body was read, then refused
    assert snake.status_code == too_long.status_code == 422
    models = importlib.import_module("fields_api.models")
    record = models.Record.model_validate(WIRE_RECORD)
    assert (record.weight_kg, record.foo_1, record.foo_bar, record.foo_bar_1) == (
        4.5,
        "b",
        "c",
        "d",
    )
    assert (record.field_type, record.field_ref, record.class_, record.self) == (
        "record",
        "#/x",
        "k",
        "i",
    )
    assert record.tags == ["x"]  # plain values, not one class per item
    assert record.labels[0].root == "first"  # a named component keeps its class
    assert record.model_dump(mode="json", by_alias=True) == WIRE_RECORD
    built = models.Record(weight_kg=1.0, foo_bar_1="d", class_="k", tags=["y"])
    assert built.model_dump(mode="json", by_alias=True, exclude_unset=True) == {
        "weightKg": 1.0,
        "foo_bar": "d",
        "class": "k",
        "tags": ["y"],
    }
