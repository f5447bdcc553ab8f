"""`specfirst scaffold`: add-only stubs with the Protocol's signatures; `--check` with file:line."""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from specfirst.cli import main
from specfirst.starter import create_project, names_for

NEW_OPERATIONS = """
  /items/{itemId}/archive:
    post:
      tags: [items]
      operationId: archiveItem
      summary: Archive an item
      parameters:
        - name: itemId
          in: path
          required: true
          schema: {type: integer, minimum: 1}
        - name: reason
          in: query
          schema: {type: string, enum: [done, duplicate]}
      responses:
        "200":
          description: The archived item
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Item"
        "401":
          $ref: "#/components/responses/Unauthorized"
        "404":
          $ref: "#/components/responses/NotFound"
        "422":
          $ref: "#/components/responses/ValidationFailed"
  /labels:
    get:
      tags: [labels]
      operationId: listLabels
      summary: List labels
      security: []
      x-lint-ignore: [response-4xx]
      responses:
        "200":
          description: Labels
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Health"
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh `init` project whose contract gained an operation and a tag, generated once."""
    folder = tmp_path_factory.mktemp("scaffold") / "shop"
    create_project(folder, names_for("shop"))
    contract = folder / "specs" / "shop" / "openapi.yaml"
    text = contract.read_text()
    contract.write_text(text.replace("\ncomponents:\n", NEW_OPERATIONS + "components:\n", 1))
    subprocess.run([sys.executable, "-m", "specfirst.cli", "generate"], cwd=folder, check=True)
    return folder


@pytest.fixture
def project(generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "shop"
    shutil.copytree(generated, folder)
    monkeypatch.chdir(folder)
    return folder


SERVICES = Path("src/shop_service/services")


def only_insertions(before: str, after: str) -> list[str]:
    """The lines added; fails if any line of `before` was changed or removed."""
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    added = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        assert tag in ("equal", "insert"), (tag, before.splitlines()[i1:i2])
        added += after.splitlines()[j1:j2]
    return added


def test_missing_methods_are_appended_and_a_new_tag_gets_a_module(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = SERVICES / "items.py"
    before = items.read_text()
    assert main(["scaffold", "--check"]) == 1
    out = capsys.readouterr().out
    assert f"{items}:9: ItemsService lacks archive_item()" in out
    assert f"{SERVICES}: no class LabelsService" in out
    assert main(["scaffold"]) == 0
    out = capsys.readouterr().out
    assert f"{items}: added to: ItemsService.archive_item()" in out
    assert f"{SERVICES / 'labels.py'}: created: LabelsService.list_labels()" in out
    after = items.read_text()
    added = "\n".join(only_insertions(before, after))
    assert "from shop_api import responses" in added
    assert "async def archive_item(" in added
    assert 'reason: Literal["done", "duplicate"] | None = None' in added
    assert "from typing import Literal" in added
    assert 'raise ProblemException(501, "Not Implemented"' in added
    labels = (SERVICES / "labels.py").read_text()
    assert "class LabelsService:" in labels
    # Idempotent, and check is satisfied.
    snapshot = {p: p.read_bytes() for p in SERVICES.rglob("*.py")}
    assert main(["scaffold"]) == 0
    assert "nothing to add" in capsys.readouterr().out
    assert {p: p.read_bytes() for p in SERVICES.rglob("*.py")} == snapshot
    assert main(["scaffold", "--check"]) == 0


def test_the_stubs_type_check_and_answer_501(project: Path) -> None:
    assert main(["scaffold"]) == 0
    script = (
        "from fastapi.testclient import TestClient\n"
        "from shop_service.app import create_app\n"
        "from shop_service.services.labels import LabelsService\n"
        "from shop_api import create_app as routes\n"
        "r = TestClient(create_app()).post('/items/1/archive',"
        " headers={'Authorization': 'Bearer dev-token'})\n"
        "assert r.status_code == 501, r.text\n"
        "assert r.headers['content-type'] == 'application/problem+json'\n"
        "r = TestClient(routes(labels=LabelsService())).get('/labels')\n"  # the Protocol matches
        "assert r.status_code == 501, r.text\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=project,
        env={"PYTHONPATH": "src", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_check_reports_differing_and_removed_methods_with_file_and_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scaffold"]) == 0
    items = SERVICES / "items.py"
    text = items.read_text()
    broken = text.replace(
        "item_id: int, principal: Principal) -> models.Item:",
        "item_id: str, principal: Principal) -> models.Item:",
    )
    broken = broken.replace(
        "self, *, principal: Principal, limit: int = 20, offset: int = 0",
        "self, *, principal: Principal, limit: int = 50, offset: int = 0",
    )
    broken += "\n    async def rename_item(self) -> None:\n        return None\n"
    assert broken.count("item_id: str") == 1
    items.write_text(broken)
    capsys.readouterr()
    assert main(["scaffold", "--check"]) == 1
    out = capsys.readouterr().out
    lines = broken.splitlines()
    get_line = next(i for i, line in enumerate(lines, 1) if "async def get_item" in line)
    list_line = next(i for i, line in enumerate(lines, 1) if "async def list_items" in line)
    extra_line = next(i for i, line in enumerate(lines, 1) if "async def rename_item" in line)
    assert (
        f"{items}:{get_line}: ItemsService.get_item() differs from the contract: item_id: str, expected int"
        in out
    )
    assert f"{items}:{list_line}: ItemsService.list_items() differs" in out
    assert "limit defaults to 50, expected 20" in out
    assert (
        f"{items}:{extra_line}: ItemsService.rename_item() is no operation of the contract" in out
    )
    assert items.read_text() == broken  # --check changes nothing


def test_an_alias_of_the_same_type_is_no_difference(project: Path) -> None:
    assert main(["scaffold"]) == 0
    items = SERVICES / "items.py"
    text = items.read_text().replace(
        'reason: Literal["done", "duplicate"] | None', "reason: Reason | None"
    )
    text = text.replace(
        "class ItemsService:", 'Reason = Literal["done", "duplicate"]\n\n\nclass ItemsService:'
    )
    items.write_text(text)
    assert main(["scaffold", "--check"]) == 0


def test_an_api_without_a_services_folder_is_an_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('services = "src/shop_service/services"\n', "")
    )
    assert main(["scaffold"]) == 2
    assert "`services`" in capsys.readouterr().err
    assert main(["scaffold", "--api", "shop"]) == 2
    assert "no `services` folder" in capsys.readouterr().err


def test_without_generated_code_it_says_to_generate(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(project / "src" / "shop_api")
    assert main(["scaffold"]) == 2
    assert "run `specfirst generate`" in capsys.readouterr().err
