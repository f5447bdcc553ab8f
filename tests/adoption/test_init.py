"""`specfirst init`: the files it writes, the folders it refuses, what it never overwrites."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from specfirst.cli import main
from specfirst.config import load_config
from specfirst.lint import lint_contract, settings_from_table
from specfirst.loader import load_contract
from specfirst.starter import FLOORS, create_project, names_for, render_files
from specfirst.validation import validate_contract

ROOT = Path(__file__).parents[2]


def test_names_follow_the_api_name() -> None:
    names = names_for("order-service")
    assert names.api_package == "order_service_api"
    assert names.service_package == "order_service_service"
    assert names.title == "Order Service"
    assert names.token_variable == "ORDER_SERVICE_API_TOKEN"


@pytest.mark.parametrize("bad", ["Shop", "1shop", "shop api", "shop/..", "shop-"])
def test_a_name_that_cannot_name_packages_is_refused(bad: str, tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "p"), "--name", bad]) == 2
    assert not (tmp_path / "p").exists()


def test_the_project_files(tmp_path: Path) -> None:
    names = names_for("shop")
    written, kept = create_project(tmp_path, names)
    assert kept == []
    relative = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {
        ".gitignore",
        "README.md",
        "pyproject.toml",
        "specs/shop/openapi.yaml",
        "src/shop_service/app.py",
        "src/shop_service/services/items.py",
        "tests/test_contract.py",
    } <= relative
    (api,) = load_config(tmp_path / "pyproject.toml").apis
    assert api.package == "shop_api"
    assert api.services == (tmp_path / "src" / "shop_service" / "services").resolve()
    data = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    entry = data["tool"]["specfirst"]["apis"][0]
    assert entry["contract_test"]["app"] == "shop_service.app:create_app"
    assert "{{" not in "".join(p.read_text() for p in written)


def test_the_starter_contract_is_valid_and_lint_clean(tmp_path: Path) -> None:
    create_project(tmp_path, names_for("shop"))
    contract = load_contract(tmp_path / "specs" / "shop" / "openapi.yaml")
    assert list(validate_contract(contract)) == []
    assert lint_contract(contract, settings_from_table({})) == []
    document = contract.document
    assert "bearerAuth" in document["components"]["securitySchemes"]
    assert document["components"]["responses"]["NotFound"]["content"].keys() == {
        "application/problem+json"
    }


def test_a_non_empty_folder_is_refused_and_force_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("mine\n")
    assert main(["init", str(tmp_path), "--name", "shop", "--no-generate"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]
    assert main(["init", str(tmp_path), "--name", "shop", "--no-generate", "--force"]) == 0
    assert readme.read_text() == "mine\n"
    assert "kept    " in capsys.readouterr().out
    assert (tmp_path / "pyproject.toml").is_file()
    # A second run adds nothing and changes nothing.
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert main(["init", str(tmp_path), "--name", "shop", "--no-generate", "--force"]) == 0
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_init_generates_into_src_with_paths_check_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["init", str(tmp_path / "shop"), "--name", "shop"]) == 0
    package = tmp_path / "shop" / "src" / "shop_api"
    assert (package / "services.py").is_file()
    assert "from specs/shop/openapi.yaml " in (package / "services.py").read_text()
    monkeypatch.chdir(tmp_path / "shop")
    assert main(["check"]) == 0


def test_the_floors_agree_with_specfirst_s_own() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = declared["dependencies"] + declared["optional-dependencies"]["contract-test"]
    for name in ("fastapi", "uvicorn"):
        assert f"{name}>={FLOORS[name]}" in requirements
    assert f"pydantic[email]>={FLOORS['pydantic']}" in requirements


def test_a_new_project_depends_on_the_runtime_its_package_imports(tmp_path: Path) -> None:
    """A deployed app installs the project's dependencies only: the runtime must be one of them,
    in the range specfirst itself depends on (the releases serving the generated code's API)."""
    create_project(tmp_path, names_for("shop"))
    project = tomllib.loads((tmp_path / "pyproject.toml").read_text())["project"]
    own = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    runtime = [r for r in project["dependencies"] if r.startswith("specfirst-runtime")]
    assert runtime == [r for r in own if r.startswith("specfirst-runtime")]
    assert not [r for r in project["dependencies"] if r.startswith("specfirst[")]


def test_every_template_is_rendered() -> None:
    files = render_files(names_for("shop"))
    assert all(not str(path).endswith(".j2") for path in files)
    assert "src/shop_service/services/__init__.py" in {str(p) for p in files}
