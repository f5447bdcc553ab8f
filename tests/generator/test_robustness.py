"""Real-world input classes stay handled: each fixture is one class of contract the corpus met.

For every fixture in `fixtures/robustness/`: the contract is valid, generates, the package imports,
`create_app()` with nothing bound routes exactly the contract's operations and serves the contract
as `/openapi.json`, and a bare request to every operation is answered with a 501 or 4xx problem,
never a 500. The generated packages together pass `mypy --strict`.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from specfirst.generator.pipeline import (
    InvalidContractError,
    generate_package,
    stage_package,
    validation_issues,
)
from specfirst.loader import load_contract
from specfirst.openapi import HTTP_METHODS

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
FIXTURES = sorted((HERE / "fixtures" / "robustness").glob("*.yaml"))


def package_name(fixture: Path) -> str:
    return f"robust_{fixture.stem}_api"


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The folder (on sys.path) fixtures are generated into, each on first use."""
    folder = tmp_path_factory.mktemp("robustness")
    sys.path.insert(0, str(folder))
    try:
        yield folder
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m.startswith("robust_")]:
            del sys.modules[name]


def _generate(fixture: Path, folder: Path) -> Path:
    target = folder / package_name(fixture)
    if not target.exists():
        cwd = Path.cwd()
        os.chdir(ROOT)  # generated headers name the contract relative to the working folder
        try:
            contract = load_contract(fixture.relative_to(ROOT))
            stage_package(contract, package_name(fixture), target).rename(target)
        finally:
            os.chdir(cwd)
    return target


def _import(fixture: Path, folder: Path) -> ModuleType:
    _generate(fixture, folder)
    return importlib.import_module(package_name(fixture))


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in HTTP_METHODS
        if method in item
    }


def _template(path: str) -> str:
    return re.sub(r"{[^}]*}", "{}", path)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_fixture_is_a_valid_contract(fixture: Path) -> None:
    assert validation_issues(load_contract(fixture)) == []


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_app_routes_and_serves_every_operation(fixture: Path, packages: Path) -> None:
    module = _import(fixture, packages)
    app = module.create_app()
    source = load_contract(fixture).document
    routed = {
        (method, _template(route.path))
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert routed == {(m, _template(p)) for m, p in _operations(source)}
    with TestClient(app) as client:
        served = client.get("/openapi.json").json()
    assert served == source


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_unbound_operations_answer_problems_not_500(fixture: Path, packages: Path) -> None:
    app = _import(fixture, packages).create_app()
    source = load_contract(fixture).document
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path in sorted(_operations(source)):
            url = re.sub(r"{[^}]*}", "1", path)
            response = client.request(method, url)
            assert response.status_code == 501 or 400 <= response.status_code < 500, (
                f"{method} {path}: {response.status_code} {response.text[:300]}"
            )
            if method != "HEAD":
                assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.slow
def test_generated_packages_pass_mypy_strict(packages: Path) -> None:
    for fixture in FIXTURES:
        _generate(fixture, packages)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            *[f"-p={package_name(f)}" for f in FIXTURES],
        ],
        cwd=ROOT,
        env=dict(os.environ, MYPYPATH=str(packages)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_invalid_but_usable_contract_needs_allow_invalid(tmp_path: Path) -> None:
    fixture = HERE / "fixtures" / "robustness" / "invalid" / "usable.yaml"
    with pytest.raises(InvalidContractError) as refused:
        generate_package(fixture, "robust_usable_api", tmp_path)
    assert refused.value.issues
    assert not (tmp_path / "robust_usable_api").exists()

    result = generate_package(fixture, "robust_usable_api", tmp_path, allow_invalid=True)
    assert result.warnings == [str(issue) for issue in refused.value.issues]
    sys.path.insert(0, str(tmp_path))
    try:
        app = importlib.import_module("robust_usable_api").create_app()
        with TestClient(app) as client:
            assert client.get("/items").status_code == 501
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("robust_usable_api")]:
            del sys.modules[name]


def test_corpus_runner_reports_pass_invalid_and_fuzz(tmp_path: Path) -> None:
    from specfirst.corpus import run_corpus, summary, write_reports

    folder = HERE / "fixtures" / "robustness"
    contracts = [folder / "responses.yaml", folder / "invalid" / "usable.yaml"]
    results = list(run_corpus(contracts, jobs=2, fuzz=True, timeout=600))
    passed, invalid = results
    assert (passed.result, passed.stage, passed.error) == ("pass", "done", "")
    assert passed.operations == passed.served == 4
    assert passed.fuzz_cases > 0
    assert passed.fuzz_findings == 0
    assert invalid.result == "invalid"
    assert invalid.errors
    assert "usable.yaml:" in invalid.errors[0]
    assert summary(results).startswith("total: 1/1 valid contracts pass; 1 invalid")
    tsv, as_json = write_reports(results, tmp_path / "report")
    assert tsv.read_text(encoding="utf-8").splitlines()[1].startswith("responses.yaml\tpass\t")
    assert '"result": "invalid"' in as_json.read_text(encoding="utf-8")


def test_dangling_refs_in_any_file_are_reported_with_every_other_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from specfirst.cli import main

    monkeypatch.chdir(HERE / "fixtures" / "robustness" / "invalid" / "dangling_ref")
    assert main(["validate", "openapi.yaml"]) == 1  # invalid, not unreadable
    lines = capsys.readouterr().out.splitlines()
    assert lines[:-1] == [
        "openapi.yaml:7:5: /paths/~1things~1{thingId}/get: Path parameter 'thingId' for 'get'"
        " operation in '/things/{thingId}' was not resolved",
        "openapi.yaml:17:11: /paths/~1others/get/responses/200/$ref: $ref points to a missing"
        " file: missing.yaml",
        "openapi.yaml:22:7: /components/schemas/Count/minimum: 'ten' is not of type 'number'",
        "responses.yaml:6:9: /Thing/content/application~1json/schema/$ref: $ref target not"
        " found: schemas.yaml#/Nope",
    ]
    assert lines[-1].startswith("openapi.yaml: invalid, 4 errors")
    for extra in ([], ["--allow-invalid"]):  # nothing can stand where a $ref leads nowhere
        out = tmp_path / "out"
        assert main(["generate", "openapi.yaml", "--out", str(out), *extra]) == 1
        assert not out.exists()
        assert "4 validation error(s); nothing was generated" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fixture", "stage", "first"),
    [
        ("loading/duplicate_keys.yaml", "load", "duplicate_keys.yaml:10:5: duplicate key 'get'"),
        ("invalid/dangling_ref/openapi.yaml", "validate", "openapi.yaml:7:5: /paths/"),
    ],
)
def test_corpus_counts_a_refused_contract_as_invalid_not_failing(
    fixture: str, stage: str, first: str, tmp_path: Path
) -> None:
    from specfirst.corpus import format_line, run_one, summary

    result = run_one(
        HERE / "fixtures" / "robustness" / fixture, tmp_path, "refused_api", fuzz=False
    )
    assert (result.result, result.stage) == ("invalid", stage)
    assert first in result.errors[0]
    assert not (tmp_path / "refused_api").exists()
    assert summary([result]).startswith("total: 0/0 valid contracts pass; 1 invalid")
    assert format_line(result, 20).startswith("INVALID")
