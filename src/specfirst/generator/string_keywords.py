"""String keywords that hold under every `format`: minLength, maxLength and pattern.

datamodel-code-generator maps many formats to types that take no string constraints (`uri` →
`AnyUrl`, `uuid` → `UUID`, `date` → `date`, `ipv4` → `IPv4Address`, `password` → `SecretStr`...)
and writes such fields without them (with a warning), or replaces the contract's pattern by its
own (`hostname`); a 2,120-character URL then passes a `maxLength: 2048`. So, before it runs, the
keywords of such a string schema move into an extension it copies through
(`field_extra_keys`), and afterwards that copy becomes the runtime's `StringKeywords(...)`,
which checks the string as sent, before it is converted (`specfirst_runtime.values.StringKeywords`).

Not covered: keywords on the items of an array whose items have such a format
(datamodel-code-generator drops the extension there).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterable
from typing import Any

from specfirst.generator.extensions import SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_VALUES
from specfirst.generator.patterns import ecma_to_python

EXTENSION = "x-specfirst-string"
KEYWORDS = {"minLength": "min_length", "maxLength": "max_length", "pattern": "pattern"}
# String formats datamodel-code-generator 0.89 maps to a type other than `str` (or whose pattern
# it replaces): their string keywords would be lost.
SPECIAL_FORMATS = frozenset(
    {
        "date", "date-time", "timestamp with time zone", "date-time-local", "duration", "time",
        "time-local", "path", "email", "idn-email", "uuid", "uuid1", "uuid2", "uuid3", "uuid4",
        "uuid5", "uri", "hostname", "ipv4", "ipv4-network", "ipv6", "ipv6-network", "decimal",
        "integer", "unixtime", "ulid", "password",
    }
)  # fmt: skip


def _is_string(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def move_document_keywords(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of the models document with `move_keywords` applied to each component schema
    (the document itself when none changes)."""
    schemas = document["components"]["schemas"]
    moved = {name: move_keywords(schema) for name, schema in schemas.items()}
    if all(moved[name] is schemas[name] for name in schemas):
        return document
    return {**document, "components": {**document["components"], "schemas": moved}}


def move_keywords(schema: Any) -> Any:
    """A copy of `schema` with the string keywords of special-format strings in `EXTENSION`
    (untouched parts are shared, not copied). Only schema objects are looked at, never data
    (an `example` or `default` shaped like a schema) nor a `properties` map (whose property
    named `format` is a schema)."""
    if not isinstance(schema, dict):
        return schema
    out = schema
    for key, value in schema.items():
        if key in SCHEMA_MAPS and isinstance(value, dict):
            members = {name: move_keywords(member) for name, member in value.items()}
            changed: Any = value if _same(members.values(), value.values()) else members
        elif (key in SCHEMA_LISTS and isinstance(value, list)) or key in SCHEMA_VALUES:
            changed = _move_one_or_list(value)
        else:
            continue
        if changed is not value:
            out = dict(out) if out is schema else out
            out[key] = changed
    if (
        isinstance(out.get("format"), str)
        and out["format"] in SPECIAL_FORMATS
        and _is_string(out)
        and any(isinstance(out.get(key), int | str) for key in KEYWORDS)
    ):
        out = dict(out)
        kept: dict[str, Any] = {}
        for keyword, argument in KEYWORDS.items():
            value = out.pop(keyword, None)
            if keyword == "pattern" and isinstance(value, str):
                kept[argument] = ecma_to_python(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                kept[argument] = value
        out[EXTENSION] = kept
    return out


def _move_one_or_list(value: Any) -> Any:
    if not isinstance(value, list):  # a list: `allOf`..., or a draft-4 tuple `items`
        return move_keywords(value)
    items = [move_keywords(item) for item in value]
    return value if _same(items, value) else items


def _same(new: Iterable[Any], old: Iterable[Any]) -> bool:
    return all(a is b for a, b in zip(new, old, strict=True))


_START = re.compile(r"json_schema_extra=\{'" + re.escape(EXTENSION) + r"': ")


def _literal_end(text: str, start: int) -> int:
    """The index just past the Python literal (a dict) that starts at `start`."""
    depth = 0
    for token in tokenize.generate_tokens(io.StringIO(text[start:]).readline):
        if token.type != tokenize.OP:
            continue
        if token.string in "([{":
            depth += 1
        elif token.string in ")]}":
            depth -= 1
            if depth == 0:
                return start + token.end[1]
    raise ValueError("unbalanced literal")


def restore_keywords(source: str) -> str:
    """Turn the copied extension into `StringKeywords(...)` beside the field's `Field(...)`."""
    if EXTENSION not in source:
        return source
    lines = source.split("\n")
    for index, line in enumerate(lines):
        match = _START.search(line)
        while match is not None:
            dict_start = match.end()
            dict_end = _literal_end(line, dict_start)
            arguments = ast.literal_eval(line[dict_start:dict_end])
            outer_end = dict_end + 1  # the `}` of json_schema_extra={...}
            call = "StringKeywords(" + ", ".join(f"{k}={v!r}" for k, v in arguments.items()) + ")"
            field_start = line.rfind("Field(", 0, match.start())
            field_end = _literal_end(line, field_start + len("Field"))
            inside_start = field_start + len("Field(")
            inside = line[inside_start : field_end - 1]
            cut_start, cut_end = match.start() - inside_start, outer_end - inside_start
            rest = re.sub(r",\s*,", ",", inside[:cut_start] + inside[cut_end:])
            rest = rest.strip().strip(",").strip()
            replacement = (f"Field({rest}), " if rest else "") + call
            line = line[:field_start] + replacement + line[field_end:]
            match = _START.search(line)
        lines[index] = line
    source = "\n".join(lines)
    runtime_import = re.search(
        r"^from specfirst_runtime\.values import (.+)$", source, re.MULTILINE
    )
    if runtime_import is not None:
        names = runtime_import.group(1)
        return source.replace(
            runtime_import.group(0),
            f"from specfirst_runtime.values import {names}, StringKeywords",
            1,
        )
    imports = [m.end() for m in re.finditer(r"^(?:from|import) .+$", source, re.MULTILINE)]
    at = imports[-1] if imports else 0
    return source[:at] + "\nfrom specfirst_runtime.values import StringKeywords" + source[at:]
