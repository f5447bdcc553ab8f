"""Golden files: fixture contracts in, expected packages out, byte for byte.

When a change to the generator is intended, refresh the expected files with `make golden`
(SPECFIRST_UPDATE_GOLDEN=1) and review the diff like any other change.
"""

from __future__ import annotations

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
        f"{', '.join(differing)}\nIf the change is intended, refresh them with: {REFRESH}"
    )


def test_generation_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two cold runs: each with its own empty state folder, so neither reads a cache."""
    fixture = FIXTURES[0]
    contract = load_contract(fixture.relative_to(ROOT))
    monkeypatch.setenv("SPECFIRST_STATE_DIR", str(tmp_path / "state-a"))
    first = stage_package(contract, "first_api", tmp_path / "a" / "pkg")
    monkeypatch.setenv("SPECFIRST_STATE_DIR", str(tmp_path / "state-b"))
    second = stage_package(
        load_contract(fixture.relative_to(ROOT)), "first_api", tmp_path / "b" / "pkg"
    )
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


def test_golden_packages_pass_mypy_strict() -> None:
    packages = [f"-p={package_name(f)}" for f in FIXTURES]
    env = dict(os.environ, MYPYPATH=str(EXPECTED))
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *packages],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
