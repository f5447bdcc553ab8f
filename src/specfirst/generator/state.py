"""Where the generator keeps its local state (caches): never the current directory of a run.

`.specfirst/` beside the project, that is the folder of the nearest `pyproject.toml` above the
output folder; for output outside any project, the user's cache folder (`$XDG_CACHE_HOME` or
`~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows) under
`specfirst/`. `SPECFIRST_STATE_DIR` overrides both (the test suite points it at a temporary
folder). Everything in it is a cache: deleting it is always safe, and nothing in it changes what
is generated.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

STATE_ENV = "SPECFIRST_STATE_DIR"
PROJECT_STATE = ".specfirst"
TEMPORARY_SUFFIX = ".tmp"  # `write_atomically`'s files, while they are written


def state_dir(near: Path) -> Path:
    """The state folder for output written at or below `near`."""
    override = os.environ.get(STATE_ENV)
    if override:
        return Path(override)
    here = near.resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder / PROJECT_STATE
    return user_cache_dir()


def user_cache_dir() -> Path:
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "specfirst"


def write_atomically(path: Path, data: bytes | list[bytes], *, unlink_first: bool = False) -> bool:
    """Write a cache entry through a temporary file renamed into place, so concurrent and
    interrupted runs only ever see a whole entry or none. Best effort: False, with nothing left
    behind, when the disk refuses (read-only, full), which only costs a later run its speed.
    `data`: the bytes, or chunks of them. `unlink_first`: the old entry is removed before the
    rename, for large entries rewritten on every run: ext4 flushes a file renamed over another
    at once (`auto_da_alloc`; 6-20 ms for a few MB); meanwhile a concurrent run finds no entry,
    a miss, never a torn one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=TEMPORARY_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.writelines([data] if isinstance(data, bytes) else data)
            if unlink_first:
                path.unlink(missing_ok=True)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def read_used(path: Path) -> bytes | None:
    """A cache entry's bytes (None when there is none), marked as just used: `evict` keeps the
    most recently used."""
    try:
        data = path.read_bytes()
        os.utime(path)
    except OSError:
        return None
    return data


def evict(
    folder: Path,
    *,
    max_entries: int | None = None,
    max_bytes: int | None = None,
    patterns: Iterable[str] = ("*",),
) -> None:
    """Keep the cache entries of `folder` (the files matching `patterns`) within `max_entries`
    and `max_bytes`, the most recently used first (a read marks an entry used by touching it):
    the others are deleted. Files being written (`write_atomically`) are left alone, as are
    entries another run deletes meanwhile. Best effort: an error only leaves more behind."""
    try:
        entries: dict[Path, tuple[float, int]] = {}
        for pattern in patterns:
            for path in folder.glob(pattern):
                if path.name.endswith(TEMPORARY_SUFFIX) or path in entries:
                    continue
                try:
                    stat = path.stat()
                except OSError:
                    continue  # another run evicted it
                entries[path] = (stat.st_mtime, stat.st_size)
        newest_first = sorted(entries.items(), key=lambda item: (*item[1], item[0]), reverse=True)
        total = 0
        for count, (path, (_, size)) in enumerate(newest_first):
            total += size
            over_count = max_entries is not None and count >= max_entries
            if over_count or (max_bytes is not None and total > max_bytes):
                path.unlink(missing_ok=True)
    except OSError:
        pass
