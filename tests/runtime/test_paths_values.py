"""The runtime's styled path parsing and value types (ported from the copied `_runtime.py`)."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import TypeAdapter, ValidationError
from specfirst_runtime.paths import parse_styled
from specfirst_runtime.values import FROM_TEXT, StrictInt, StringKeywords


@pytest.mark.parametrize(
    ("raw", "style", "explode", "kind", "expected"),
    [
        ("1,2", "simple", False, "array", ["1", "2"]),
        (".1.2", "label", True, "array", ["1", "2"]),
        (";id=1,2", "matrix", False, "array", ["1", "2"]),
        (";id=1;id=2", "matrix", True, "array", ["1", "2"]),
        ("a,1,b,2", "simple", False, "object", {"a": "1", "b": "2"}),
        ("a=1,b=2", "simple", True, "object", {"a": "1", "b": "2"}),
    ],
)
def test_styles_parse(raw: str, style: str, explode: bool, kind: str, expected: object) -> None:
    assert parse_styled(raw, "id", style, explode, kind) == expected


def test_bad_styled_values_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        parse_styled("a,1,a,2", "id", "simple", False, "object")
    with pytest.raises(ValueError, match="label"):
        parse_styled("1.2", "id", "label", False, "array")


def test_strict_int_takes_json_integers_only() -> None:
    adapter: TypeAdapter[int] = TypeAdapter(StrictInt)
    assert adapter.validate_python(3.0) == 3
    for bad in (True, "3", 3.5):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)
    assert adapter.validate_python("3", context=FROM_TEXT) == 3


def test_string_keywords_check_the_text_as_sent() -> None:
    adapter: TypeAdapter[str] = TypeAdapter(
        Annotated[str, StringKeywords(min_length=2, max_length=3, pattern="^a")]
    )
    assert adapter.validate_python("ab") == "ab"
    for bad in ("a", "abcd", "bb"):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)
