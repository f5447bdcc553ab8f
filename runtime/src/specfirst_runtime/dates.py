"""Dates and date-times that must arrive as RFC 3339 strings.

pydantic's lax mode would also take a number (or a numeric string) as a Unix timestamp, which
OpenAPI's `date` and `date-time` formats do not allow. Generated models and parameters use these
aliases: the same types, with a validator in front that refuses numbers.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any

import pydantic
from pydantic import BeforeValidator

__all__ = ["ISO_TEXT", "AwareDatetime", "IsoDate", "IsoDatetime", "IsoTime", "NaiveDatetime"]

_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def iso_text(value: Any) -> Any:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("Input should be an RFC 3339 date or date-time string, not a number")
    return value


ISO_TEXT = BeforeValidator(iso_text)
AwareDatetime = Annotated[pydantic.AwareDatetime, ISO_TEXT]
NaiveDatetime = Annotated[pydantic.NaiveDatetime, ISO_TEXT]
IsoDatetime = Annotated[datetime.datetime, ISO_TEXT]
IsoDate = Annotated[datetime.date, ISO_TEXT]
IsoTime = Annotated[datetime.time, ISO_TEXT]
