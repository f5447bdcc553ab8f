"""`specfirst generate` and `specfirst check` as a user runs them: exit codes, atomicity, drift."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from specfirst.cli import main

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "tests" / "golden" / "fixtures" / "bodies.yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small project: pyproject with one API, its contract, nothing generated yet."""
    (tmp_path / "specs").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "specs" / "api.yaml")
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [[tool.specfirst.apis]]
            name = "demo"
            contract = "specs/api.yaml"
            package = "demo_api"
            out = "generated"
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_generate_then_no_op_then_check(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate"]) == 0
    assert "demo_api: generated" in capsys.readouterr().out
    package = project / "generated" / "demo_api"
    first = snapshot(package)
    assert {"__init__.py", "models.py", "services.py", "app.py", "_stamp.py"} <= set(first)
    for name, data in first.items():
        if name.endswith(".py"):
            assert b"DO NOT EDIT" in data.splitlines()[0], name
    assert main(["generate"]) == 0
    assert "demo_api: up to date" in capsys.readouterr().out
    assert snapshot(package) == first
    assert main(["check"]) == 0


def test_forced_regeneration_is_byte_identical(project: Path) -> None:
    assert main(["generate"]) == 0
    before = snapshot(project / "generated" / "demo_api")
    assert main(["generate", "--force"]) == 0
    assert snapshot(project / "generated" / "demo_api") == before


def test_check_reports_hand_edits_and_stale_code(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate"]) == 0
    services = project / "generated" / "demo_api" / "services.py"
    services.write_text(services.read_text() + "\n# a hand edit\n")
    capsys.readouterr()
    assert main(["check"]) == 1
    out = capsys.readouterr()
    assert "services.py" in out.out
    assert "-# a hand edit" in out.out
    assert "run `specfirst generate`" in out.err  # the project has no Makefile
    (project / "Makefile").write_text("generate: ## regenerate\n\tspecfirst generate\n")
    assert main(["check"]) == 1
    assert "run `make generate`" in capsys.readouterr().err
    # `generate` repairs a hand edit (the stamp notices the changed output).
    assert main(["generate"]) == 0
    assert main(["check"]) == 0
    contract = project / "specs" / "api.yaml"
    contract.write_text(
        contract.read_text().replace("operationId: upload", "operationId: uploadBlob")
    )
    assert main(["check"]) == 1


DUPLICATE_OPERATION_ID = """
openapi: 3.1.0
info: {title: x, version: "1"}
paths:
  /a:
    get:
      operationId: same
      responses: {"204": {description: ok}}
  /b:
    get:
      operationId: same
      responses: {"204": {description: ok}}
"""
UNDECLARED_PATH_PARAMETER = """
openapi: 3.1.0
info: {title: x, version: "1"}
paths:
  /pets/{petId}:
    get:
      operationId: getPet
      responses: {"204": {description: ok}}
"""
DANGLING_IN_SECOND_FILE = """
openapi: 3.1.0
info: {title: x, version: "1"}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "schemas.yaml#/Pet"}
"""
BROKEN = {
    # case: (contract text, exit code, where the first error must point)
    "yaml_syntax": ("openapi: 3.1.0\ninfo: {title: x, version: 1\npaths: {}\n", 2, "api.yaml:3:"),
    "missing_version": ("openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n", 1, "api.yaml:2:"),
    "duplicate_operation_id": (DUPLICATE_OPERATION_ID, 1, "api.yaml:10:"),
    "undeclared_path_parameter": (UNDECLARED_PATH_PARAMETER, 1, "api.yaml:5:"),
    "dangling_ref_in_second_file": (DANGLING_IN_SECOND_FILE, 1, "schemas.yaml:3:"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_contract_leaves_generated_code_untouched(
    project: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate"]) == 0
    before = snapshot(project / "generated")
    text, code, where = BROKEN[case]
    (project / "specs" / "api.yaml").write_text(text.lstrip())
    (project / "specs" / "schemas.yaml").write_text(
        "Pet:\n  type: object\n  properties: {owner: {$ref: '#/Owner'}}\n"
    )
    capsys.readouterr()
    assert main(["generate"]) == code
    err = capsys.readouterr().err
    assert where in err, err
    assert snapshot(project / "generated") == before
    leftovers = [p.name for p in (project / "generated").iterdir() if p.name != "demo_api"]
    assert leftovers == []


def test_one_off_contract_with_out_and_package(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["generate", str(EXAMPLE), "--out", str(out), "--package", "one_off"]) == 0
    assert (out / "one_off" / "app.py").is_file()


def test_mypy_reports_a_service_that_no_longer_matches(project: Path) -> None:
    assert main(["generate"]) == 0
    (project / "impl.py").write_text(
        textwrap.dedent(
            """
            from demo_api import models, responses, services

            class Service:
                async def create_item(self, *, body: models.CreateItemRequestBodyRequest) -> None:
                    return None

            service: services.DefaultService = Service()
            """
        )
    )
    env = dict(os.environ, MYPYPATH=str(project / "generated"))
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "impl.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "upload" in done.stdout  # the operation the service lacks
    assert "create_item" in done.stdout  # the operation whose return type no longer fits


def test_allow_invalid_generates_and_prints_every_error_as_a_warning(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = project / "specs" / "api.yaml"
    contract.write_text(contract.read_text().replace("version: 1.0.0", "", 1))
    assert main(["generate"]) == 1
    assert not (project / "generated" / "demo_api").exists()
    capsys.readouterr()
    assert main(["generate", "--allow-invalid"]) == 0
    err = capsys.readouterr().err
    assert "warning: specs/api.yaml:" in err
    assert "'version' is a required property" in err
    assert (project / "generated" / "demo_api" / "app.py").is_file()


SCOPE = ROOT / "tests" / "generator" / "fixtures" / "model_scope.yaml"


def defined_classes(package: Path) -> set[str]:
    text = (package / "models.py").read_text()
    return {line.split("(")[0][6:] for line in text.splitlines() if line.startswith("class ")}


def test_models_for_operations_only_leave_out_webhooks_and_unused_schemas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    common = ["generate", str(SCOPE), "--out", str(out), "--package", "scope_api"]
    assert main(common) == 0
    package = out / "scope_api"
    every = {"Order", "Item", "Book", "Pen", "Problem", "ShippedEvent", "Unused"}
    assert every <= defined_classes(package)
    assert "OPTIONS" not in (package / "_stamp.py").read_text()

    assert main([*common, "--models", "operations"]) == 0
    assert "scope_api: generated" in capsys.readouterr().out  # a new scope is a change
    reached = defined_classes(package)
    assert {"Order", "Item", "Book", "Pen", "Problem"} <= reached  # mapping and $ref targets
    assert not {"ShippedEvent", "Unused"} & reached
    assert '"models": "operations"' in (package / "_stamp.py").read_text()
    assert main([*common, "--models", "operations"]) == 0
    assert "scope_api: up to date" in capsys.readouterr().out
    assert main(common) == 0
    assert "scope_api: generated" in capsys.readouterr().out
    assert "Unused" in defined_classes(package)

    done = subprocess.run(
        [sys.executable, "-c", "import scope_api.app as a; print(len(a.create_app().routes))"],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_models_scope_is_read_from_the_project_and_checked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = project / "pyproject.toml"
    shutil.copy(SCOPE, project / "specs" / "api.yaml")
    pyproject.write_text(pyproject.read_text() + 'models = "operations"\n')
    assert main(["generate"]) == 0
    assert "Unused" not in defined_classes(project / "generated" / "demo_api")
    assert main(["check"]) == 0
    pyproject.write_text(pyproject.read_text().replace('"operations"', '"some"'))
    capsys.readouterr()
    assert main(["generate"]) == 2
    assert "apis[0].models: expected one of 'all', 'operations', got 'some'" in (
        capsys.readouterr().err
    )


def test_field_names_are_read_from_the_project_overridden_and_checked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(
        ROOT / "tests" / "golden" / "fixtures" / "fields.yaml", project / "specs" / "api.yaml"
    )
    pyproject = project / "pyproject.toml"
    models = project / "generated" / "demo_api" / "models.py"
    pyproject.write_text(pyproject.read_text() + 'field_names = "wire"\n')
    assert main(["generate"]) == 0
    assert "    weightKg: StrictFloat\n" in models.read_text()
    assert main(["check"]) == 0
    assert main(["generate", "--field-names", "snake_case"]) == 0
    assert 'weight_kg: Annotated[StrictFloat, Field(alias="weightKg")]' in models.read_text()
    capsys.readouterr()
    assert main(["check"]) == 1  # the project says "wire"
    assert "stale" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("package", "phrase"),
    [
        ("../../escaped", "is not a Python package name"),
        ("a/b", "is not a Python package name"),
        ("class", "is a Python keyword"),
        ("9lives", "is not a Python package name"),
        ("json", "would hide the module"),
        ("fastapi", "would hide the module"),
    ],
)
def test_package_must_be_an_importable_name_inside_out(
    package: str, phrase: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exited:
        main(["generate", str(EXAMPLE), "--out", str(out), "--package", package])
    assert exited.value.code == 2
    assert phrase in capsys.readouterr().err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == []


def test_configured_package_with_a_bad_name_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"demo_api"', '"class"'))
    assert main(["generate"]) == 2
    assert "apis[0].package: expected a Python package name, got 'class'" in capsys.readouterr().err
    assert not (project / "generated").exists()


@pytest.mark.parametrize("where", ["out", "out/sub", "package"])
def test_out_naming_a_file_is_a_clear_error(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / ("out/pkg" if where == "package" else "out")
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder\n")
    out = tmp_path / ("out/sub" if where == "out/sub" else "out")
    assert main(["generate", str(EXAMPLE), "--out", str(out), "--package", "pkg"]) == 2
    err = capsys.readouterr().err
    assert f"--out: {blocker} is a file, not a folder" in err
    assert "Traceback" not in err
    assert blocker.read_text() == "not a folder\n"


def test_an_edit_reads_the_contract_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stamp check, the early worker's guess and loading share one read of the contract."""
    assert main(["generate"]) == 0
    contract = (project / "specs" / "api.yaml").resolve()
    contract.write_text(contract.read_text().replace("title:", "title: Edited", 1))
    reads: list[Path] = []
    read_bytes = Path.read_bytes

    def counted(path: Path) -> bytes:
        if path.resolve() == contract:
            reads.append(path)
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", counted)
    assert main(["generate"]) == 0
    assert len(reads) == 1
    assert "Edited" in (project / "generated" / "demo_api" / "openapi.json").read_text()
