"""Hostile and odd input at load time: each class is a one-line located error or loads as YAML 1.2.

Fixtures are in `fixtures/robustness/loading/` (and `yaml12.yaml` beside the generating fixtures).
Every command reads contracts through the same loader, so the errors are checked through the CLI
of `validate`, `generate` and `lint`: exit 2 (unreadable), one line naming `file:line:column`, and
no traceback.
"""

from __future__ import annotations

import contextlib
import gc
import json
import shutil
from pathlib import Path

import pytest

from specfirst.cli import main
from specfirst.errors import ContractLoadError
from specfirst.jsontext import MAX_DEPTH, load_json
from specfirst.loader import load_contract

HERE = Path(__file__).parent
ROBUSTNESS = HERE / "fixtures" / "robustness"
LOADING = ROBUSTNESS / "loading"
EXAMPLE = HERE.parents[1] / "specs" / "example" / "openapi.yaml"

# fixture → (line, column) of the fault, and a phrase of the message
REFUSED = {
    "duplicate_keys.yaml": ((10, 5), "duplicate key 'get': already at {file}:7:5"),
    "duplicate_keys.json": ((4, 3), "duplicate key 'info': already at {file}:3:3"),
    "alias_bomb.yaml": ((9, 38), "alias *e expands the document past the limit"),
    "long_integer.yaml": ((8, 16), "integer literal of 5,000 digits is too long"),
    "long_integer.json": ((3, 14), "integer literal of more than 4300 digits is too long"),
    "deep_nesting.yaml": ((4, 136), "nested more than 128 levels deep"),
    "deep_nesting.json": ((2, 139), "nested more than 128 levels deep"),
    "moderate_nesting.json": ((2, 139), "nested more than 128 levels deep"),  # no RecursionError
}


@pytest.fixture(autouse=True)
def _in_fixture_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(LOADING)  # messages name files relative to the working folder


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_loader_refuses_at_the_fault(name: str) -> None:
    (line, column), phrase = REFUSED[name]
    with pytest.raises(ContractLoadError) as refused:
        load_contract(name)
    error = refused.value
    assert (str(error.file), error.line, error.column) == (name, line, column)
    assert phrase.format(file=name) in error.message


