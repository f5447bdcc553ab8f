from __future__ import annotations

import re

import pytest

from specfirst.generator.patterns import ecma_to_python


@pytest.mark.parametrize(
    ("ecma", "python"),
    [
        (r"^\d+$", r"^[0-9]+$"),
        (r"^[\d-]+$", r"^[0-9-]+$"),
        (r"^\w{3}$", r"^[A-Za-z0-9_]{3}$"),
        (r"^\D$", r"^[^0-9]$"),
        (r"\\d", r"\\d"),  # an escaped backslash followed by d
        (r"^[]\d]$", r"^[]0-9]$"),
        (r"^[^]\d]$", r"^[^]0-9]$"),
        (r"^a\.b$", r"^a\.b$"),
    ],
)
def test_shorthand_classes_become_ascii(ecma: str, python: str) -> None:
    assert ecma_to_python(ecma) == python


def test_meaning_matches_ecma() -> None:
    digits = re.compile(ecma_to_python(r"^\d+$"))
    assert digits.match("123")
    assert not digits.match("١٢٣")  # Arabic-Indic digits: \d in Python, not in ECMA-262
    spaces = re.compile(ecma_to_python(r"^\S+$"))
    assert spaces.match("a\x85b")  # NEL is not ECMA white space
    assert not spaces.match("a\u00a0b")
