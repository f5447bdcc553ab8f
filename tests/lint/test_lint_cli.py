"""`specfirst lint` end to end: real files, `file:line`, configuration, output formats, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from specfirst.cli import main
from specfirst.config import ConfigError
from specfirst.lint import (
    RULES,
    LintSettings,
    Severity,
    lint_contract,
    lint_document,
    settings_from_table,
)
from specfirst.loader import load_contract

FIXTURES = Path(__file__).parent / "fixtures"
CLEAN = FIXTURES / "clean" / "openapi.yaml"

BAD = """\
openapi: 3.0.3
info:
  title: Bad
  version: "1.0"
paths:
  /tasks:
    get:
      operationId: listTasks
      tags: [tasks]
      parameters:
        - {name: q, in: query, schema: {type: string}}
      responses:
        "200":
          description: ok
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with a pyproject naming one API whose contract breaks three rules."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "bad.yaml").write_text(BAD, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.specfirst]\n[[tool.specfirst.apis]]\nname = "bad"\n'
        'contract = "specs/bad.yaml"\npackage = "bad_api"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_clean_multi_file_contract_has_no_findings() -> None:
    assert lint_contract(load_contract(CLEAN)) == []


def test_findings_point_at_file_and_line(project: Path) -> None:
    findings = lint_contract(load_contract("specs/bad.yaml"))
    by_rule = {f.rule: f for f in findings}
    assert set(by_rule) == {"info-version-semver", "operation-summary", "response-4xx"}
    version = by_rule["info-version-semver"].location
    assert version is not None
    assert (version.file, version.line) == (Path("specs/bad.yaml"), 4)
    summary = by_rule["operation-summary"].location
    assert summary is not None
    assert summary.line == 7


def test_findings_in_a_referenced_file_point_into_that_file(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "clean", tmp_path / "c")
    schemas = tmp_path / "c" / "schemas.yaml"
    schemas.write_text(
        schemas.read_text(encoding="utf-8").replace("  required: [title]\n", ""), encoding="utf-8"
    )
    [finding] = lint_contract(load_contract(tmp_path / "c" / "openapi.yaml"))
    assert finding.rule == "write-body-required"
    assert finding.location is not None
    assert finding.location.file.name == "schemas.yaml"
    assert finding.location.line == 7


def test_unused_definitions_in_referenced_files_are_found(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "clean", tmp_path / "c")
    schemas = tmp_path / "c" / "schemas.yaml"
    schemas.write_text(
        schemas.read_text(encoding="utf-8")
        + "Orphan:\n  type: object\n  properties:\n    x: {$ref: '#/AlsoOrphan'}\n"
        + "AlsoOrphan: {type: string}\n"
        + "Kept:\n  x-lint-ignore: [unused-component]\n  type: string\n",
        encoding="utf-8",
    )
    findings = lint_contract(load_contract(tmp_path / "c" / "openapi.yaml"))
    assert [(f.rule, f.message) for f in findings] == [
        ("unused-component", f"Orphan in {schemas.as_posix()} is never used"),
        ("unused-component", f"AlsoOrphan in {schemas.as_posix()} is never used"),
    ]
    orphan = findings[0].location
    assert orphan is not None
    assert (orphan.file.name, orphan.line) == ("schemas.yaml", 26)


def test_text_output_and_exit_code(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint"]) == 1
    out = capsys.readouterr().out
    assert "specs/bad.yaml:4:3: error [info-version-semver]" in out
    assert out.rstrip().endswith("3 errors, 0 warnings in 1 contract")


def test_json_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--format", "json", "specs/bad.yaml"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == 3
    first = data["findings"][0]
    assert first == {
        "rule": "info-version-semver",
        "severity": "error",
        "message": "info.version '1.0' is not a semantic version like 1.4.0",
        "file": "specs/bad.yaml",
        "line": 4,
        "column": 3,
        "pointer": "/info/version",
    }


def test_github_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["lint", "--format", "github"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "::error file=specs/bad.yaml,line=4,col=3,title=specfirst lint info-version-semver"
        "::info.version '1.0' is not a semantic version like 1.4.0"
    )
    assert len(lines) == 3


def test_pyproject_changes_severities(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (project / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            "[tool.specfirst.lint.rules]\n"
            'info-version-semver = "off"\noperation-summary = "warning"\nresponse-4xx = "off"\n'
        )
    assert main(["lint"]) == 0
    out = capsys.readouterr().out
    assert "warning [operation-summary]" in out
    assert "info-version" not in out
    assert main(["lint", "--fail-on", "warning"]) == 1
    assert main(["lint", "--rule", "operation-summary=off"]) == 0


def test_cli_override_beats_config_and_no_config_ignores_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (project / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write('[tool.specfirst.lint.rules]\nresponse-4xx = "off"\n')
    main(["lint", "--format", "json", "--no-config", "specs/bad.yaml"])
    assert json.loads(capsys.readouterr().out)["errors"] == 3


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"rules": {"response-4x": "off"}}, "unknown lint rule 'response-4x'"),
        ({"rules": {"response-4xx": "fatal"}}, "severity must be error, warning or off"),
        ({"options": {"limit-params": ["n"]}}, "unknown option 'limit-params'"),
        ({"rule": {}}, "unknown key(s) rule"),
    ],
)
def test_config_mistakes_are_reported(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        settings_from_table(table)
    assert message in str(excinfo.value)


def test_bad_config_and_unreadable_contract_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint", "--rule", "nope=off"]) == 2
    assert "unknown lint rule 'nope'" in capsys.readouterr().err
    (project / "specs" / "broken.yaml").write_text("openapi: [\n", encoding="utf-8")
    assert main(["lint", "specs/broken.yaml"]) == 2
    assert "specs/broken.yaml:" in capsys.readouterr().err


def test_options_change_what_pagination_accepts() -> None:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1.0.0"},
        "paths": {
            "/a": {
                "get": {
                    "parameters": [
                        {"name": "n", "in": "query", "schema": {"type": "integer", "maximum": 9}},
                        {"name": "from", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"type": "array"}}},
                        }
                    },
                }
            }
        },
    }
    assert [f.rule for f in lint_document(document)].count("paginated-lists") == 2
    settings = settings_from_table(
        {"options": {"limit-parameters": ["n"], "page-parameters": ["from"]}}
    )
    assert "paginated-lists" not in [f.rule for f in lint_document(document, settings)]


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--list-rules", "--no-config"]) == 0
    out = capsys.readouterr().out
    assert "response-4xx" in out
    assert "operation-tag             warning" in out


def test_settings_severity_defaults() -> None:
    settings = LintSettings()
    assert settings.severity(RULES["operation-tag"]) is Severity.WARNING
