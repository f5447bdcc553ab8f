"""Writing generated packages: atomic swaps, and the user's normal permissions."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from specfirst.generator.write import render_to_temp, swap_into_place


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("umask_022")
def test_package_folders_get_the_mode_of_any_new_folder(tmp_path: Path) -> None:
    target = tmp_path / "out" / "pets_api"
    staging = render_to_temp({"__init__.py": "", "routers/__init__.py": ""}, target)
    swap_into_place(staging, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755  # not mkdtemp's 0700
    assert stat.S_IMODE((target / "routers").stat().st_mode) == 0o755
    assert stat.S_IMODE((target / "__init__.py").stat().st_mode) == 0o644


def test_an_edit_that_only_changes_the_contract_hash_reformats_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file's header names the contract's hash, so every edit changes every file; the
    format cache keys on the file without that hash, and gives back the file ruff would make."""
    from specfirst.generator import write
    from specfirst.generator.render import make_header

    body = "import os\nimport sys\nx = {'a':1}\nprint(sys.argv, x)\n"
    cache = tmp_path / "cache"
    first = make_header("specs/api.yaml", "a" * 64) + "\n" + body
    second = make_header("specs/api.yaml", "b" * 64) + "\n" + body
    staging = render_to_temp({"m.py": first}, tmp_path / "one" / "pkg", cache)
    formatted_first = (staging / "m.py").read_text()
    assert formatted_first.startswith(make_header("specs/api.yaml", "a" * 64))
    assert "import os" not in formatted_first  # ruff ran (F401)
    assert '{"a": 1}' in formatted_first

    uncached = render_to_temp({"m.py": second}, tmp_path / "two" / "pkg")
    runs: list[object] = []
    real = write.format_tree
    monkeypatch.setattr(
        write, "format_tree", lambda f, only=None: runs.append(only) or real(f, only)
    )
    warm = render_to_temp({"m.py": second}, tmp_path / "three" / "pkg", cache)
    assert (warm / "m.py").read_text() == (uncached / "m.py").read_text()
    assert (warm / "m.py").read_text().startswith(make_header("specs/api.yaml", "b" * 64))
    assert runs == [[]]  # nothing left to format


def test_staged_files_are_what_the_folder_holds_and_their_digests(tmp_path: Path) -> None:
    """`stage_files` hands back every file's bytes and digest as written (the pipeline stamps
    and compares them without reading the folder back): the late files, found in the cache
    or formatted after the early ones, included."""
    import hashlib

    from specfirst.generator.write import stage_files, tree_files

    cache = tmp_path / "cache"
    early = {"models.py": "import os\nclass A:\n  x: int\n"}
    late: dict[str, str | bytes] = {
        "app.py": "from .models import A\nprint( A )\n",
        "routers/r.py": "import sys\nx=[1,\n2]\n",
        "openapi.json": b'{"a": 1}',
    }
    for run in range(2):  # cold, then every file from the cache
        digests: dict[str, str] = {}
        staging, written = stage_files(
            early, tmp_path / f"out{run}" / "pkg", cache, lambda: late, digests
        )
        assert written == tree_files(staging)
        assert digests == {n: hashlib.sha256(d).hexdigest() for n, d in written.items()}
        assert b"import os" not in written["models.py"]
        assert written["routers/r.py"] == b"x = [1, 2]\n"


def test_the_late_files_are_formatted_once_the_early_ones_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The late files are rendered while the early files format, but ruff runs on the late
    ones only once the early ones are done: isort sees every module there."""
    import time

    from specfirst.generator import write

    calls: list[tuple[str, list[str] | None]] = []
    real = write.format_tree

    def tracked(folder: Path, only: list[str] | None = None) -> None:
        if only == ["models.py"]:
            time.sleep(0.2)  # give the late files every chance to go first
            real(folder, only)
            calls.append(("early", only))
            return
        calls.append(("late" if (folder / "models.py").exists() else "late-alone", only))
        real(folder, only)

    monkeypatch.setattr(write, "format_tree", tracked)
    write.stage_files(
        {"models.py": "class A:\n  x: int\n"},
        tmp_path / "out" / "pkg",
        tmp_path / "cache",
        lambda: {"app.py": "from .models import A\nprint( A )\n"},
    )
    assert calls == [("early", ["models.py"]), ("late", ["app.py"])]
