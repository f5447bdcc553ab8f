"""Suite-wide: the generator's state (caches) goes to a folder of this test session, never to
the user's cache folder or this repository, so no run sees another run's cache; and no run
starts a resident models worker (it would outlive the tests): the tests of the resident turn
it on in a runtime folder of their own (tests/generator/test_resident.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from specfirst.generator.pydantic_models.resident import ENV as RESIDENT_ENV
from specfirst.generator.state import STATE_ENV


@pytest.fixture(autouse=True, scope="session")
def _session_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("specfirst-state")
    patch = pytest.MonkeyPatch()
    patch.setenv(STATE_ENV, str(folder))
    patch.setenv(RESIDENT_ENV, "0")
    yield folder
    patch.undo()
