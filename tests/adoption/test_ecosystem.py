"""The pre-commit hooks and the GitHub Actions example name commands that exist."""

from __future__ import annotations

from pathlib import Path

import yaml

from specfirst.cli import build_parser

ROOT = Path(__file__).parents[2]


def commands() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return set(sub.choices or ())


def test_each_hook_runs_a_specfirst_command() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {hook["id"] for hook in hooks} == {
        "specfirst-validate",
        "specfirst-lint",
        "specfirst-check",
    }
    for hook in hooks:
        program, command = hook["entry"].split()
        assert program == "specfirst"
        assert command in commands()
        assert hook["pass_filenames"] is False  # each command covers every configured API


def test_this_repository_uses_its_own_hooks() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    ids = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert {"specfirst-validate", "specfirst-lint", "specfirst-check"} <= ids


def test_the_workflow_example_runs_check_lint_and_comments_the_diff() -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "github-actions" / "specfirst.yml").read_text())
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the `on` key as True
    steps = workflow["jobs"]["contract"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    for line in ("specfirst check", "specfirst lint", "--format markdown", "gh pr comment"):
        assert line in runs
    for word in ("validate", "lint", "check", "diff", "scaffold"):
        assert word in commands()
