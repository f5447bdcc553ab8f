"""The wheel tier's machinery: build the wheel once, install it into fresh virtual environments.

`uv pip install` takes its versions from this repository's uv.lock (as constraints), so a run
uses the local uv cache and installs the same versions the rest of the suite tests.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def uv() -> str:
    found = shutil.which("uv")
    if found is None:
        pytest.fail("the wheel tier needs uv (make install puts it on PATH)")
    return found


def find_python(version: str) -> str | None:
    """An interpreter for `version`: uv's own search, else pyenv's installed versions."""
    done = subprocess.run(
        [uv(), "python", "find", version],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip()
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(
        glob.glob(str(root / "versions" / f"{version}.*" / "bin" / f"python{version}"))
    )
    return candidates[-1] if candidates else None


@dataclass(frozen=True)
class Venv:
    folder: Path

    @property
    def bin(self) -> Path:
        return self.folder / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self) -> dict[str, str]:
        """The environment a user of this venv has: its bin first, no PYTHONPATH."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME") and not k.startswith("UV_")
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.folder)
        return env

    def run(
        self,
        command: Sequence[str | Path],
        cwd: Path,
        *,
        check: bool = True,
        timeout: float = 600,
        extra_env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(part) for part in command],
            cwd=cwd,
            env={**self.env(), **(extra_env or {})},
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            pytest.fail(
                f"{' '.join(map(str, command))} exited {done.returncode}:\n"
                f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
            )
        return done


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """specfirst's wheel, beside the wheel of `specfirst-runtime` (a workspace member, not on
    PyPI): `make_venv` finds it there (`--find-links`)."""
    out = tmp_path_factory.mktemp("dist")
    for source in (ROOT, ROOT / "runtime"):
        subprocess.run(
            [uv(), "build", "--wheel", "--out-dir", str(out), str(source)],
            check=True,
            capture_output=True,
        )
    (built,) = out.glob("specfirst-[0-9]*.whl")
    return built


@pytest.fixture(scope="session")
def constraints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("constraints") / "constraints.txt"
    done = subprocess.run(
        [
            uv(),
            "export",
            "--frozen",
            "--no-hashes",
            "--no-emit-project",
            "--no-emit-workspace",
            "--format",
            "requirements-txt",
            "--all-groups",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    path.write_text(done.stdout)
    return path


def make_venv(folder: Path, python: str, wheel: Path, constraints: Path, *extra: str) -> Venv:
    subprocess.run([uv(), "venv", "--quiet", "--python", python, str(folder)], check=True)
    venv = Venv(folder)
    done = subprocess.run(
        [
            uv(),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv.python),
            "-c",
            str(constraints),
            "--find-links",
            str(wheel.parent),
            f"{wheel}[contract-test]",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
    )
    if done.returncode != 0:
        pytest.fail(f"uv pip install failed:\n{done.stderr[-4000:]}")
    return venv


@pytest.fixture(scope="session")
def main_venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path, constraints: Path) -> Venv:
    """The wheel with its extra (and mypy, from the new project's dev group) on this Python."""
    return make_venv(
        tmp_path_factory.mktemp("venv") / "venv", sys.executable, wheel, constraints, "mypy"
    )