@pytest.mark.parametrize("command", ["validate", "generate", "lint"])
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_every_command_reports_one_located_line_and_exit_2(
    name: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [command, name] + (["--out", str(tmp_path)] if command == "generate" else [])
    assert main(args) == 2
    captured = capsys.readouterr()
    output = captured.out + captured.err
    (line, column), _ = REFUSED[name]
    assert f"{name}:{line}:{column}: " in output
    assert "Traceback" not in output
    assert max(len(text) for text in output.splitlines()) < 400
    assert list(tmp_path.iterdir()) == []


def test_alias_bomb_is_refused_before_anything_expands() -> None:
    # 10^9 nodes if expanded: the loader counts what aliases would add instead of building it.
    text = (LOADING / "alias_bomb.yaml").read_text(encoding="utf-8")
    assert text.count("*") == 81
    assert len(text) < 1000
    with pytest.raises(ContractLoadError, match="past the limit"):
        load_contract("alias_bomb.yaml")


def test_anchors_and_merge_keys_within_the_limits_still_load(tmp_path: Path) -> None:
    contract = tmp_path / "anchors.yaml"
    contract.write_text(
        "openapi: 3.1.0\n"
        "info: {title: anchors, version: 1.0.0}\n"
        "paths: {}\n"
        "components:\n"
        "  schemas:\n"
        "    Base: &base {type: object, properties: {id: {type: integer}}}\n"
        "    Named:\n"
        "      <<: *base\n"
        "      description: merged\n"
        "    Copy: *base\n",
        encoding="utf-8",
    )
    schemas = load_contract(contract).document["components"]["schemas"]
    assert schemas["Named"] == {**schemas["Base"], "description": "merged"}
    assert schemas["Copy"] == schemas["Base"]


@pytest.mark.parametrize("name", ["bom.yaml", "bom.json"])
def test_utf8_bom_is_accepted_by_every_command(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (LOADING / name).read_bytes().startswith(b"\xef\xbb\xbf")
    shutil.copy(LOADING / name, tmp_path)
    monkeypatch.chdir(tmp_path)  # generate keeps local state (.specfirst/) in the working folder
    assert load_contract(name).document["paths"]["/ping"]["get"]["operationId"] == "ping"
    line = {"bom.yaml": 6, "bom.json": 10}[name]
    assert load_contract(name).locate("/paths/~1ping/get/operationId").line == line
    assert main(["validate", name]) == 0
    assert main(["lint", name, "--no-config"]) in (0, 1)  # house rules may warn; it read the file
    assert main(["generate", name, "--out", "out", "--package", "bom_api"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    served = (tmp_path / "out" / "bom_api" / "openapi.json").read_text(encoding="utf-8")
    assert "ping" in served


def test_yaml_12_scalars_load_as_strings_keys_and_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROBUSTNESS)
    document = load_contract("yaml12.yaml").document
    answer = document["components"]["schemas"]["Answer"]
    assert answer["required"] == ["yes", "no"]
    assert list(answer["properties"]) == ["yes", "no", "on", "n"]
    assert answer["properties"]["yes"]["default"] == "y"
    assert answer["properties"]["no"]["default"] == "off"
    assert answer["properties"]["on"]["default"] == 12  # decimal in YAML 1.2, not octal 10
    assert answer["properties"]["n"]["examples"] == ["2024-01-01", "1_000"]
    parameter = document["paths"]["/answers"]["get"]["parameters"][0]
    assert parameter["name"] == "on"
    assert parameter["schema"]["enum"] == ["yes", "no", "on", "off", "y", "n"]


def test_yaml_12_document_validates_like_its_json_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROBUSTNESS)
    document = load_contract("yaml12.yaml").document
    twin = tmp_path / "yaml12.json"
    twin.write_text(json.dumps(document), encoding="utf-8")
    assert load_contract(twin).document == document
    assert main(["validate", "yaml12.yaml"]) == 0


@pytest.mark.parametrize("text", ["5", '"openapi"', "null", "[1, [2]]"])
def test_a_json_document_that_is_no_mapping_is_refused_as_such(text: str, tmp_path: Path) -> None:
    # The depth check once iterated a top-level number (TypeError) instead of refusing it.
    contract = tmp_path / "scalar.json"
    contract.write_text(text, encoding="utf-8")
    with pytest.raises(ContractLoadError, match="a contract must be a mapping"):
        load_contract(contract)


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("name", ["duplicate_keys.json", str(EXAMPLE)], ids=["refused", "loaded"])
def test_loading_leaves_the_garbage_collector_as_it_found_it(name: str, enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with contextlib.suppress(ContractLoadError):
            load_contract(name)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_files_loaded_inside_loaded_trees_frozen_stay_out_of_collections() -> None:
    from specfirst.loader import loaded_trees_frozen

    assert gc.get_freeze_count() == 0
    load_contract(str(EXAMPLE))
    assert gc.get_freeze_count() == 0  # outside: nothing frozen
    with loaded_trees_frozen():
        contract = load_contract(str(EXAMPLE))
        assert gc.get_freeze_count() > 0
        assert not any(gc.is_tracked(o) and o is contract.document for o in gc.get_objects())
        with pytest.raises(ContractLoadError), loaded_trees_frozen():
            load_contract("duplicate_keys.json")
        assert gc.get_freeze_count() > 0  # the inner exit leaves the outer's freeze alone
    assert gc.get_freeze_count() == 0  # handed back on leaving


def test_generate_hands_frozen_objects_back(tmp_path: Path) -> None:
    assert main(["generate", str(EXAMPLE), "--out", str(tmp_path)]) == 0
    assert gc.get_freeze_count() == 0


def test_a_json_contract_loads_without_importing_yaml(tmp_path: Path) -> None:
    import subprocess
    import sys

    contract = tmp_path / "api.json"
    contract.write_text(json.dumps({"openapi": "3.1.0", "info": {}, "paths": {}}))
    code = (
        "import sys; from specfirst.loader import load_contract;"
        f"load_contract({str(contract)!r});"
        "print(sorted(m for m in sys.modules if m == 'yaml' or m.endswith('yaml12')))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
    assert load_contract(str(EXAMPLE)).document["openapi"]  # YAML still loads (imported then)


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1])
@pytest.mark.parametrize("deepest", ["dict", "list"])
def test_the_depth_limit_counts_dicts_and_lists_alike(depth: int, deepest: str) -> None:
    """Nesting of exactly `MAX_DEPTH` loads, one level more is refused, whichever containers
    make it up; shallow siblings with scalars, strings and empty containers beside change
    nothing."""
    node: object = {"leaf": "x"} if deepest == "dict" else ["x"]
    for level in range(depth - 1):
        node = {"a": node, "b": [1, "s", {}], "c": None} if level % 2 else [node, "s", []]
    assert _height(node) == depth
    raw = json.dumps(node).encode()
    if depth > MAX_DEPTH:
        with pytest.raises(ContractLoadError, match=f"more than {MAX_DEPTH} levels"):
            load_json(raw, Path("deep.json"))
    else:
        assert load_json(raw, Path("deep.json")) == json.loads(raw)


def _height(node: object) -> int:
    if isinstance(node, dict):
        return 1 + max((_height(value) for value in node.values()), default=0)
    if isinstance(node, list):
        return 1 + max((_height(item) for item in node), default=0)
    return 0
