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
