"""A YAML file's data after an edit, from its last load: only the edited entry is parsed again.

`yaml12.load_yaml` spends about 1.5 s on GitHub's contract as YAML (10 MB: libyaml composes a
node per scalar, and the nodes become data in Python). An edit of one schema or one operation
changes a few lines of it. `reparsed` takes the bytes and the data of the last load (`Parsed`:
the data as `marshal` bytes, taken before anything else could change it) and the new bytes, and
finds the smallest block-mapping entry that holds every byte that differs (`KEY:` on a line of
its own indentation, its value on the lines below, down to the next line of content as little
indented, a block sequence at its own indentation included), reached from the top through block
mappings only (`KEY:` lines with nothing after the colon). That entry alone is parsed with
`load_yaml`, dedented, and its value put in the last data in place of the old one; which entry
it was, and what it held, is said too (`Reparse`: what the generator takes of its last run by).
Where the edit starts a line (lines put in or taken out), the entries above the line before are
tried too: the lines put in may belong to it (a key added at the end of an operation).

Why that is `load_yaml`'s data: the bytes outside the entry are the last load's, and parse as
they did. The parser comes to the entry's first line in the same state (a block mapping at the
entry's indentation) and leaves it at the same line of the same indentation or less, where no
scalar or collection of the entry can go on (YAML's indentation rules; a quoted scalar that did
go on would leave the entry unparseable alone). What the last load made of the entry is what
the entry, cut out the same way from the last bytes, gives alone: so it was cut where the
parser ended it. The entry's key is unchanged (the edit starts below its line), so its mapping
gains no duplicate key. An entry that uses an alias of an anchor outside does not parse alone;
and none is reused where the last load used any alias (one outside could name an anchor
inside, and the expansion limits count them all). Refused too, for the full load to report:
tabs in indentation, a line of content less indented than the entry inside it, an entry that
would nest deeper than `MAX_DEPTH` where it stands, and one that does not parse. Whenever
anything is in doubt the caller loads in full: a wrong `Parsed` costs time, never correctness,
and the caller keeps it under the generator's fingerprint (the code that made it).
"""

from __future__ import annotations

import collections
import functools
import hashlib
import marshal
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specfirst.byte_ends import common_ends
from specfirst.errors import ContractLoadError
from specfirst.jsontext import MAX_DEPTH, depth_within

# Tabs in indentation: `_indent` counts spaces, as YAML does, but a tab there is a fault the
# full load should report at its place.
_TAB_INDENT = re.compile(rb"^ *\t", re.MULTILINE)
_SPACES = re.compile(rb" *")


@dataclass(frozen=True)
class Parsed:
    """A YAML file's bytes as last loaded, its data then (`snapshot`), and whether that data
    used an alias (`yaml12.loaded_yaml`: an alias outside an entry may name an anchor inside)."""

    raw: bytes
    snapshot: bytes
    aliased: bool
    # What the generator kept of the run that loaded it (`generator.kept_parse`): opaque here.
    extra: bytes = b""

    @functools.cached_property
    def sha256(self) -> str:
        """The SHA-256 (hex) of `raw`, worked out once (the stamp's and the view cache's key of
        the contract it was loaded from)."""
        return hashlib.sha256(self.raw).hexdigest()


@dataclass(frozen=True)
class Reparse:
    """What `reparsed` found: the data and whether it used an alias (`loaded_yaml`'s), the keys
    of the entry it parsed again (`at`: () when the bytes are the last load's, so nothing was),
    that entry's value in the last data (`before`), and what it was spliced from (`last`)."""

    data: Any
    aliased: bool
    at: tuple[str, ...]
    before: Any
    last: Parsed
    # The keys of the entries put into the mapping at `at` (`before` is then None), in order.
    added: tuple[str, ...] = ()


def snapshot(data: Any) -> bytes:
    """The bytes `Parsed.snapshot` holds of `data` (JSON data: dicts, lists, str, int, float,
    bool, None), which `marshal` writes and reads back exactly (0.01 and 0.03 s on GitHub's)."""
    return marshal.dumps(data)


