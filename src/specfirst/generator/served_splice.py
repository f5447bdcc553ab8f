"""The served contract of a YAML edit: the last run's, with the edited entry's text replaced.

A YAML contract is served as pretty JSON (`render.render_contract`: 13 MB of GitHub's contract,
0.1-0.18 s to dump on every edit). An edit the loader spliced into its last parse
(`yaml_splice.Reparse`: the one entry at `at` parsed again, or entries `added` to the mapping
there) changes the document there only, so its pretty JSON is the last one with that entry's
text replaced, or the new entries' text put in. The entry is found in the last run's served
file by its indentation: pydantic-core's pretty printer (serde_json's) writes each member of an
object `depth` levels down on a line of its own, `2 * depth` spaces in, and a JSON string holds
no raw newline, so a line of exactly that indentation followed by `"key": ` is a member of that
depth, and within an object's lines the first such line is its member `key`. An entry's value is
rendered at its depth: its own pretty JSON, every line after the first `2 * depth` spaces in
(which is how the printer writes a nested value).

It is used only where it is sure to give the bytes a dump would: the last run's served file is
what that run wrote (its stamp's hash of it), from the very parse the splice was made from (its
stamp's input hash is that parse's bytes), by this generator; the contract is that one file,
its document the file's data; and an edited entry's old text there is the old value's rendering
(`Reparse.before`). Otherwise, or on anything unexpected, None: the caller dumps the document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specfirst.loader import Contract

_INDENT = b"  "


def spliced_contract(contract: Contract, package_dir: Path | None) -> bytes | None:
    """The served contract (`render.render_contract`'s bytes) of a YAML contract the loader
    spliced, from the last run's served file in `package_dir`; None where it cannot be sure."""
    from specfirst.generator.pipeline import generator_fingerprint, read_stamp
    from specfirst.generator.render import CONTRACT_FILE
    from specfirst.generator.write import sha256_hex

    source = contract.sources.get(contract.path)
    reparse = source.reparse if source is not None else None
    if package_dir is None or reparse is None or not reparse.at:
        return None
    if contract.bundled or len(contract.sources) != 1:
        return None
    stamp = read_stamp(package_dir)
    try:
        if stamp.get("GENERATOR") != generator_fingerprint():
            return None
        if list(stamp["INPUTS"].values()) != [reparse.last.sha256]:
            return None
        served = (package_dir / CONTRACT_FILE).read_bytes()
        if sha256_hex(served) != stamp["OUTPUTS"][CONTRACT_FILE]:
            return None
        return splice(served, contract.document, reparse.at, reparse.before, reparse.added)
    except (OSError, KeyError, TypeError, ValueError, AttributeError):
        return None


def render(value: Any, depth: int = 0) -> bytes:
    """`value`'s pretty JSON as a member `depth` levels down writes it (its first line where
    the member's key leaves it, the others `2 * depth` spaces further in)."""
    import pydantic_core

    text = pydantic_core.to_json(value, indent=2)
    return text.replace(b"\n", b"\n" + _INDENT * depth) if depth else text


def splice(
    served: bytes,
    document: dict[str, Any],
    at: tuple[str, ...],
    before: Any,
    added: tuple[str, ...] = (),
) -> bytes | None:
    """The pretty JSON of `document` (`render(document) + b"\\n"`), from `served`, that of the
    document it differs from at `at` only: there the value was `before`, or, with `added`, the
    mapping there lacked those keys (`yaml_splice.Reparse`: the entry, or the mapping, was in
    the document `served` is the dump of). None where `served` does not read as expected."""
    node: Any = document
    for key in at:  # only string keys on the way: `1` and `"1"` would print as one name
        if not isinstance(node, dict) or key not in node or not _string_keys(node):
            return None
        node = node[key]
    depth = len(at)
    if added:
        return _with_members(served, node, at, added)
    span = value_span(served, at)
    if span is None:
        return None
    start, end = span
    if served[start:end] != render(before, depth):
        return None  # not the old value's text there: not the file it should be
    view = memoryview(served)  # slices that copy nothing: one new buffer, the result's
    return b"".join([view[:start], render(node, depth), view[end:]])


def _with_members(
    served: bytes, node: Any, at: tuple[str, ...], added: tuple[str, ...]
) -> bytes | None:
    """`served` with the members `added` of the mapping `node` at `at` put in, each before the
    line of the next member it had already (or after the last one's value)."""
    depth = len(at)
    if not isinstance(node, dict) or not _string_keys(node):
        return None
    old_keys = [key for key in node if key not in added]
    if not old_keys or any(key not in node for key in added):
        return None  # no member to place them by (an empty mapping): dumped
    start = _value_start(served, at)
    if start is None or served[start : start + 1] != b"{":
        return None
    pieces: list[tuple[int, bytes]] = []  # (offset in served, bytes put in there)
    inner = _INDENT * (depth + 1)
    keys = list(node)
    for index, key in enumerate(keys):
        if key not in added:
            continue
        member = inner + render(key) + b": " + render(node[key], depth + 1)
        follower = next((k for k in keys[index + 1 :] if k not in added), None)
        if follower is None:  # after the last old member's value
            last_span = value_span(served, (*at, old_keys[-1]))
            if last_span is None:
                return None
            pieces.append((last_span[1], b",\n" + member))
        else:  # before the next old member's line
            line = _member_line(served, start, len(served), depth + 1, follower)
            if line is None:
                return None
            pieces.append((line, member + b",\n"))
    view = memoryview(served)
    out: list[bytes | memoryview] = []
    cut = 0
    for offset, data in sorted(pieces, key=lambda piece: piece[0]):  # stable: document order
        out += [view[cut:offset], data]
        cut = offset
    out.append(view[cut:])
    return b"".join(out)


def _string_keys(mapping: dict[Any, Any]) -> bool:
    return all(type(key) is str for key in mapping)


def value_span(served: bytes, at: tuple[str, ...]) -> tuple[int, int] | None:
    """Where the value at the keys `at` lies in the pretty JSON `served` (start, end), when
    the document `served` is the dump of has a member there; None where it is not found as
    the printer would have written it. Each key is looked for from where its object's value
    starts, to the end: every line of that depth before the object's own member `key` is a
    member of that object (an object's lines come together), and members are unique, so the
    first one found is the one (no object's end is looked for but the value's own)."""
    start = _value_start(served, at)
    end = _value_end(served, start, len(served), len(at)) if start is not None else None
    return None if start is None or end is None else (start, end)


def _value_start(served: bytes, at: tuple[str, ...]) -> int | None:
    """Where the value at the keys `at` starts in `served` (see `value_span`)."""
    if served[:1] != b"{":
        return None
    start = 0
    for depth, key in enumerate(at, 1):
        line = _member_line(served, start, len(served), depth, key)
        if line is None:
            return None
        start = line + len(_INDENT * depth) + len(render(key)) + 2
    return start


def _member_line(served: bytes, start: int, end: int, depth: int, key: str) -> int | None:
    """The offset of the line of member `key` of the object whose text is `served[start:end]`,
    its members `depth` levels down (just after the newline that starts it)."""
    if not isinstance(key, str):
        return None
    needle = b"\n" + _INDENT * depth + render(key) + b": "
    found = served.find(needle, start, end)
    return found + 1 if found >= 0 else None


def _value_end(served: bytes, start: int, limit: int, depth: int) -> int | None:
    """Where the value that starts at `start` (a member `depth` levels down) ends."""
    opening = served[start : start + 1]
    if opening in (b"{", b"["):
        closing = b"}" if opening == b"{" else b"]"
        if served[start + 1 : start + 2] == closing:
            return start + 2  # empty
        found = served.find(b"\n" + _INDENT * depth + closing, start, limit)
        return found + 1 + len(_INDENT * depth) + 1 if found >= 0 else None
    line_end = served.find(b"\n", start, limit)
    if line_end < 0:
        return None
    return line_end - 1 if served[line_end - 1 : line_end] == b"," else line_end
