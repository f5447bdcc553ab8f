"""Turn jsonschema errors into one readable line each: no multi-line schema dumps, no huge reprs."""

from __future__ import annotations

import reprlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from specfirst.loader import join_pointer

if TYPE_CHECKING:  # jsonschema itself is imported only when there is an error to explain
    from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

_SHORT = reprlib.Repr()
_SHORT.maxstring = 30
_SHORT.maxother = 30
_SHORT.maxdict = 3
_SHORT.maxlist = 3
_SHORT.maxlevel = 2
_LONG_REPR = 80


def short_repr(value: Any) -> str:
    return _SHORT.repr(value)


def one_line(message: str, instance: Any = None) -> str:
    """`message` on one line, with a long repr of `instance` abbreviated."""
    if instance is not None and isinstance(instance, dict | list | str):
        full = repr(instance)
        if len(full) > _LONG_REPR and full in message:
            message = message.replace(full, short_repr(instance))
    return " ".join(message.split())


def error_pointer(error: ValidationError, prefix: str = "") -> str:
    """The JSON pointer of the instance an error is about, below `prefix`."""
    return prefix + join_pointer([str(part) for part in error.absolute_path])


def most_useful(error: ValidationError) -> ValidationError:
    """For `oneOf`/`anyOf` failures, the sub-error that best explains them (jsonschema's best_match)."""
    if not error.context:
        return error
    from jsonschema.exceptions import best_match

    # Given the failing error itself, best_match descends into its context towards the deepest,
    # most specific sub-error (given only the context it would prefer the shallowest one, e.g.
    # "'$ref' is a required property" from the Reference branch of a Schema-or-Reference oneOf).
    best: ValidationError | None = best_match([error])
    if best is None or best is error:
        # A tie between branches ("not one of [...]" vs "not of type 'array'"): name the values
        # that were expected rather than a type the author plainly did not mean.
        specific = [e for e in error.context if e.validator != "type" and not e.context]
        return specific[0] if specific else error
    return best


def readable(errors: Iterable[ValidationError], prefix: str = "") -> list[tuple[str, str, str]]:
    """(pointer, readable message, raw message) for each error."""
    found: list[tuple[str, str, str]] = []
    for error in errors:
        best = most_useful(error)
        found.append(
            (
                error_pointer(best, prefix),
                one_line(best.message, best.instance),
                one_line(error.message, error.instance),
            )
        )
    return found
