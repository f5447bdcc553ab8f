"""Form bodies (`application/x-www-form-urlencoded`, `multipart/form-data`) into their models.

Only packages whose contract declares a form body import this module; it needs
`python-multipart`, as FastAPI's own form support does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import UploadFile

__all__ = ["FormField", "read_form"]


@dataclass(frozen=True, kw_only=True)
class FormField:
    """How to read one form field: its wire name, its value kind, and whether it repeats."""

    name: str
    kind: str  # str | int | float | bool | file | json | any
    many: bool = False


async def read_form(*, request: Request, model: Any, fields: Sequence[FormField]) -> Any:
    """Validate a urlencoded or multipart body into `model` (files as bytes)."""
    data: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    known = {f.name for f in fields}
    async with request.form() as form:
        for spec in fields:
            converted = []
            for value in form.getlist(spec.name):
                try:
                    converted.append(await _form_value(value, spec.kind))
                except ValueError as exc:
                    errors.append(
                        {"type": "value_error", "loc": ("body", spec.name), "msg": str(exc)}
                    )
            if converted:
                data[spec.name] = converted if spec.many else converted[0]
        for key in form:
            if key not in known and isinstance(form.get(key), str):
                data.setdefault(key, form.get(key))
    if errors:
        raise RequestValidationError(errors)
    try:
        return _adapter(model).validate_python(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [dict(e, loc=("body", *e["loc"])) for e in exc.errors(include_url=False)]
        ) from None


async def _form_value(value: Any, kind: str) -> Any:
    if isinstance(value, UploadFile):
        content = await value.read()
        return content if kind in ("file", "any") else content.decode("utf-8", errors="replace")
    text = str(value)
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError("Input should be a valid integer") from None
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError("Input should be a valid number") from None
    if kind == "bool":
        if text.lower() in ("true", "1"):
            return True
        if text.lower() in ("false", "0"):
            return False
        raise ValueError("Input should be a valid boolean")
    if kind == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("Input should be valid JSON") from None
    if kind == "file":
        return text.encode("utf-8")
    return text


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(model: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter
