"""Format generated files and put them in place atomically.

Files are written to a sibling temporary folder, formatted there with ruff, and only then swapped
in with renames, so a failed or interrupted run leaves the previous package exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from specfirst.errors import SpecfirstError


class WriteError(SpecfirstError):
    """The generated files could not be formatted or written."""


def ruff_binary() -> str:
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    return os.fsdecode(find_ruff_bin())


def write_tree(files: dict[str, str], folder: Path) -> None:
    """Write `files` (relative path → text) under `folder`, creating parents."""
    for relative, text in sorted(files.items()):
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def format_tree(folder: Path) -> None:
    """ruff: sort imports, drop unused ones, then format; isolated from any project config."""
    common = ["--isolated", "--no-cache", "--target-version", "py311", "--line-length", "100"]
    steps = [
        [
            ruff_binary(),
            "check",
            *common,
            "--fix-only",
            "--select",
            "I,F401",
            "--exit-zero",
            "-q",
            ".",
        ],
        [ruff_binary(), "format", *common, "."],  # not -q: it would hide parse errors
    ]
    for command in steps:
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise WriteError(f"ruff failed on generated code:\n{done.stderr or done.stdout}")


def render_to_temp(files: dict[str, str], near: Path) -> Path:
    """A formatted copy of the package in a temporary folder beside `near`."""
    near.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{near.name}.", dir=near.parent))
    try:
        # mkdtemp makes the folder 0700; the package gets the mode any new folder would get.
        staging.chmod(0o777 & ~current_umask())
        write_tree(files, staging)
        format_tree(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def current_umask() -> int:
    """The process's umask (reading it means setting it; it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def swap_into_place(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` with two renames; the old tree is removed last."""
    backup = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, backup)
    try:
        os.replace(staging, target)
    except BaseException:
        if backup.exists():
            os.replace(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def tree_files(root: Path) -> dict[str, bytes]:
    """Every file below `root` (POSIX relative path → bytes), bytecode caches left out."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def same_tree(left: Path, right: Path) -> list[str]:
    """Relative paths that differ between two folders (added, removed or changed)."""
    a, b = tree_files(left), tree_files(right)
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
