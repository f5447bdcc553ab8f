"""ECMA-262 regular expressions (what OpenAPI's `pattern` means) for Python and Rust engines.

`\\d`, `\\w` and `\\s` are ASCII (and, for `\\s`, a fixed list) in ECMA-262, but Unicode-aware in
Python's `re` and in the Rust engine pydantic uses: `^\\d+$` would accept Arabic-Indic digits the
contract refuses. The shorthand classes are spelled out so every engine means the same thing.
Named groups (`(?<name>…)`, `\\k<name>`) are spelled the way Python's `re` reads them.

Pydantic's default (Rust) engine has no lookaround and no backreferences: fields with such a
pattern need Python's `re` (`needs_python_engine`); one Python cannot compile either (a
variable-width lookbehind) cannot be enforced by either engine (`enforceable`).
"""

from __future__ import annotations

import re

_SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_INSIDE = {"d": "0-9", "w": "A-Za-z0-9_", "s": _SPACE}
_OUTSIDE = {
    **{key: f"[{value}]" for key, value in _INSIDE.items()},
    **{key.upper(): f"[^{value}]" for key, value in _INSIDE.items()},
}


def ecma_to_python(pattern: str) -> str:
    out: list[str] = []
    in_class = False
    class_start = 0
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            named = _NAMED_REFERENCE.match(pattern, index) if not in_class else None
            if named is not None:
                out.append(f"(?P={named.group(1)})")
                index = named.end()
                continue
            if in_class and escaped in _INSIDE:
                out.append(_INSIDE[escaped])
            elif not in_class and escaped in _OUTSIDE:
                out.append(_OUTSIDE[escaped])
            else:
                out.append(char + escaped)
            index += 2
            continue
        if not in_class and _NAMED_GROUP.match(pattern, index):
            out.append("(?P<")
            index += 3
            continue
        if char == "[" and not in_class:
            in_class, class_start = True, index
        elif (
            char == "]"
            and in_class
            and index > class_start + 1
            and not (index == class_start + 2 and pattern[class_start + 1] == "^")
        ):
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")
_NAMED_REFERENCE = re.compile(r"\\k<(\w+)>")
_LOOKAROUND = re.compile(r"\(\?<?[=!]")
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def needs_python_engine(pattern: str) -> bool:
    """Lookaround or a backreference: the Rust engine refuses it, Python's `re` may not."""
    return bool(_LOOKAROUND.search(pattern) or _BACKREFERENCE.search(pattern))


def enforceable(pattern: str) -> bool:
    """False for a (Python-spelled) pattern that needs Python's engine and that it refuses."""
    if not needs_python_engine(pattern):
        return True
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True
