"""Value types of generated models: JSON Schema integers and string keywords under a format."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import pydantic
import pydantic_core
from pydantic import BeforeValidator

__all__ = ["FROM_TEXT", "StrictInt", "StringKeywords", "json_integer"]

FROM_TEXT: Any = {"from": "text"}  # validation context of values parsed out of a URL


def json_integer(value: Any, info: pydantic.ValidationInfo) -> Any:
    """A JSON Schema integer: a number with no fractional part (`3` or `3.0`), never `true`
    (pydantic's lax `int` takes booleans) nor a numeric string (its strict one refuses `3.0`).
    Values read from text (a styled path parameter: validation `context=FROM_TEXT`) are
    parsed as usual."""
    if info.context is FROM_TEXT:
        return value
    if isinstance(value, bool | str | bytes):
        raise pydantic_core.PydanticKnownError("int_type")
    if isinstance(value, float):
        if not value.is_integer():
            raise pydantic_core.PydanticKnownError("int_from_float")
        return int(value)
    return value


StrictInt = Annotated[int, BeforeValidator(json_integer)]


@dataclass(frozen=True)
class StringKeywords:
    """`minLength`, `maxLength` and `pattern` of a string whose `format` maps to a type that takes
    no string constraints (`AnyUrl`, `UUID`, `date`, `IPv4Address`, `EmailStr`...): checked on the
    string as sent, before it is converted, as JSON Schema means them."""

    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: pydantic.GetCoreSchemaHandler
    ) -> pydantic_core.CoreSchema:
        return pydantic_core.core_schema.no_info_before_validator_function(
            self.check, handler(source)
        )

    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value  # not from the wire (a value built in code), or refused by the type
        if self.min_length is not None and len(value) < self.min_length:
            raise pydantic_core.PydanticKnownError(
                "string_too_short", {"min_length": self.min_length}
            )
        if self.max_length is not None and len(value) > self.max_length:
            raise pydantic_core.PydanticKnownError(
                "string_too_long", {"max_length": self.max_length}
            )
        if self.pattern is not None and _compiled(self.pattern).search(value) is None:
            raise pydantic_core.PydanticKnownError(
                "string_pattern_mismatch", {"pattern": self.pattern}
            )
        return value


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    found = _PATTERNS.get(pattern)
    if found is None:
        found = _PATTERNS[pattern] = re.compile(pattern)
    return found
