"""Suite-wide: the generator's state (caches) goes to a folder of this test session, never to
the user's cache folder or this repository, so no run sees another run's cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from specfirst.generator.state import STATE_ENV


@pytest.fixture(autouse=True, scope="session")
def _session_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("specfirst-state")
    patch = pytest.MonkeyPatch()
    patch.setenv(STATE_ENV, str(folder))
    yield folder
    patch.undo()
