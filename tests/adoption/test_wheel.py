"""The wheel tier: specfirst as a new user gets it, in a fresh virtual environment.

Builds the wheel, installs it with its `contract-test` extra (nothing from this repository on the
path), runs `specfirst init` in an empty folder and then works in that project as its team would:
generate, its own tests and mypy, serving over HTTP with uvicorn, a contract that gains an
operation (generate + scaffold: the service source only grows, the new operation answers 501) and
a hand-broken signature that `scaffold --check` reports at file:line. On the other Pythons a
smaller smoke test: install, init, generate, the project's HTTP tests.
"""

from __future__ import annotations

import difflib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import Venv, find_python, make_venv

pytestmark = pytest.mark.wheel

TOKEN = {"Authorization": "Bearer dev-token"}

NEW_OPERATION = """
  /items/{itemId}/archive:
    post:
      tags: [items]
      operationId: archiveItem
      summary: Archive an item
      parameters:
        - name: itemId
          in: path
          required: true
          schema:
            type: integer
            minimum: 1
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
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def serve(venv: Venv, project: Path, checks: list[tuple[str, str, int]]) -> None:
    """Start `uvicorn --app-dir src <service>.app:app` as the README says; each (method, path,
    status) must come back over HTTP."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(venv.bin / "uvicorn"),
            "--app-dir",
            "src",
            "shop_service.app:app",
            "--port",
            str(port),
        ],
        cwd=project,
        env=venv.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = get(f"{base}/healthz")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    out = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"uvicorn did not start:\n{out}")
                time.sleep(0.2)
        assert status == 200
        for method, path, expected in checks:
            status, body = get(f"{base}{path}", TOKEN, method)
            assert status == expected, (method, path, body)
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout:
            process.stdout.close()


def only_appended(before: str, after: str) -> list[str]:
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    added: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        assert tag in ("equal", "insert"), (tag, before.splitlines()[i1:i2])
        added += after.splitlines()[j1:j2]
    return added


@pytest.fixture(scope="module")
def project(main_venv: Venv, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`specfirst init shop --name shop` in an empty folder, from the fresh venv."""
    folder = tmp_path_factory.mktemp("user")
    main_venv.run(["specfirst", "init", "shop", "--name", "shop"], cwd=folder)
    return folder / "shop"


def test_a_new_project_generates_tests_type_checks_and_serves(
    main_venv: Venv, project: Path
) -> None:
    # Nothing of this repository is importable in the fresh venv.
    done = main_venv.run(["python", "-c", "import tasks_service"], cwd=project, check=False)
    assert done.returncode != 0
    assert "up to date" in main_venv.run(["specfirst", "generate"], cwd=project).stdout
    main_venv.run(["specfirst", "check"], cwd=project)
    main_venv.run(["specfirst", "lint"], cwd=project)
    tests = main_venv.run(["pytest", "-v", "-p", "no:cacheprovider"], cwd=project).stdout
    # Every operation fuzzed by Schemathesis (4 in the starter contract, 3 of them also with
    # invalid input), and one stateful run along the links.
    assert tests.count("tests/test_contract.py::test_operation_keeps_the_contract[") == 7
    assert "test_stateful_sequences_keep_the_contract PASSED" in tests
    assert " failed" not in tests
    serve(main_venv, project, [("GET", "/items", 200), ("GET", "/items/1", 404)])
    for command in (
        "init",
        "validate",
        "generate",
        "scaffold",
        "check",
        "lint",
        "diff",
        "contract-test",
        "corpus",
    ):
        main_venv.run(["specfirst", command, "--help"], cwd=project)


def test_a_new_operation_is_scaffolded_add_only_and_answers_501(
    main_venv: Venv, project: Path
) -> None:
    services = project / "src" / "shop_service" / "services"
    before = {path: path.read_text() for path in services.glob("*.py")}
    contract = project / "specs" / "shop" / "openapi.yaml"
    contract.write_text(
        contract.read_text().replace("\ncomponents:\n", NEW_OPERATION + "components:\n", 1)
    )
    main_venv.run(["specfirst", "generate"], cwd=project)
    check = main_venv.run(["specfirst", "scaffold", "--check"], cwd=project, check=False)
    assert check.returncode == 1
    assert "items.py:9: ItemsService lacks archive_item()" in check.stdout
    added = main_venv.run(["specfirst", "scaffold"], cwd=project).stdout
    assert "items.py: added to: ItemsService.archive_item()" in added
    for path, text in before.items():
        after = path.read_text()
        if path.name == "items.py":
            appended = "\n".join(only_appended(text, after))
            assert "async def archive_item(" in appended
        else:
            assert after == text, path
    main_venv.run(["specfirst", "scaffold", "--check"], cwd=project)
    main_venv.run(["mypy"], cwd=project)
    serve(main_venv, project, [("POST", "/items/1/archive", 501), ("GET", "/items", 200)])


def test_a_hand_broken_signature_is_reported_at_file_and_line(
    main_venv: Venv, project: Path
) -> None:
    items = project / "src" / "shop_service" / "services" / "items.py"
    text = items.read_text()
    broken = text.replace(
        "item_id: int, principal: Principal) -> models.Item:",
        "item_id: str, principal: Principal) -> models.Item:",
    )
    assert broken != text
    items.write_text(broken)
    try:
        done = main_venv.run(["specfirst", "scaffold", "--check"], cwd=project, check=False)
        line = next(i for i, t in enumerate(broken.splitlines(), 1) if "async def get_item" in t)
        assert done.returncode == 1
        assert (
            f"src/shop_service/services/items.py:{line}: ItemsService.get_item() differs"
            in done.stdout
        )
        assert "item_id: str, expected int" in done.stdout
    finally:
        items.write_text(text)


def test_contract_test_without_the_extra_names_it(
    tmp_path: Path, wheel: Path, constraints: Path, project: Path
) -> None:
    venv = make_venv(tmp_path / "bare", sys.executable, wheel, constraints)
    subprocess.run(
        [
            os.environ.get("UV", "uv"),
            "pip",
            "uninstall",
            "--quiet",
            "--python",
            str(venv.python),
            "schemathesis",
            "requests",
            "hypothesis",
        ],
        check=True,
    )
    done = venv.run(["specfirst", "contract-test"], cwd=project, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "pip install 'specfirst[contract-test]'" in done.stderr
    assert "Traceback" not in done.stderr
    venv.run(["specfirst", "contract-test", "--help"], cwd=project)


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_smoke_on_other_pythons(
    version: str, tmp_path: Path, wheel: Path, constraints: Path
) -> None:
    python = find_python(version)
    if python is None:
        if os.environ.get("CI"):
            pytest.fail(f"Python {version} is not installed")
        pytest.skip(f"Python {version} is not installed")
    venv = make_venv(tmp_path / "venv", python, wheel, constraints)
    assert venv.run(
        ["python", "-c", "import sys; print(sys.version_info[:2])"], cwd=tmp_path
    ).stdout.strip() == str(tuple(map(int, version.split("."))))
    venv.run(["specfirst", "init", "shop", "--name", "shop"], cwd=tmp_path)
    project = tmp_path / "shop"
    venv.run(["pytest", "-q", "-p", "no:cacheprovider", "tests/test_items.py"], cwd=project)
