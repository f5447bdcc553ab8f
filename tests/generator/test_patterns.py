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


def test_named_groups_and_engine_needs() -> None:
    from specfirst.generator.patterns import enforceable, needs_python_engine

    assert ecma_to_python(r"(?<y>\d)\k<y>") == r"(?P<y>[0-9])(?P=y)"
    assert needs_python_engine(r"^(?!admin$)[a-z]+$")
    assert needs_python_engine(r"^(a)\1$")
    assert not needs_python_engine(r"^[a-z]+$")
    assert enforceable(r"(?<=ab)x")
    assert not enforceable(r"(?<=ab|c)x")  # variable-width lookbehind: no engine takes it
