"""A generated package refuses a runtime it was not generated for."""

from __future__ import annotations

import pytest
import specfirst_runtime
from specfirst_runtime import RuntimeMismatchError, compatible, require

from specfirst.generator.render import RUNTIME_API


@pytest.mark.parametrize(
    ("wanted", "installed", "ok"),
    [
        ("0.1", "0.1", True),
        ("0.1", "0.2", False),  # below 1.0 a minor release may break
        ("0.2", "0.1", False),
        ("1.2", "1.3", True),  # from 1.0 newer minors keep the API
        ("1.3", "1.2", False),
        ("1.0", "2.0", False),
    ],
)
def test_compatibility_follows_semantic_versioning(wanted: str, installed: str, ok: bool) -> None:
    assert compatible(wanted, installed) is ok


def test_require_names_the_package_and_both_versions() -> None:
    with pytest.raises(RuntimeMismatchError, match=r"pets_api was generated for .* 9\.0\.x"):
        require("9.0", package="pets_api")


def test_the_generator_writes_for_the_installed_runtime() -> None:
    require(RUNTIME_API, package="generated")
    assert specfirst_runtime.API_VERSION == RUNTIME_API