def reparsed(last: Parsed, raw: bytes, path: Path) -> Reparse | None:
    """`loaded_yaml(raw, path)` (the data, whether it used an alias), from `last` where the two
    differ inside one entry (see the module's docstring); None when it cannot tell (the caller
    then loads `raw` in full). The innermost entry that holds the edit is tried first, then
    those around it."""
    if raw == last.raw:
        data = _data(last)
        return None if data is None else Reparse(data, last.aliased, (), None, last)
    if last.aliased:
        return None
    head, tail = common_ends(last.raw, raw)
    shift = len(raw) - len(last.raw)
    old_end = len(last.raw) - tail
    # The edit is taken from the start of its line (the line's key may be what changed). Lines
    # put in (or taken out) before a line that begins as their last does (its indentation, a
    # key's first letters) leave bytes in common into that line: as many, put in before it, is
    # the same edit, which then starts the line.
    start = _line_start(last.raw, head)
    longer, end = (raw, old_end + shift) if shift > 0 else (last.raw, old_end)
    if old_end + min(shift, 0) == head and longer[start:head] == longer[end - head + start : end]:
        old_end -= head - start
    head = start
    if old_end == head and shift > 0:  # lines put in: whole entries of one mapping?
        found = _inserted(last, raw, path, head, shift)
        if found is not None:
            return found
    # The entries above the line the edit starts on; where it starts a line (lines put in,
    # taken out), those above the line before it too, which the lines put in may belong to.
    chains = [_chain(last.raw, head)]
    if head > 0 and last.raw[head - 1 : head] == b"\n":
        chains.append(_chain(last.raw, head - 1))
    candidates: dict[int, tuple[int, tuple[str, ...]]] = {}  # key line: indentation, keys above
    for chain in chains:
        keys: list[str] = []
        for number, (line, indent) in enumerate(chain):
            candidates.setdefault(line, (indent, tuple(keys)))
            key = (
                _key(_dedented_line(last.raw, line, indent), path)
                if number < len(chain) - 1
                else None
            )
            if key is None:
                break
            keys.append(key)
    data = None
    for line in sorted(candidates, reverse=True):  # each holds the next: the innermost first
        indent, above = candidates[line]
        end = _entry_end(last.raw, line, indent)
        if end < old_end or _entry_end(raw, line, indent) != end + shift:
            continue  # the edit reaches past it, or ends it elsewhere
        if end - line > max(len(raw) // _LARGEST, _SMALL):
            return None  # parsing it (twice) would cost about what loading all does
        new = _entry(raw[line : end + shift], indent, path, len(above))
        old = _entry(last.raw[line:end], indent, path, len(above)) if new is not None else None
        if old is None or new is None:
            continue
        data = _data(last) if data is None else data  # read once, changed only on success
        node = data
        for name in above:
            node = node.get(name) if isinstance(node, dict) else None
        # The entry as it was, parsed alone, is what the last load made of it: it was cut
        # where the parser ended it.
        if not isinstance(node, dict):
            continue
        before = node.get(old[0], _MISSING)
        if old[0] == new[0] and before == old[1]:
            node[new[0]] = new[1]
            return Reparse(data, new[2], (*above, new[0]), before, last)
    return None


def _inserted(last: Parsed, raw: bytes, path: Path, head: int, shift: int) -> Reparse | None:
    """New entries of a block mapping put in between two of its entries (or after its last):
    the lines put in at `head` (a line start) are entries at one indentation, parsed alone, and
    the line after them a line of content no more indented (or the end), which ended the entry
    before them in the last bytes as it does now: that entry, cut at `head`, gives alone the
    value the last load made of it (it ended there), and no blank line follows that it could
    have kept (`|+`). None otherwise."""
    put = raw[head : head + shift]
    indent = _indent(put, 0)
    if indent is None or not put.endswith(b"\n") or put[indent : indent + 1] in _NOT_KEYS:
        return None
    after = _indent(last.raw, head) if head < len(last.raw) else -1
    if after is None or after > indent:
        return None  # a blank line or a comment after them, or more indented content
    if after == indent and last.raw[head + indent : head + indent + 2] in _ITEM:
        return None
    parent = _previous(last.raw, head, indent)  # the mapping's key line
    chain = _ancestry(last.raw, parent) if parent is not None else [] if indent == 0 else None
    if chain is None:
        return None
    if after != indent and chain and after > chain[-1][1]:
        return None  # the line after is neither another entry of the mapping nor beyond it
    keys: list[str] = []
    for line, own in chain:
        key = _key(_dedented_line(last.raw, line, own), path)
        if key is None:
            return None
        keys.append(key)
    sibling = _previous(last.raw, head, indent + 1)  # the entry before them, if any
    if sibling is not None and parent is not None and sibling <= parent:
        sibling = None
    if sibling is not None and _indent(last.raw, sibling) != indent:
        return None
    new = _entries(put, indent, path, len(keys))
    data = _data(last) if new is not None else None
    node = data
    for name in keys:
        node = node.get(name) if isinstance(node, dict) else None
    if new is None or not isinstance(node, dict) or not node.keys().isdisjoint(new[0]):
        return None
    at = 0
    if sibling is not None:
        old = _entry(last.raw[sibling:head], indent, path, len(keys))
        if old is None or node.get(old[0], _MISSING) != old[1]:
            return None
        at = list(node).index(old[0]) + 1
    moved = [(key, node.pop(key)) for key in list(node)[at:]]
    node.update(new[0])
    node.update(moved)
    return Reparse(data, new[1], tuple(keys), None, last, tuple(new[0]))


def _ancestry(data: bytes, line: int) -> list[tuple[int, int]] | None:
    """The key line at `line` and those above it (line start, indentation), outermost first,
    when each is a `KEY:` line (its value a block mapping) and the nearest less indented line
    above the one below it, up to the top level; None otherwise."""
    found: list[tuple[int, int]] = []
    at: int | None = line
    while at is not None:
        indent = _indent(data, at)
        if indent is None or data[at + indent : at + indent + 1] in _NOT_KEYS:
            return None
        if not _bare_key_line(data, at):
            return None
        found.append((at, indent))
        if indent == 0:
            found.reverse()
            return found
        at = _previous(data, at, indent)
    return None


def _entries(
    text: bytes, indent: int, path: Path, ancestors: int
) -> tuple[dict[str, Any], bool] | None:
    """The entries of `text` (a block mapping's, at `indent`, `ancestors` entries down) parsed
    alone, and whether they used an alias; None when they do not parse (the full load says
    where and why), hold a tab in indentation, or would be nested too deep where they stand
    (the mapping alone is `ancestors` levels higher)."""
    from specfirst.yaml12 import loaded_yaml

    dedented = _dedented(text, indent) if _TAB_INDENT.search(text) is None else None
    if dedented is None:
        return None
    try:
        parsed, aliased = loaded_yaml(dedented, path)
    except ContractLoadError:
        return None
    if not isinstance(parsed, dict) or not parsed:
        return None
    if not depth_within(parsed, MAX_DEPTH - ancestors):
        return None
    return {str(k): v for k, v in parsed.items()}, aliased


_ITEM = (b"- ", b"-\n", b"-\r")
# What does not start a plain key's line (a sequence item, a complex key, a flow collection,
# a node's properties, a block scalar, a directive).
_NOT_KEYS = (b"-", b"?", b"[", b"{", b"&", b"*", b"!", b"|", b">", b"%", b"@", b"`", b"#")
_MISSING = object()
# An entry of more than this part of the file is not parsed alone (the old and the new one):
# the whole file is loaded instead (but for one of `_SMALL` bytes or less: that costs little).
_LARGEST = 4
_SMALL = 1 << 16


def _entry(entry: bytes, indent: int, path: Path, ancestors: int) -> tuple[str, Any, bool] | None:
    """The key and value of `entry` (one block-mapping entry at `indent`, `ancestors` entries
    down) parsed alone, and whether it used an alias; None as `_entries` gives, or when it is
    not one entry."""
    found = _entries(entry, indent, path, ancestors)
    if found is None or len(found[0]) != 1:
        return None
    ((key, value),) = found[0].items()
    return key, value, found[1]


def _data(last: Parsed) -> Any | None:
    try:
        return marshal.loads(last.snapshot)
    except (ValueError, EOFError, TypeError):
        return None


def _line_start(data: bytes, at: int) -> int:
    return data.rfind(b"\n", 0, at) + 1


def _indent(data: bytes, at: int) -> int | None:
    """The indentation of the line starting at `at`, or None when it holds no content (blank,
    or a comment)."""
    found = _SPACES.match(data, at)
    end = found.end() if found else at
    if end >= len(data) or data[end : end + 1] in b"\n\r#":
        return None
    return end - at


@functools.cache
def _less_indented(limit: int | None) -> re.Pattern[bytes]:
    """A line of content indented less than `limit` (None: any)."""
    spaces = b" *" if limit is None else b" {0,%d}" % (limit - 1)
    return re.compile(rb"^" + spaces + rb"[^ \n\r#]", re.MULTILINE)


@functools.cache
def _ending(indent: int) -> re.Pattern[bytes]:
    """A line of content indented less than `indent`, or as much and not a sequence item."""
    item = rb"(?!-(?:[ \r\n]|\Z))[^ \n\r#]"
    if indent == 0:
        return re.compile(rb"^" + item, re.MULTILINE)
    return re.compile(rb"^(?: {0,%d}[^ \n\r#]| {%d}%s)" % (indent - 1, indent, item), re.MULTILINE)


def _previous(data: bytes, before: int, limit: int | None) -> int | None:
    """The start of the nearest line above offset `before` (a line start) indented less than
    `limit` (`_less_indented`), searched in windows growing upwards; None when there is none."""
    pattern = _less_indented(limit)
    window = 1 << 16
    while True:
        low = max(0, before - window)
        last = collections.deque(pattern.finditer(data, low, before), maxlen=1)
        if last:
            return last[0].start()
        if low == 0:
            return None
        window *= 4


def _chain(data: bytes, at: int) -> list[tuple[int, int]]:
    """The block-mapping entries (line start, indentation), outermost first, that hold offset
    `at` of `data`, above the line `at` is on (its key may be what changed): each the nearest
    line less indented than the one below. An entry inside anything but a block mapping (a
    sequence item, a flow collection, a complex key) is dropped with those inside it; one
    inside an entry whose key line holds more than `KEY:` (its value starts on that line: a
    block scalar, a flow collection) is dropped too."""
    found: list[tuple[int, int]] = []
    line = _line_start(data, at)
    limit = _indent(data, line)
    while line > 0 and limit != 0:
        above = _previous(data, line - 1, limit)
        if above is None:
            break
        line, limit = above, _indent(data, above)
        assert limit is not None  # a line of content, as `_less_indented` matched it
        if data[line + limit : line + limit + 1] in _NOT_KEYS:
            found.clear()
        else:
            found.append((line, limit))
    found.reverse()
    for number, (line, _) in enumerate(found[:-1]):
        if not _bare_key_line(data, line):
            return found[: number + 1]
    return found


def _bare_key_line(data: bytes, line: int) -> bool:
    """Whether the line ends right after a colon (or in a comment after it): `KEY:` with its
    value below. A quoted key ending in a colon passes too; its parse (`_key`) tells."""
    end = data.find(b"\n", line)
    text = data[line : len(data) if end < 0 else end]
    text = text.split(b" #", 1)[0].rstrip(b" \r")
    return text.endswith(b":")


def _entry_end(data: bytes, line: int, indent: int) -> int:
    """Where the entry whose key is on the line at `line` ends: the start of the next line of
    content less indented, or as indented and not a sequence item (else the end of `data`)."""
    after = data.find(b"\n", line)
    if after < 0:
        return len(data)
    found = _ending(indent).search(data, after + 1)
    return found.start() if found else len(data)


def _dedented(entry: bytes, indent: int) -> bytes | None:
    """`entry` with `indent` spaces taken off each line; None when a line of content has fewer
    (a blank line keeps what it has beyond them)."""
    if indent == 0:
        return entry
    prefix = b" " * indent
    out = []
    for line in entry.split(b"\n"):
        if line.startswith(prefix):
            out.append(line[indent:])
        elif line.strip(b" \r"):
            return None
        else:
            out.append(line.lstrip(b" "))
    return b"\n".join(out)


def _dedented_line(data: bytes, line: int, indent: int) -> bytes:
    end = data.find(b"\n", line)
    return data[line + indent : len(data) if end < 0 else end]


def _key(line: bytes, path: Path) -> str | None:
    """The key of an ancestor's line (`KEY:`, parsed alone: `{KEY: None}`), or None."""
    from specfirst.yaml12 import load_yaml

    try:
        parsed = load_yaml(line, path)
    except ContractLoadError:
        return None
    if isinstance(parsed, dict) and len(parsed) == 1:
        ((key, value),) = parsed.items()
        if value is None:
            return str(key)
    return None
