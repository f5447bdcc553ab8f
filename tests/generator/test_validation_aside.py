"""Validation beside generation (`pipeline.validation_aside`): the same verdict as validating in
this process, and an invalid contract still generates nothing, whatever generation ran into."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from specfirst.generator import pipeline
from specfirst.loader import load_contract

ROOT = Path(__file__).parents[2]
INVALID = ROOT / "tests" / "generator" / "fixtures" / "robustness" / "invalid" / "usable.yaml"
VALID = ROOT / "tests" / "golden" / "fixtures" / "bodies.yaml"


@pytest.mark.parametrize("contract", [INVALID, VALID], ids=["invalid", "valid"])
def test_the_aside_verdict_is_the_in_process_one(contract: Path) -> None:
    loaded = load_contract(contract)
    expected = pipeline.validation_issues(loaded)
    assert pipeline.validation_aside(loaded)() == expected
    assert bool(expected) == (contract == INVALID)


@pytest.mark.parametrize("contract", ["shared_components.yaml", "valid30/openapi.yaml"])
def test_with_a_validation_cache_the_verdict_is_the_same_cold_and_warm(
    contract: str, tmp_path: Path
) -> None:
    """Both contracts have defaults to judge; the first has invalid ones."""
    loaded = load_contract(ROOT / "tests" / "validate" / "fixtures" / contract)
    expected = pipeline.validation_issues(loaded)
    assert bool(expected) == (contract == "shared_components.yaml")
    assert pipeline.validation_aside(loaded, tmp_path)() == expected  # cold: fills the cache
    assert list((tmp_path / pipeline.VALIDATION_CACHE_SUBDIR).iterdir())
    assert pipeline.validation_aside(loaded, tmp_path)() == expected  # warm
    assert pipeline.validation_issues(loaded, tmp_path) == expected


def test_an_invalid_contract_is_refused_with_every_error_on_a_warm_cache(tmp_path: Path) -> None:
    expected = [str(i) for i in pipeline.validation_issues(load_contract(INVALID))]
    for _ in range(2):
        with pytest.raises(pipeline.InvalidContractError) as refused:
            pipeline.generate_package(INVALID, "bad_api", tmp_path / "out")
        assert [str(i) for i in refused.value.issues] == expected
        assert not (tmp_path / "out" / "bad_api").exists()


def test_a_forked_validation_gives_the_verdict(tmp_path: Path) -> None:
    """In a fresh interpreter (one thread: the fork is taken), for an invalid contract: the
    issues come back through the pipe, and the child is reaped."""
    script = textwrap.dedent(
        f"""
        import os, threading
        from specfirst.generator import pipeline
        from specfirst.loader import load_contract
        contract = load_contract({str(INVALID)!r})
        assert threading.active_count() == 1
        calls = []
        real = pipeline.validation_issues
        pipeline.validation_issues = lambda c, s=None: calls.append(os.getpid()) or real(c, s)
        issues = pipeline.validation_aside(contract)()
        assert calls == [], calls  # this process did not validate: the child did
        assert [str(i) for i in issues] == [str(i) for i in real(contract)], issues
        assert issues
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            print("reaped")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "reaped"


def test_an_invalid_contract_generates_nothing_even_when_generation_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The validation verdict wins over an error of generation itself (which may run on the
    invalid document while validation is under way)."""

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("generation tripped on the invalid document")

    monkeypatch.setattr(pipeline, "stage_package", broken)
    with pytest.raises(pipeline.InvalidContractError):
        pipeline.generate_package(INVALID, "bad_api", tmp_path / "out")
    assert not (tmp_path / "out" / "bad_api").exists()


def test_the_cli_refuses_an_invalid_contract_and_leaves_no_staging(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "specfirst.cli", "generate", str(INVALID), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert "validation error" in done.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_the_forked_validation_yields_the_cores_to_generation() -> None:
    """The child runs at a lower priority than this process (its verdict is awaited only at
    the end, while the models worker and this process's planning are on the critical path)."""
    script = textwrap.dedent(
        f"""
        import os
        from specfirst.generator import pipeline
        from specfirst.loader import load_contract
        contract = load_contract({str(VALID)!r})
        pipeline.validation_issues = lambda c, s=None: [os.nice(0)]  # the child's niceness
        print(pipeline.validation_aside(contract)()[0] - os.nice(0))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == pipeline._VALIDATION_NICENESS > 0
