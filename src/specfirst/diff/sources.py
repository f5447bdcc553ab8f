"""Where the two versions come from: a file, a baseline folder, or `git-ref:path` from git history.

A version in git is materialised into a temporary folder: the entry file from `git show REF:path`,
then every file its relative `$ref`s reach (each file parsed by the loader's reader),
kept at their paths relative to the repository root; then the ordinary loader reads it. Locations are
shown back as `REF:path:line`.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from specfirst.errors import ContractLoadError, Location, SpecfirstError
from specfirst.loader import Contract, load_contract, read_source
from specfirst.openapi import referenced_files

BASELINE_MANIFEST = "baseline.json"


class SourceError(SpecfirstError):
    """A version could not be found: no such file, ref or path in git."""


@dataclass
class Version:
    """One side of the diff: the loaded contract and how to name its files to the reader."""

    spec: str  # as the user wrote it (or as the default was chosen)
    contract: Contract
    root: Path | None = None  # materialised folder: files under it are shown as `ref:path`
    ref: str | None = None

    def where(self, pointer: str | None) -> str | None:
        if pointer is None:
            return None
        return self.show(self.contract.locate(pointer))

    def show(self, location: Location) -> str:
        file = location.file
        if self.root is not None and self.ref is not None:
            try:
                file = Path(Path(file).resolve().relative_to(self.root.resolve()).as_posix())
                return f"{self.ref}:{file.as_posix()}:{location.line}"
            except ValueError:
                pass
        return f"{file.as_posix()}:{location.line}"


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)


def repo_root(cwd: Path | None = None) -> Path:
    result = _git(["rev-parse", "--show-toplevel"], cwd or Path.cwd())
    if result.returncode != 0:
        raise SourceError("not inside a git repository (needed for REF:path)")
    return Path(result.stdout.decode().strip())


def ref_exists(ref: str, cwd: Path | None = None) -> bool:
    result = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd or Path.cwd())
    return result.returncode == 0


def path_exists_at(ref: str, path: str, cwd: Path | None = None) -> bool:
    """Does `path` (relative to the current folder) exist in commit `ref`?"""
    cwd = cwd or Path.cwd()
    try:
        relative = (cwd / path).resolve().relative_to(repo_root(cwd).resolve()).as_posix()
    except (ValueError, SourceError):
        return False
    return _git(["cat-file", "-e", f"{ref}:{relative}"], cwd).returncode == 0


def split_git_spec(spec: str) -> tuple[str, str] | None:
    """`origin/main:specs/x.yaml` → (`origin/main`, `specs/x.yaml`); None for a plain path."""
    if Path(spec).exists() or ":" not in spec:
        return None
    ref, _, path = spec.partition(":")
    return (ref, path) if ref else None


def materialise(ref: str, path: str, dest: Path, cwd: Path | None = None) -> Path:
    """Write the contract at `ref:path` and every file it `$ref`s into `dest`; the entry's path."""
    cwd = cwd or Path.cwd()
    root = repo_root(cwd)
    if ref.startswith("-") or not ref_exists(ref, cwd):
        raise SourceError(f"{ref}: no such git ref (commit, branch or tag)")
    absolute = (cwd / path).resolve()
    try:
        entry = PurePosixPath(absolute.relative_to(root.resolve()).as_posix())
    except ValueError:
        raise SourceError(f"{path} is outside the git repository {root}") from None
    pending = [entry]
    seen: set[PurePosixPath] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        result = _git(["show", f"{ref}:{current.as_posix()}"], root)
        if result.returncode != 0:
            if current == entry:
                raise SourceError(f"{ref}:{current}: no such file at that ref")
            continue  # a dangling $ref: the loader reports it with its location
        target = dest / current
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(result.stdout)
        try:
            data = read_source(target).data
        except ContractLoadError:
            continue  # unreadable: the loader reports it with its location
        for value in referenced_files(data):
            joined = PurePosixPath(_normalise(current.parent / value))
            if joined.parts and joined.parts[0] != "..":
                pending.append(joined)
    return dest / entry


def _normalise(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            else:
                parts.append(part)
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def baseline_entry(folder: Path) -> Path:
    """The entry file of a baseline folder (named in its manifest)."""
    manifest = folder / BASELINE_MANIFEST
    if manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        return folder / str(data["contract"])
    for name in ("openapi.yaml", "openapi.yml", "openapi.json"):
        if (folder / name).is_file():
            return folder / name
    raise SourceError(f"{folder}: not a baseline folder (no {BASELINE_MANIFEST})")


@contextmanager
def open_version(spec: str, *, default_path: str | None = None) -> Iterator[Version]:
    """Load one version: `PATH` (file or baseline folder), `REF:PATH`, or `REF:` (= default_path)."""
    git = split_git_spec(spec)
    if git is None:
        path = Path(spec)
        if path.is_dir():
            path = baseline_entry(path)
        if not path.exists():
            raise SourceError(f"{spec}: no such file")
        yield Version(spec, load_contract(path))
        return
    ref, path_text = git
    if not path_text:
        if default_path is None:
            raise SourceError(f"{spec}: which file? write {ref}:PATH")
        path_text = default_path
    with tempfile.TemporaryDirectory(prefix="specfirst-diff-") as tmp:
        entry = materialise(ref, path_text, Path(tmp))
        yield Version(f"{ref}:{path_text}", load_contract(entry), root=Path(tmp), ref=ref)
