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
from typing import Any

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


def move_keywords(node: Any) -> Any:
    """A copy of `node` with the string keywords of special-format strings in `EXTENSION`
    (untouched parts are shared, not copied)."""
    if isinstance(node, list):
        items = [move_keywords(item) for item in node]
        return items if any(a is not b for a, b in zip(items, node, strict=True)) else node
    if not isinstance(node, dict):
        return node
    changed = {key: move_keywords(value) for key, value in node.items()}
    out = changed if any(changed[k] is not node[k] for k in node) else node
    # The walk also meets maps that are not schemas: a `properties` map with a property named
    # `format` (asana's CustomFieldBase, kubernetes' JSONSchemaProps) holds a schema (a dict)
    # there, which a frozenset lookup cannot hash. Only a string names a format.
    form = out.get("format")
    if (
        isinstance(form, str)
        and form in SPECIAL_FORMATS
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
