"""Format generated files and put them in place atomically.

Files are written to a sibling temporary folder, formatted there with ruff, and only then swapped
in with renames, so a failed or interrupted run leaves the previous package exactly as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from specfirst.errors import SpecfirstError
from specfirst.generator.state import evict, write_atomically

if TYPE_CHECKING:
    from specfirst.generator.format_pieces import Ruff


class WriteError(SpecfirstError):
    """The generated files could not be formatted or written."""


# The key under which the generator's kept fingerprint holds where ruff's binary is.
RUFF_BINARY = "ruff binary"


def ruff_binary() -> str:
    """Where ruff's binary is: as the kept fingerprint says (`pipeline.kept_value`: found the
    last time in the same folders, unchanged, and still a file), else as ruff finds it
    (`find_ruff_binary`: 0.01-0.02 s, `sysconfig` above all, on the end of every run)."""
    from specfirst.generator.pipeline import kept_value

    kept = kept_value(RUFF_BINARY)
    return kept if kept is not None and os.path.isfile(kept) else find_ruff_binary()


def find_ruff_binary() -> str:
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    return os.fsdecode(find_ruff_bin())


# A generated file's content: text to format (Python) or write as it is, or bytes written as they are.
FileData = str | bytes


def write_tree(files: Mapping[str, FileData], folder: Path) -> None:
    """Write `files` (relative path → text or bytes) under `folder`, creating parents."""
    made: set[Path] = set()
    for relative, data in sorted(files.items()):
        path = folder / relative
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


_RUFF_COMMON = ["--isolated", "--no-cache", "--target-version", "py311", "--line-length", "100"]


def format_tree(folder: Path, only: list[str] | None = None) -> None:
    """ruff: sort imports, drop unused ones, then format; isolated from any project config.
    `only`: these files (relative paths) and no others; the rest of the folder is still there,
    so each file is formatted exactly as in a run over the whole folder."""
    targets = ["."] if only is None else sorted(only)
    if not targets:
        return
    steps = [
        [
            ruff_binary(),
            "check",
            *_RUFF_COMMON,
            "--fix-only",
            "--select",
            "I,F401",
            "--exit-zero",
            "-q",
            *targets,
        ],
        [ruff_binary(), "format", *_RUFF_COMMON, *targets],  # not -q: it would hide parse errors
    ]
    for command in steps:
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise WriteError(f"ruff failed on generated code:\n{done.stderr or done.stdout}")


FORMAT_CACHE_SUBDIR = "format-cache"
FORMAT_CACHE_MAX_BYTES = 512 * 1024 * 1024


def render_to_temp(
    files: Mapping[str, FileData],
    near: Path,
    cache: Path | None = None,
    then: Callable[[], Mapping[str, FileData]] | None = None,
) -> Path:
    """A formatted copy of the package in a temporary folder beside `near` (`stage_files`)."""
    return stage_files(files, near, cache, then)[0]


def stage_files(
    files: Mapping[str, FileData],
    near: Path,
    cache: Path | None = None,
    then: Callable[[], Mapping[str, FileData]] | None = None,
    digests: dict[str, str] | None = None,
) -> tuple[Path, dict[str, bytes]]:
    """A formatted copy of the package in a temporary folder beside `near`, and the bytes of
    every file written there (so callers hash and compare them without reading them back).
    `digests`: filled with each file's SHA-256 (hex); the files `then` gives that the cache
    has are hashed while `files` are formatted.

    Python files (`.py`, given as text) are formatted; anything else is written as it is.
    With `cache` (a folder), each file's formatted text is kept under a hash of its unformatted
    text and ruff's version, and ruff runs only on the files not found there: an edit to one
    operation reformats one router instead of the whole package.

    `then`: the rest of the files, computed while `files` are formatted (ruff runs in its own
    processes, waited for by a thread). `files` must then import none of them: isort tells first
    party from third party by the modules present in the folder.
    """
    near.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{near.name}.", dir=near.parent))
    try:
        # mkdtemp makes the folder 0700; the package gets the mode any new folder would get.
        staging.chmod(0o777 & ~current_umask())
        if then is None:
            written = _write_and_format(files, staging, cache, cache is None, near.name)
        else:
            with ThreadPoolExecutor(1, thread_name_prefix="specfirst-format") as pool:
                early = pool.submit(_write_and_format, files, staging, cache, False, near.name)
                try:
                    late = then()

                    # Written (and found in the cache) while `files` are formatted; ruff runs
                    # on the rest once they are, in the folder a run over all files sees.
                    def wait(found: dict[str, bytes]) -> None:
                        if digests is not None:  # hashlib lets the format thread run meanwhile
                            digests.update((n, sha256_hex(d)) for n, d in found.items())
                        early.result()

                    done = _write_and_format(late, staging, cache, False, near.name, wait)
                finally:
                    written = early.result()  # its exception, if any, raised here
            written.update(done)
        if digests is not None:
            digests.update((n, sha256_hex(d)) for n, d in written.items() if n not in digests)
        if cache is not None:
            evict(cache, max_bytes=FORMAT_CACHE_MAX_BYTES)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, written


def format_ahead(
    files: Mapping[str, FileData], near: Path, cache: Path, others: Collection[str] = ()
) -> None:
    """Format the Python files of `files` (given as text) into the format `cache`, so that a
    later `stage_files` of the package finds each of them there: they are staged with empty
    files named `others` (the package's files not given: models.py; which modules are present
    is all isort reads of the others), and the staging folder is removed. Run where nothing
    waits for it (`pipeline._ViewAhead`, while the models are generated): at the end of the
    run the view files are cache hits instead of a ruff run after models.py's. Best effort:
    the cache is keyed by each file's text, so a file formatted here or not, the package is
    the same."""
    if not any(_formats(name, data) for name, data in files.items()):
        return  # all of them the last run's formatted bytes
    empty: dict[str, FileData] = {name: b"" for name in others if name not in files}
    staging, _ = stage_files({**empty, **files}, near, cache)
    shutil.rmtree(staging, ignore_errors=True)


def sha256_hex(data: bytes) -> str:
    """The digest the stamp records of a file (and of an input)."""
    return hashlib.sha256(data).hexdigest()


def _formats(name: str, data: FileData) -> bool:
    """Whether a file goes through ruff: Python source, given as text."""
    return isinstance(data, str) and name.endswith(".py")


def _write_and_format(
    files: Mapping[str, FileData],
    staging: Path,
    cache: Path | None,
    everything: bool = False,
    package: str | None = None,
    before_ruff: Callable[[dict[str, bytes]], object] | None = None,
) -> dict[str, bytes]:
    """Write `files` into `staging`, taking formatted texts from `cache` where it has them, and
    run ruff on the Python files it has not (`everything`: on the whole folder instead). The
    bytes of each file as finally written.

    The cache holds each file with its header's contract hash neutralised (`_neutral`): every
    edit changes that hash in every file, and would otherwise reformat the whole package.
    A large file (models.py) is formatted piece by piece (`format_pieces`), its pieces kept in
    a cache entry named after `package` and the file, which is its only entry (no whole-file
    entry of 3.8 MB beside it on every edit); a large file the pieces do not cover is formatted
    whole and cached as the others. `before_ruff`: called with the bytes of the files written
    so far (those found in the cache) before ruff runs on any file (a wait for other files'
    formatting)."""
    if cache is None:
        write_tree(files, staging)
        if before_ruff is not None:
            before_ruff({})
        format_tree(
            staging, None if everything else [n for n, d in files.items() if _formats(n, d)]
        )
        return {name: (staging / name).read_bytes() for name in files}
    written: dict[str, bytes] = {}
    first_pass: dict[str, FileData] = {}
    missing: dict[str, tuple[str, str | None, str]] = {}  # name → (neutral text, line, key)
    large: list[str] = []  # formatted piece by piece, if it can be
    unrestored: list[str] = []
    for name, data in files.items():
        if not _formats(name, data):
            written[name] = data.encode("utf-8") if isinstance(data, str) else data
            first_pass[name] = written[name]
            continue
        assert isinstance(data, str)
        if package is not None and _in_pieces(data):
            large.append(name)
            continue
        text, first_line = _neutral(data)
        key = _format_key(name, text)
        formatted = _read_formatted(cache, key)
        if formatted is None:
            missing[name] = (text, first_line, key)
            first_pass[name] = text
            continue
        final = _restored(formatted, text, first_line)
        if final is None:
            unrestored.append(name)
            first_pass[name] = formatted
        else:
            written[name] = final.encode("utf-8")
            first_pass[name] = written[name]
    # Every file is in the folder before ruff runs, as in a run over the whole folder.
    write_tree(first_pass, staging)
    if before_ruff is not None:
        before_ruff(written)
    for name in large:
        assert package is not None
        neutral, first_bytes = neutral_bytes(str(files[name]).encode("utf-8"))
        pieces = _pieces(name, neutral, staging, cache, package)
        final_bytes = pieces
        if pieces is not None and first_bytes is not None:
            final_bytes = with_first_line(pieces, first_bytes)
        if final_bytes is not None:
            written[name] = final_bytes
            write_tree({name: final_bytes}, staging)
            continue
        if pieces is not None:  # format it with its own header, and cache nothing for it
            unrestored.append(name)
            continue
        text, first_line = _neutral(str(files[name]))
        key = _format_key(name, text)
        if (kept := _read_formatted(cache, key)) is not None and (
            final := _restored(kept, text, first_line)
        ) is not None:  # a layout the pieces do not cover: cached whole, as the others
            written[name] = final.encode("utf-8")
            write_tree({name: written[name]}, staging)
        else:
            missing[name] = (text, first_line, key)
            write_tree({name: text}, staging)
    format_tree(staging, sorted(missing))
    restored: dict[str, bytes] = {}
    for name, (text, first_line, key) in missing.items():
        path = staging / name
        data = path.read_bytes()
        _write_formatted(cache, key, data)
        final = _restored(data.decode("utf-8"), text, first_line)
        if final is None:
            unrestored.append(name)
        else:
            written[name] = final.encode("utf-8")
            if first_line is not None:
                restored[name] = written[name]
    write_tree(restored, staging)
    if unrestored:  # format those with their own header, and cache nothing for them
        write_tree({name: files[name] for name in unrestored}, staging)
        format_tree(staging, unrestored)
        for name in unrestored:
            written[name] = (staging / name).read_bytes()
    return written


def _in_pieces(text: str) -> bool:
    """Whether a file is large enough to be formatted piece by piece (`format_pieces`)."""
    from specfirst.generator import format_pieces

    return len(text) >= format_pieces.MIN_BYTES


def _pieces(name: str, text: bytes, staging: Path, cache: Path, package: str) -> bytes | None:
    """The neutral `text` (UTF-8) of `name` formatted piece by piece (`format_pieces`), its
    pieces kept in a bundle named after `package` and the file, which also answers for the
    whole text; None for a layout the pieces do not cover."""
    from specfirst.generator import format_pieces

    bundle = hashlib.sha256(f"pieces\0{package}\0{name}".encode()).hexdigest()
    return format_pieces.format_module(text, name, staging, cache, bundle, _ruff())


def _ruff() -> Ruff:
    """How `format_tree` runs ruff, for `format_pieces`."""
    from specfirst.generator.format_pieces import Ruff

    def format_file(folder: Path, name: str) -> bool:
        try:
            format_tree(folder, [name])
        except WriteError:
            return False
        return True

    signature = f"{_ruff_version()}\0{' '.join(_RUFF_COMMON)}"
    return Ruff(ruff_binary(), _RUFF_COMMON, signature, format_file)


def _restored(formatted: str, text: str, first_line: str | None) -> str | None:
    """The formatted neutral `text` with its real first line back; None when ruff did not keep
    the neutral first line (never seen: ruff leaves comments as they are)."""
    if first_line is None:
        return formatted
    if not formatted.startswith(text.partition("\n")[0] + "\n"):
        return None
    return first_line + formatted[formatted.index("\n") :]


# The contract's hash in the first line of every generated file (`render.make_header`).
_HEADER_HASH = re.compile(r"\(sha256 [0-9a-f]{16}\)")
_NEUTRAL_HASH = "(sha256 " + "0" * 16 + ")"


def _neutral(text: str) -> tuple[str, str | None]:
    """`text` with the contract hash of its first line (a comment) replaced by zeros of the same
    length, and the first line as it was (None when there is no such line). ruff keeps
    comments as they are, so the two format alike but for that line."""
    first, newline, rest = text.partition("\n")
    found = _HEADER_HASH.search(first) if first.startswith("#") and newline else None
    if found is None:
        return text, None
    return first[: found.start()] + _NEUTRAL_HASH + first[found.end() :] + newline + rest, first


_HEADER_HASH_BYTES = re.compile(_HEADER_HASH.pattern.encode())


def neutral_bytes(data: bytes) -> tuple[bytes, bytes | None]:
    """`_neutral` of a file as UTF-8: the hash and its zeros are ASCII, so these are the bytes
    of the neutral text, and the real first line's."""
    end = data.find(b"\n")
    first = data[:end]
    found = _HEADER_HASH_BYTES.search(first) if end >= 0 and first.startswith(b"#") else None
    if found is None:
        return data, None
    neutral = first[: found.start()] + _NEUTRAL_HASH.encode() + first[found.end() :]
    return b"".join((neutral, memoryview(data)[end:])), first  # one copy of a large file


def with_first_line(neutral: bytes, first_line: bytes) -> bytes | None:
    """A neutral file (`neutral_bytes`) with `first_line` as its real first line; None unless
    that line neutralises to the neutral file's first line."""
    wanted, _ = neutral_bytes(first_line + b"\n")
    if not neutral.startswith(wanted):
        return None
    return b"".join((first_line, memoryview(neutral)[len(wanted) - 1 :]))


def _format_key(name: str, text: str) -> str:
    digest = hashlib.sha256(f"{_ruff_version()}\0{' '.join(_RUFF_COMMON)}\0{name}\0".encode())
    digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def _ruff_version() -> str:
    """Read where the generator's fingerprint keeps it (`pipeline.dist_version`): a run that
    found that valid does not import `importlib.metadata` (0.04 s) for it."""
    from specfirst.generator.pipeline import dist_version

    return dist_version("ruff")


def _read_formatted(cache: Path, key: str) -> str | None:
    path = cache / key
    try:
        text = path.read_text(encoding="utf-8")
        os.utime(path)
    except (OSError, UnicodeDecodeError):
        return None
    return text


def _write_formatted(cache: Path, key: str, data: bytes) -> None:
    """Atomic and best effort, like the models cache."""
    write_atomically(cache / key, data)


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
