"""Path parameters whose schema is an array or an object, read by their OpenAPI style.

FastAPI itself routes only scalar path parameters; generated routers depend on `styled_path`
for the others.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

import pydantic
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from .values import FROM_TEXT

__all__ = ["parse_styled", "styled_path"]


def styled_path(
    name: str,
    wire: str,
    style: str,
    explode: bool,
    kind: str,
    model: Any,
    items: Mapping[str, Any] | None = None,
    **constraints: Any,
) -> Callable[[Request], Awaitable[Any]]:
    """A dependency reading path parameter `name` (`wire` in the contract) as `style` and
    `explode` say (simple `1,2`, label `.1.2`, matrix `;id=1,2`), then validating it as `model`
    (with `constraints` such as `max_length`, and `items` constraints for each item of a
    list)."""
    target = model
    if items:
        (item_type,) = typing.get_args(model)
        target = list[Annotated[item_type, pydantic.Field(**items)]]  # type: ignore[valid-type]
    if constraints:
        target = Annotated[target, pydantic.Field(**constraints)]
    adapter: TypeAdapter[Any] = TypeAdapter(target)

    async def read(request: Request) -> Any:
        raw = str(request.path_params.get(name, ""))
        try:
            value = parse_styled(raw, wire, style, explode, kind)
            return adapter.validate_python(value, context=FROM_TEXT)
        except ValidationError as exc:
            errors = [{**e, "loc": ("path", wire, *e["loc"])} for e in exc.errors()]
            raise RequestValidationError(errors) from None
        except ValueError as exc:
            error = {"type": "value_error", "loc": ("path", wire), "msg": str(exc), "input": raw}
            raise RequestValidationError([error]) from None

    return read


def parse_styled(raw: str, wire: str, style: str, explode: bool, kind: str) -> Any:
    """The list or dict a styled path segment spells (values stay strings for the model)."""
    if style == "label":
        if not raw.startswith("."):
            raise ValueError(f"expected a label value starting with '.', not {raw!r}")
        text, separator = raw[1:], "." if explode else ","
    elif style == "matrix":
        if not raw.startswith(";"):
            raise ValueError(f"expected a matrix value starting with ';', not {raw!r}")
        if explode:
            pairs = [part.partition("=") for part in raw[1:].split(";")]
            if kind == "array":
                if any(key != wire or not eq for key, eq, _ in pairs):
                    raise ValueError(f"expected ;{wire}=value;{wire}=value, not {raw!r}")
                return [value for _, _, value in pairs]
            return _pairs([(key, value) for key, eq, value in pairs if eq], raw)
        prefix = f";{wire}="
        if not raw.startswith(prefix) and raw != f";{wire}":
            raise ValueError(f"expected {prefix}..., not {raw!r}")
        text, separator = raw[len(prefix) :], ","
    else:
        text, separator = raw, ","
    parts = text.split(separator) if text else []
    if kind == "array":
        return parts
    if explode:
        pairs = [part.partition("=") for part in parts]
        if any(not eq for _, eq, _ in pairs):
            raise ValueError(f"expected key=value pairs, not {raw!r}")
        return _pairs([(key, value) for key, _, value in pairs], raw)
    if len(parts) % 2:
        raise ValueError(f"expected key,value pairs, not {raw!r}")
    return _pairs(list(zip(parts[::2], parts[1::2], strict=True)), raw)


def _pairs(pairs: list[tuple[str, str]], raw: str) -> dict[str, str]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError(f"a key is given twice in {raw!r}")
    return found
