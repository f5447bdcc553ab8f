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
import shutil
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
        for path, item in (document.get("paths") or {}).items()
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


def test_ecma_patterns_the_rust_engine_lacks_are_enforced(packages: Path) -> None:
    module = _import(HERE / "fixtures" / "robustness" / "ecma_patterns.yaml", packages)
    account = importlib.import_module(f"{module.__name__}.models").Account
    account.model_validate({"password": "abc12345", "repeated": "aa"})
    for bad in ({"password": "abcdefgh"}, {"password": "abc12345", "repeated": "ab"}):
        with pytest.raises(ValueError, match="String should match pattern"):
            account.model_validate(bad)
    with TestClient(module.create_app(), raise_server_exceptions=False) as client:
        body = {"password": "abc12345"}
        assert client.put("/accounts/alice", json=body).status_code == 501  # valid: unbound
        refused = client.put("/accounts/admin", json=body)  # (?!admin$)
        assert refused.status_code in (400, 422)
        assert refused.headers["content-type"] == "application/problem+json"
        assert client.put("/accounts/alice?ref=xy", json=body).status_code in (400, 422)
        assert client.put("/accounts/alice?ref=xx", json=body).status_code == 501


def test_create_app_keywords_stay_clear_of_the_package_names(packages: Path) -> None:
    import inspect

    module = _import(HERE / "fixtures" / "robustness" / "own_names.yaml", packages)
    keywords = set(inspect.signature(module.create_app).parameters)
    assert {"services_", "routers_", "security_", "runtime_", "verifiers_", "title_"} <= keywords
    assert {"class_", "list_", "json_", "create_app_", "fastapi_kwargs"} <= keywords

    class Services:
        async def list_services(self) -> None:
            return None

    app = module.create_app(services_=Services(), title="Own names")  # title goes to FastAPI
    assert app.title == "Own names"
    with TestClient(app) as client:
        assert client.get("/services").status_code == 204
        assert client.get("/verifiers").status_code == 501


def test_webhook_only_document_generates_payload_models_and_an_app(packages: Path) -> None:
    module = _import(HERE / "fixtures" / "robustness" / "webhooks.yaml", packages)
    models = importlib.import_module(f"{module.__name__}.models")
    assert models.PetGoneWebhookPayload.model_validate({"id": 1}).id == 1
    assert models.Pet.model_validate({"id": 1, "name": "Rex"}).name == "Rex"
    app = module.create_app()
    assert not [route for route in app.routes if isinstance(route, APIRoute)]
    with TestClient(app) as client:
        assert set(client.get("/openapi.json").json()["webhooks"]) == {"newPet", "petGone"}
        assert client.post("/newPet", json={}).status_code == 404  # sent, not received


def test_vendor_extensions_are_ignored_unless_well_formed(packages: Path) -> None:
    module = _import(HERE / "fixtures" / "robustness" / "vendor_extensions.yaml", packages)
    models = importlib.import_module(f"{module.__name__}.models")
    source = Path(models.__file__).read_text(encoding="utf-8")
    assert "import os" not in source  # x-python-import is not ours to follow
    assert "PathLike" not in source
    # well-formed x-enum-varnames name the members (snake_case like every generated name)
    assert [(m.name, m.value) for m in models.Mood] == [("glad", "happy"), ("blue", "sad")]
    assert [m.value for m in models.Shade] == ["light", "dark"]


# request path → (service method, the value it receives), for every style the fixture declares
STYLED_PATHS = {
    "/simple/1,2,3": ("simple_array", [1, 2, 3]),
    "/simple-exploded/1,2": ("simple_array_exploded", [1, 2]),
    "/label/.a,bb": ("label_array", ["a", "bb"]),
    "/label-exploded/.1.2": ("label_array_exploded", [1, 2]),
    "/matrix/;ids=1,2": ("matrix_array", [1, 2]),
    "/matrix-exploded/;ids=1;ids=2": ("matrix_array_exploded", [1, 2]),
    "/points/x,1,y,2": ("simple_object", {"x": 1, "y": 2}),
    "/points-exploded/x=1,y=2": ("simple_object_exploded", {"x": 1, "y": 2}),
    "/label-points/.x=1.tag=t": ("label_object", {"x": 1, "tag": "t"}),
    "/matrix-points/;point=x,1,y,2": ("matrix_object", {"x": 1, "y": 2}),
    "/matrix-points-exploded/;x=1;y=2": ("matrix_object_exploded", {"x": 1, "y": 2}),
}
REFUSED_PATHS = [
    "/simple/1,2,3,4",  # maxItems 3
    "/simple/1,a",  # not integers
    "/label/a,b",  # no leading '.'
    "/label/.abc",  # item maxLength 2
    "/matrix/;other=1",  # another parameter's name
    "/matrix-exploded/;ids=1;x=2",
    "/points/x,1,y",  # odd number of parts
    "/points/x,1,y,-1",  # y minimum 0
    "/points-exploded/x=1,y",  # not key=value
    "/label-points/.tag=t",  # x is required
    "/matrix-points-exploded/;x=1;x=2",  # a key twice
]


