"""The state folder's one way to write a cache entry: whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specfirst.generator import state
from specfirst.generator.state import write_atomically


def test_an_entry_is_written_whole_into_folders_made_for_it(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "entry.json"
    assert write_atomically(target, b'{"x": 1}\n')
    assert target.read_bytes() == b'{"x": 1}\n'
    assert [p.name for p in target.parent.iterdir()] == ["entry.json"]


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
