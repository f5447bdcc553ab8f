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
