"""The state folder's one way to write a cache entry (whole or not at all), and its one way to
keep a cache within bounds (the most recently used entries stay)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specfirst.generator import state
from specfirst.generator.state import evict, write_atomically


def test_an_entry_is_written_whole_into_folders_made_for_it(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "entry.json"
    assert write_atomically(target, b'{"x": 1}\n')
    assert target.read_bytes() == b'{"x": 1}\n'
    assert [p.name for p in target.parent.iterdir()] == ["entry.json"]


def test_chunks_replace_an_entry_unlinked_first_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "entry"
    target.write_bytes(b"old")
    seen: list[bool] = []
    real = state.os.replace

    def replace(source: str, destination: Path) -> None:
        seen.append(Path(destination).exists())  # the old entry is gone before the rename
        real(source, destination)

    monkeypatch.setattr(state.os, "replace", replace)
    assert write_atomically(target, [b"ne", b"w"], unlink_first=True)
    assert target.read_bytes() == b"new"
    assert seen == [False]
    assert sorted(os.listdir(tmp_path)) == ["entry"]


def test_a_refused_folder_costs_nothing_but_the_entry(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert not write_atomically(blocker / "entry", b"data")
    assert blocker.read_text() == "not a folder"


def test_a_failed_rename_keeps_the_old_entry_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "entry"
    target.write_bytes(b"old")

    def refuse(source: str, destination: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(state.os, "replace", refuse)
    assert not write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["entry"]


def test_an_interrupted_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(source: str, destination: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(state.os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "entry", b"new")
    assert os.listdir(tmp_path) == []


def _entries(folder: Path, sizes: dict[str, int]) -> None:
    """Files of the given sizes, used in the order given (the last one most recently)."""
    folder.mkdir(exist_ok=True)
    for age, (name, size) in enumerate(reversed(list(sizes.items()))):
        path = folder / name
        path.write_bytes(b"x" * size)
        os.utime(path, (1_000_000 - age, 1_000_000 - age))


def test_eviction_keeps_the_most_recently_used_entries_within_a_count(tmp_path: Path) -> None:
    _entries(tmp_path, {"w.tmp": 1, "a": 1, "b": 1, "c": 1, "d": 1})
    evict(tmp_path, max_entries=2)  # a file being written is not an entry yet
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "d", "w.tmp"]


def test_eviction_keeps_the_most_recently_used_entries_within_a_size(tmp_path: Path) -> None:
    _entries(tmp_path, {"a": 5, "b": 5, "c": 4, "d": 3})
    evict(tmp_path, max_bytes=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "d"]
    evict(tmp_path, max_bytes=10, max_entries=1)  # both bounds: the tighter one wins
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_eviction_leaves_files_being_written_and_other_kinds_alone(tmp_path: Path) -> None:
    _entries(tmp_path, {"old.py": 1, "older.json": 1, "notes.txt": 1, "x.py.tmp": 1, "new.py": 1})
    evict(tmp_path, max_entries=1, patterns=("*.py", "*.json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.py", "notes.txt", "x.py.tmp"]