def test_array_and_object_path_parameters_are_parsed_by_style_and_validated(
    packages: Path,
) -> None:
    module = _import(HERE / "fixtures" / "robustness" / "path_styles.yaml", packages)
    received: dict[str, Any] = {}

    def recorder(name: str) -> Any:
        async def method(self: Any, *, ids: Any = None, point: Any = None) -> None:
            value = ids if ids is not None else point
            received[name] = (
                value if isinstance(value, list) else value.model_dump(exclude_unset=True)
            )

        return method

    service = type("Styles", (), {name: recorder(name) for name, _ in STYLED_PATHS.values()})
    with TestClient(module.create_app(default=service()), raise_server_exceptions=False) as client:
        for path, (name, expected) in STYLED_PATHS.items():
            response = client.get(path)
            assert response.status_code == 204, (path, response.text)
            assert received[name] == expected, path
        for path in REFUSED_PATHS:
            response = client.get(path)
            assert response.status_code in (400, 422), (path, response.status_code)
            assert response.headers["content-type"] == "application/problem+json"


def test_ref_with_read_only_sibling_and_deep_variant_graphs_split_correctly(
    packages: Path,
) -> None:
    module = _import(HERE / "fixtures" / "robustness" / "read_write_refs.yaml", packages)
    models = importlib.import_module(f"{module.__name__}.models")
    assert set(models.ThingRequest.model_fields) == {"name", "secret", "parts"}
    assert set(models.ThingResponse.model_fields) == {"id", "name", "links", "parts"}
    assert "serial" not in models.PartRequest.model_fields
    assert "serial" in models.PartResponse.model_fields
    assert "cursor" in models.PageInfoResponse.model_fields


SPLIT_FAILURE = (
    "A Parser can not resolve classes: [#/components/schemas/ZzSpecfirstThing"
    "#-datamodel-code-generator-#-read-write-request-#-special-#]"
)


def _failing_split(monkeypatch: pytest.MonkeyPatch, *, always: bool) -> None:
    from specfirst.generator.pydantic_models import driver as models

    real = models._datamodel_codegen

    def fake(document: dict[str, Any], *, split: bool) -> str:
        if split or always:
            raise models._error(Exception(SPLIT_FAILURE), "ZzSpecfirst")
        return real(document, split=split)

    monkeypatch.setattr(models, "_datamodel_codegen", fake)


def test_variants_fall_back_to_one_class_per_schema_when_the_split_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture = HERE / "fixtures" / "robustness" / "read_write_refs.yaml"
    monkeypatch.setenv("SPECFIRST_STATE_DIR", str(tmp_path / "state"))  # a models cache of its own
    _failing_split(monkeypatch, always=False)
    said: list[str] = []
    result = generate_package(fixture, "robust_fallback_api", tmp_path, on_warning=said.append)
    assert said == result.warnings
    assert "variants could not be split" in said[0]
    source = (tmp_path / "robust_fallback_api" / "models.py").read_text(encoding="utf-8")
    assert "# specfirst: one class per schema" in source
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module("robust_fallback_api")
        thing = importlib.import_module("robust_fallback_api.models").Thing
        assert "id" not in thing.model_json_schema().get("required", [])
        with TestClient(package.create_app(), raise_server_exceptions=False) as client:
            assert client.post("/things", json={"name": "x"}).status_code == 501
            assert client.post("/things", json={}).status_code in (400, 422)  # name required
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("robust_fallback_api")]:
            del sys.modules[name]


def test_model_errors_speak_the_contracts_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from specfirst.cli import main

    shutil.copy(HERE / "fixtures" / "robustness" / "read_write_refs.yaml", tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPECFIRST_STATE_DIR", str(tmp_path / "state"))  # a models cache of its own
    _failing_split(monkeypatch, always=True)
    out = tmp_path / "out"
    assert main(["generate", "read_write_refs.yaml", "--out", str(out), "--force"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "specfirst: read_write_refs.yaml:38:5: /components/schemas/Thing: datamodel-code-generator"
        " failed: A Parser can not resolve classes: [#/components/schemas/Thing]"
    )
    assert not out.exists()
