"""Python names for contract names: operationIds, tags, parameters, schemas, headers.

Contracts name things however they like (`put_files_id#add_shared_link`, `meta/root`, `X-Rate-Limit`,
`class`, `Pet.Category`); generated code needs identifiers that are valid, do not shadow what the
module imports, and stay stable from run to run. Wire names are never changed: they stay as aliases.
"""

from __future__ import annotations

import builtins
import keyword
import re
import sys
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")
_BUILTINS = frozenset(dir(builtins))


# `ETag` is one word (etag), not E + Tag; longer capital runs stay acronyms (`HTTPError`).
_SINGLE_CAPITAL_PREFIX = re.compile(r"(?<![A-Za-z])([A-Z])([A-Z])(?=[a-z])")


def _words(text: str) -> list[str]:
    ascii_text = (
        text  # NFKD leaves ASCII as it is
        if text.isascii()
        else unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    )
    ascii_text = _SINGLE_CAPITAL_PREFIX.sub(lambda m: m.group(1) + m.group(2).lower(), ascii_text)
    return _WORD.findall(ascii_text)


def snake_case(text: str, *, fallback: str = "value") -> str:
    """`listPets` → `list_pets`, `X-Request-ID` → `x_request_id`, `put_files_id#add` → `put_files_id_add`."""
    words = _words(text)
    name = "_".join(word.lower() for word in words) or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    return name


def pascal_case(text: str, *, fallback: str = "Model") -> str:
    """`pet.category` → `PetCategory`, `list-pets` → `ListPets`; keeps inner capitals (`HTTPError`)."""
    words = _words(text)
    name = "".join(word[:1].upper() + word[1:] for word in words) or fallback
    if name[0].isdigit():
        name = f"{fallback}{name}"
    return name


def safe_identifier(name: str, reserved: Iterable[str] = ()) -> str:
    """Append `_` until `name` is no keyword, builtin or reserved name."""
    taken = set(reserved)
    while (
        keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in _BUILTINS or name in taken
    ):
        name += "_"
    return name


class NameAllocator:
    """Hands out unique names in one namespace; the same key always gets the same name."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self._reserved = frozenset(reserved)
        self._taken: set[str] = set(self._reserved)
        self._by_key: dict[object, str] = {}

    def allocate(self, wanted: str, key: object | None = None) -> str:
        if key is not None and key in self._by_key:
            return self._by_key[key]
        base = safe_identifier(wanted, self._reserved)
        name, counter = base, 2
        while name in self._taken:
            name, counter = (
                f"{base}{'_' if base[-1].isdigit() or '_' in base else ''}{counter}",
                counter + 1,
            )
        self._taken.add(name)
        if key is not None:
            self._by_key[key] = name
        return name

    def __contains__(self, name: str) -> bool:
        return name in self._taken


# What generated packages import: a package of that name next to them would hide it.
_IMPORTED_BY_GENERATED = frozenset(
    {"fastapi", "pydantic", "pydantic_core", "starlette", "specfirst"}
)


def package_name_problem(name: str) -> str | None:
    """Why `name` cannot name a generated package (None when it can).

    The package is one folder inside the output folder, imported by that name: it must be a Python
    identifier (so no path separators: it stays inside the output folder), not a keyword, and not
    the name of a module it would hide (the standard library, what the generated code imports).
    """
    if not name.isidentifier():
        return f"{name!r} is not a Python package name (letters, digits and _, not starting with a digit)"
    if keyword.iskeyword(name):
        return f"{name!r} is a Python keyword: no import statement can name that package"
    if name in sys.stdlib_module_names or name in _IMPORTED_BY_GENERATED:
        return f"{name!r} would hide the module of that name from the generated code"
    return None
