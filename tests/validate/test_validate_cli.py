"""`specfirst validate`: exit status and `file:line:column: pointer: message` for broken contracts."""

from __future__ import annotations

from pathlib import Path

import pytest

from specfirst.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def run_validate(capsys: pytest.CaptureFixture[str], *paths: Path | str) -> tuple[int, list[str]]:
    code = main(["validate", *(str(p) for p in paths)])
    out = capsys.readouterr().out
    return code, out.splitlines()


@pytest.mark.parametrize(
    ("fixture", "expected_code", "expected_line"),
    [
        pytest.param(
            "yaml_syntax.yaml",
            2,
            "yaml_syntax.yaml:9:27: YAML syntax error",
            id="yaml-syntax-error",
        ),
        pytest.param(
            "dangling_second_file/openapi.yaml",
            1,
            "dangling_second_file/responses.yaml:6:9: /Things/content/application~1json/schema/$ref:"
            " $ref target not found",
            id="dangling-ref-in-second-file",
        ),
        pytest.param(
            "missing_version.yaml",
            1,
            "missing_version.yaml:2:1: /info: 'version' is a required property",
            id="missing-info-version",
        ),
        pytest.param(
            "duplicate_operation_id.yaml",
            1,
            "duplicate_operation_id.yaml:14:7: /paths/~1b/get/operationId: Operation ID 'listThings'"
            " for 'get' in '/b' is not unique (first used at ",
            id="duplicate-operation-id",
        ),
        pytest.param(
            "undeclared_path_parameter.yaml",
            1,
            "undeclared_path_parameter.yaml:7:5: /paths/~1users~1{userId}~1tasks/get: Path parameter"
            " 'userId' for 'get' operation in '/users/{userId}/tasks' was not resolved",
            id="undeclared-path-parameter",
        ),
        pytest.param(
            "dangling_local_ref.yaml",
            1,
            "dangling_local_ref.yaml:15:17:"
            " /paths/~1things/get/responses/200/content/application~1json/schema/$ref:"
            " $ref target not found: #/components/schemas/Nope",
            id="dangling-local-ref",
        ),
    ],
)
def test_broken_contract_is_reported_at_file_line_pointer(
    capsys: pytest.CaptureFixture[str], fixture: str, expected_code: int, expected_line: str
) -> None:
    code, lines = run_validate(capsys, FIXTURES / fixture)

    assert code == expected_code
    assert any(expected_line in line for line in lines), "\n".join(lines)
    assert lines[-1].endswith("unreadable" if expected_code == 2 else ")")


@pytest.mark.parametrize("fixture", ["valid30/openapi.yaml", "valid31/openapi.yaml"])
def test_valid_contract_exits_zero(capsys: pytest.CaptureFixture[str], fixture: str) -> None:
    code, lines = run_validate(capsys, FIXTURES / fixture)

    assert code == 0
    assert len(lines) == 1
    assert lines[0].startswith(f"{FIXTURES / fixture}: valid")


def test_missing_file_is_unreadable(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, lines = run_validate(capsys, tmp_path / "nope.yaml")

    assert code == 2
    assert lines[0] == f"{tmp_path / 'nope.yaml'}:1:1: file not found"


def test_every_error_is_printed_one_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run_validate(capsys, FIXTURES / "shared_components.yaml")

    assert code == 1
    *issues, summary = lines
    assert summary.startswith(
        f"{FIXTURES / 'shared_components.yaml'}: invalid, {len(issues)} errors"
    )
    assert len(issues) >= 10
    for line in issues:
        file, line_no, column, _ = line.split(":", 3)
        assert Path(file).resolve() == FIXTURES / "shared_components.yaml"
        assert int(line_no) > 1
        assert int(column) >= 1


def test_worst_status_wins_over_several_paths(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run_validate(
        capsys,
        FIXTURES / "valid31/openapi.yaml",
        FIXTURES / "missing_version.yaml",
        FIXTURES / "yaml_syntax.yaml",
    )

    assert code == 2
    summaries = [line for line in lines if line.endswith(("unreadable", ")"))]
    assert len(summaries) == 3


def test_without_paths_validates_configured_contracts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "good.yaml").write_text((FIXTURES / "valid31/openapi.yaml").read_text())
    (specs / "bad.yaml").write_text((FIXTURES / "missing_version.yaml").read_text())
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n'
        '[[tool.specfirst.apis]]\nname = "good"\ncontract = "specs/good.yaml"\npackage = "good_api"\n\n'
        '[[tool.specfirst.apis]]\nname = "bad"\ncontract = "specs/bad.yaml"\npackage = "bad_api"\n'
    )
    monkeypatch.chdir(tmp_path)

    code, lines = run_validate(capsys)

    assert code == 1
    assert "specs/good.yaml: valid" in lines[0]
    assert lines[1].startswith("specs/bad.yaml:2:1: /info: 'version' is a required property")
