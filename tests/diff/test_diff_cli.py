"""`specfirst diff` end to end: multi-file contracts, git refs, baselines, the version rule, outputs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from specfirst.cli import main
from specfirst.diff.verdict import Verdict, parse_version

MULTI = Path(__file__).parent / "fixtures" / "multi"
BASE = MULTI / "base" / "openapi.yaml"
HEAD = MULTI / "head" / "openapi.yaml"


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    """The one report of a JSON run."""
    data = json.loads(capsys.readouterr().out)
    [report] = data["reports"]
    assert data["failed"] is report["failed"]
    return report


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _set_version(folder: Path, version: str) -> None:
    entry = folder / "openapi.yaml"
    text = entry.read_text(encoding="utf-8")
    entry.write_text(text.replace("version: 1.5.0", f"version: {version}"), encoding="utf-8")


def test_multi_file_contracts_are_resolved_and_located_per_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["diff", "--format", "json", str(BASE), str(HEAD)]) == 1
    report = _json(capsys)
    changes = {c["code"]: c for c in report["changes"]}
    assert set(changes) == {
        "request-property-became-required",
        "request-constraint-narrowed",
        "response-enum-value-added",
        "request-parameter-added",
        "request-enum-value-added",
    }
    narrowed = changes["request-constraint-narrowed"]
    assert narrowed["level"] == "breaking"
    assert narrowed["base"]["location"].endswith("multi/base/schemas/items.yaml:12")
    assert narrowed["head"]["location"].endswith("multi/head/schemas/items.yaml:12")
    assert narrowed["operations"] == ["POST /items"]
    assert changes["response-enum-value-added"]["level"] == "warning"
    assert changes["response-enum-value-added"]["operations"] == ["GET /items", "POST /items"]
    assert report["failed"] is True
    assert report["suggested_version"] == "2.0.0"
    [method] = report["methods"]
    assert method["method"] == "ItemsService.list_items"
    assert "colour: str | None = None" in method["after"]
    assert "colour" not in method["before"]
    assert report["model_methods"] == ["ItemsService.create_item"]


@pytest.mark.parametrize(
    ("version", "code", "summary"),
    [
        ("2.0.0", 0, "Breaking changes are allowed: info.version's major part was bumped"),
        ("1.6.0", 1, "Breaking changes without a new major version"),
        ("v2.0.0-rc.1", 0, "major part was bumped (1.4.0 → v2.0.0-rc.1)"),
    ],
)
def test_a_major_version_bump_allows_breaking_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str, code: int, summary: str
) -> None:
    head = tmp_path / "head"
    shutil.copytree(MULTI / "head", head)
    _set_version(head, version)
    assert main(["diff", str(BASE), str(head / "openapi.yaml")]) == code
    assert summary in capsys.readouterr().out


def test_no_breaking_change_exits_0_and_suggests_a_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["diff", "--format", "json", str(BASE), str(BASE)]) == 0
    report = _json(capsys)
    assert report["changes"] == []
    assert report["summary"] == "No changes."


def test_warnings_fail_with_fail_on_warning(tmp_path: Path) -> None:
    head = tmp_path / "head"
    shutil.copytree(MULTI / "base", head)
    items = head / "schemas" / "items.yaml"
    items.write_text(
        items.read_text(encoding="utf-8").replace(
            "colour: {type: string, enum: [red, green]}\nNewItem",
            "colour: {type: string, enum: [red, green, blue]}\nNewItem",
        ),
        encoding="utf-8",
    )
    assert main(["diff", str(BASE), str(head / "openapi.yaml")]) == 0
    assert main(["diff", "--fail-on", "warning", str(BASE), str(head / "openapi.yaml")]) == 1


def test_markdown_report_for_a_pull_request(capsys: pytest.CaptureFixture[str]) -> None:
    main(["diff", "--format", "markdown", str(BASE), str(HEAD)])
    text = capsys.readouterr().out
    assert text.startswith("### API contract diff: 1.4.0 → 1.5.0\n")
    assert "❌ **2 breaking, 1 warning, 2 non-breaking, 0 documentation-only.**" in text
    assert "#### Breaking (2)" in text
    assert (
        "| NewItem.name in requests: maxLength lowered from 200 to 100"
        " <sub>`request-constraint-narrowed`</sub> | POST /items |"
    ) in text
    assert "```diff\n# ItemsService.list_items (changed; GET /items)\n" in text
    assert "+     colour: str | None = None,\n" in text
    assert "<details><summary>Non-breaking (2)</summary>" in text


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    assert main(["diff", "--format", "markdown", "-o", str(out), str(BASE), str(HEAD)]) == 1
    assert out.read_text(encoding="utf-8").startswith("### API contract diff")


def test_operation_id_rename_renames_the_service_method(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = tmp_path / "head"
    shutil.copytree(MULTI / "base", head)
    entry = head / "openapi.yaml"
    entry.write_text(
        entry.read_text(encoding="utf-8").replace("listItems", "getItems"), encoding="utf-8"
    )
    main(["diff", "--format", "json", str(BASE), str(entry)])
    report = _json(capsys)
    assert [c["code"] for c in report["changes"]] == ["operation-id-changed"]
    [method] = report["methods"]
    assert method["kind"] == "renamed"
    assert method["method"] == "ItemsService.get_items"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose last commit holds the base contract and whose work tree the head."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(MULTI / "base", repo / "api")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    shutil.rmtree(repo / "api")
    shutil.copytree(MULTI / "head", repo / "api")
    monkeypatch.chdir(repo)
    return repo


def test_git_ref_against_the_work_tree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--format", "json", "HEAD:api/openapi.yaml"]) == 1
    report = _json(capsys)
    assert report["base"] == "HEAD:api/openapi.yaml"
    assert report["head"] == "api/openapi.yaml"
    narrowed = next(c for c in report["changes"] if c["code"] == "request-constraint-narrowed")
    assert narrowed["base"]["location"] == "HEAD:api/schemas/items.yaml:12"
    assert narrowed["head"]["location"] == "api/schemas/items.yaml:12"


def test_git_ref_on_both_sides_and_short_form(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "head")
    assert (
        main(["diff", "--format", "json", "HEAD~1:api/openapi.yaml", "HEAD:api/openapi.yaml"]) == 1
    )
    assert len(_json(capsys)["changes"]) == 5
    assert main(["diff", "--format", "json", "HEAD~1:", "api/openapi.yaml"]) == 1
    assert _json(capsys)["base"] == "HEAD~1:api/openapi.yaml"


def test_unknown_ref_or_path_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "nosuchref:api/openapi.yaml"]) == 2
    assert "nosuchref: no such git ref" in capsys.readouterr().err
    assert main(["diff", "HEAD:api/missing.yaml", "api/openapi.yaml"]) == 2
    assert "HEAD:api/missing.yaml: no such file at that ref" in capsys.readouterr().err


@pytest.fixture
def project(repo: Path) -> Path:
    """The repository as a project: [tool.specfirst] names the contract."""
    (repo / "pyproject.toml").write_text(
        '[tool.specfirst]\n[[tool.specfirst.apis]]\nname = "items"\n'
        'contract = "api/openapi.yaml"\npackage = "items_api"\n',
        encoding="utf-8",
    )
    return repo


def test_record_baseline_then_diff_against_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", "--release-baseline"]) == 0  # make release-baseline spells it so
    folder = project / "contracts" / "baselines" / "items"
    manifest = json.loads((folder / "baseline.json").read_text(encoding="utf-8"))
    assert manifest["contract"] == "api/openapi.yaml"
    assert manifest["version"] == "1.5.0"
    assert manifest["files"] == ["api/openapi.yaml", "api/schemas/items.yaml"]
    assert (folder / "api" / "schemas" / "items.yaml").is_file()
    capsys.readouterr()
    assert main(["diff"]) == 0  # the baseline is the head itself
    assert "No changes." in capsys.readouterr().out
    _set_version(project / "api", "1.5.1")
    assert main(["diff", "--format", "json"]) == 0
    report = _json(capsys)
    assert report["base"] == "contracts/baselines/items"
    assert report["api"] == "items"


def test_default_base_is_origin_main_without_a_baseline(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff"]) == 0  # before the first release there is nothing to break
    assert "items: nothing to compare with (no baseline in contracts/baselines/items" in (
        capsys.readouterr().err
    )
    _git(project, "update-ref", "refs/remotes/origin/main", "HEAD")
    assert main(["diff", "--format", "json", "--api", "items"]) == 1
    assert _json(capsys)["base"] == "origin/main:api/openapi.yaml"


def test_an_api_new_on_this_branch_is_skipped(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _git(project, "update-ref", "refs/remotes/origin/main", "HEAD")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            '[[tool.specfirst.apis]]\nname = "new"\ncontract = "new/openapi.yaml"\npackage = "n"\n'
        )
    shutil.copytree(MULTI / "head", project / "new")
    assert main(["diff", "--format", "json"]) == 1  # items still compared
    captured = capsys.readouterr()
    assert "new: nothing to compare with" in captured.err
    assert [r["api"] for r in json.loads(captured.out)["reports"]] == ["items"]


def test_unreadable_contract_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: [\n", encoding="utf-8")
    assert main(["diff", str(BASE), str(broken)]) == 2
    assert "broken.yaml:" in capsys.readouterr().err


def test_version_parsing_and_suggestions() -> None:
    assert parse_version("1.2.3") == (1, 2, 3)
    assert parse_version("v2") == (2, 0, 0)
    assert parse_version("latest") is None
    verdict = Verdict(0, 0, "0.9.1", "0.9.1")
    assert verdict.suggested_version([]) is None
    assert not Verdict(1, 0, "latest", "2.0.0").major_bumped


def test_markdown_fits_in_a_pull_request_comment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = {"200": {"description": "ok"}}
    paths = {
        f"/things/number-{i}/with-a-rather-long-path": {
            "get": {"operationId": f"get{i}", "responses": ok}
        }
        for i in range(1500)
    }
    base, head = tmp_path / "base.json", tmp_path / "head.json"
    info = {"title": "t", "version": "1.0.0"}
    base.write_text(
        json.dumps({"openapi": "3.1.0", "info": info, "paths": paths}), encoding="utf-8"
    )
    head.write_text(json.dumps({"openapi": "3.1.0", "info": info, "paths": {}}), encoding="utf-8")
    assert main(["diff", "--format", "markdown", str(base), str(head)]) == 1
    text = capsys.readouterr().out
    assert len(text) <= 60_000
    assert "#### Breaking (1500)" in text
    assert "more: `specfirst diff --format text` or `--format json` lists them all" in text


def test_github_annotations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--format", "github", str(BASE), str(HEAD)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("::error file=")
    assert lines[1].endswith(
        "/head/schemas/items.yaml,line=12,title=specfirst diff request-constraint-narrowed"
        "::NewItem.name in requests: maxLength lowered from 200 to 100"
    )
    assert lines[2].startswith("::warning file=")
    assert lines[-1].startswith("::notice title=specfirst diff::contract: 2 breaking")


def test_one_base_file_with_several_apis_needs_api(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (project / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            '[[tool.specfirst.apis]]\nname = "b"\ncontract = "b/openapi.yaml"\npackage = "b"\n'
        )
    base = str(BASE)
    assert main(["diff", base]) == 2
    assert "pass --api (items, b) or HEAD" in capsys.readouterr().err
    assert main(["diff", "--api", "items", base]) == 1
