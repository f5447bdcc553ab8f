"""Format a large generated module (models.py, services.py) top-level piece by piece, cached.

ruff over the whole 3.6 MB models.py costs about 0.5 s on every schema edit, and runs on one
core. This module gives the same bytes while paying ruff only for the top-level pieces (classes,
aliases, `X.model_rebuild()` lines) whose text changed, and on a cold run formats them in
chunks that ruff spreads over every core. Why the bytes are ruff's own:

- Splitting: the module is cut before every line that starts with a non-blank character. A cut
  inside a string, a bracket or a backslash continuation would leave the piece before it
  unparseable on its own (it starts at a statement, so it ends inside that string), and ruff
  refuses to format it: every piece that formats is a whole top-level statement.
- Formatting: ruff formats a top-level statement the same wherever it stands; only the blank
  lines between statements depend on their neighbours (`glue`: two around a class, else the
  source's count, at most two). Pieces go to ruff in chunks, between cut statements
  (`_specfirst_cut = 0`) where the chunk's output is cut apart again.
- The header: comments, a module docstring (a plain triple-quoted string, its lines at column
  0 joined again), `from __future__`, import lines, and `if TYPE_CHECKING:` blocks of import
  lines (services.py's, whose classes name models and responses in annotations only).
- Imports (`check --fix-only --select I,F401`): only the header's imports change. Whether an
  import is used in the whole module is whether some piece uses it (no piece rebinds an imported
  name, checked), and each piece's use is ruff's own verdict (F401 on the header's imports
  repeated inside a function that wraps the piece: one scope per piece, names resolving as at
  the top level, `Literal[...]` and string annotations read as ruff reads them there). The header is then fixed and formatted by ruff itself, in the folder the
  whole module would be formatted in, with the first piece after it and a last statement that
  uses exactly the imports some piece uses (the "head" run).

Anything the scheme does not know (decorators, top-level comments or other statements between
the pieces, `# fmt:` or `noqa` comments, imports below the header, tabs in indentation...) gives
None, and the caller runs ruff on the whole module (slower, never different).

The pieces are kept in one cache entry per package (a "bundle": the formatted module, which
holds each piece's formatted text, the source it was assembled from, each piece's place in both
and its imports' verdicts, plus the head run's output). A run on that same source (an operation
edit) reads the module back whole; an edit's source is compared with the kept one from both
ends, and only the pieces between its first and last difference are cut and looked up (by a
hash of their text among the pieces they replace) or formatted: the others are the kept
module's bytes.
"""

from __future__ import annotations

import bisect
import builtins
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import PIPE
from typing import NamedTuple

from specfirst.byte_ends import common_ends
from specfirst.generator.state import write_atomically

# Below this size ruff on the whole file costs less than the bookkeeping.
MIN_BYTES = 128 * 1024
CHUNKS_PER_CORE = 4
_CUT_BEFORE = re.compile(r"\n(?=\S)")  # before each line that starts with a non-blank
_CLASS = re.compile(r"class ([A-Za-z_]\w*)\b")
_ALIAS = re.compile(r"([A-Za-z_]\w*) = \S")
_REBUILD = re.compile(r"[A-Za-z_]\w*\.model_rebuild\(\)\s*\Z")
_FROM = re.compile(r"from ([\w.]+) import ([\w ,]+)\s*\Z")
_IMPORT = re.compile(r"import (\w+)(?: as (\w+))?\s*\Z")
_NAME_AS = re.compile(r"\s*(\w+)(?:\s+as\s+(\w+))?\s*\Z")
# What a piece may not hold: formatter and linter directives (they can reach beyond their
# piece; ruff reads noqa in any case), `__all__`, our own names, whitespace ruff treats apart.
_DIRECTIVES = ("fmt:", "fmt :", "noqa", "ruff:", "isort:", "yapf")
_NAMES = ("__all__", "_specfirst_")
_ODD_SPACE = ("\r", "\f", "\v", "\x00")
_TAB_INDENT = re.compile(r"^ *\t", re.MULTILINE)
# Statements that would make a piece import, or bind a name another piece sees.
_STATEMENTS = {
    word: re.compile(rf"(?:^|[;:])[ \t]*{word}\b", re.MULTILINE)
    for word in ("import", "from", "global", "nonlocal")
}
_CUT = "_specfirst_cut = 0"
_CUT_LINE = re.compile(r"^_specfirst_cut = 0\n", re.MULTILINE)
_USES = "_specfirst_uses = "
_F401 = re.compile(r"^c(\d+)\.py:(\d+):\d+: F401\b", re.MULTILINE)
_WRAPPER = "def _specfirst_piece():"


@dataclass
class Module:
    """A module cut into its header (comments, `from __future__`, imports) and its pieces."""

    header: str
    future: list[str]  # the `from __future__ import ...` lines
    bindings: dict[str, str]  # bound name → an import line binding it alone
    pieces: list[str]
    classes: list[bool]  # whether each piece is a class (two blank lines around it)


def split_module(text: str) -> Module | None:
    """The module's header and pieces, each piece of a kind the scheme knows and binding no
    imported name; None for a layout `format_module` does not know. What each piece holds is
    checked apart (`plain_piece`), for the pieces not already kept."""
    cuts = _CUT_BEFORE.split(text)
    cuts = [cut + "\n" for cut in cuts[:-1]] + cuts[-1:]
    index = 0
    future: list[str] = []
    bindings: dict[str, str] = {}
    first = _first_statement(cuts)
    while index < len(cuts) and _kind(cuts[index]) is None:
        piece = cuts[index]
        if index == first and piece.startswith('"""'):
            end = _docstring_end(cuts, index)  # the module's docstring, in the header
            if end is None:
                return None
            index = end
            continue
        if (
            piece.strip()
            and not piece.startswith("#")
            and not _read_import(piece, future, bindings)
            and not _read_typing_imports(piece, future, bindings)
        ):
            return None
        index += 1
    header, pieces = "".join(cuts[:index]), cuts[index:]
    if not pieces or not header.strip() or not plain_text(header):
        return None
    classes: list[bool] = []
    for piece in pieces:
        kind = _kind(piece)
        if kind is None:
            return None
        defined = _CLASS.match(piece) if kind == "class" else _ALIAS.match(piece)
        if defined is not None and defined.group(1) in bindings:
            return None  # a piece rebinds an imported name: uses are no longer per piece
        classes.append(kind == "class")
    return Module(header, future, bindings, pieces, classes)


def plain_text(text: str) -> bool:
    """Whether `text` holds no directive (they live in comments: only text with a `#` is
    searched for them, in any case), none of our names, no odd whitespace."""
    if "#" in text:
        lowered = text.lower()
        if any(word in lowered for word in _DIRECTIVES):
            return False
    return not (any(name in text for name in _NAMES) or any(c in text for c in _ODD_SPACE))


def plain_piece(piece: str, is_class: bool) -> bool:
    """Whether a piece can be formatted and checked alone: `plain_text`, no tab in its
    indentation (the check indents it), no import, `global` or `nonlocal` statement; a simple
    statement, moreover, carries no comment and binds one name at most."""
    if not plain_text(piece) or ("\t" in piece and _TAB_INDENT.search(piece)):
        return False
    if any(word in piece and regex.search(piece) for word, regex in _STATEMENTS.items()):
        return False
    return is_class or not any(sign in piece for sign in ("#", ";", ":="))


def _kind(piece: str) -> str | None:
    """Which kind of top-level piece this is: a class, an alias, a rebuild, or None."""
    if _CLASS.match(piece):
        return "class"
    if _REBUILD.match(piece):
        return "rebuild"
    if _ALIAS.match(piece) and not piece.startswith(("from ", "import ")):
        return "alias"
    return None


def _read_import(piece: str, future: list[str], bindings: dict[str, str]) -> bool:
    """Record one header import line's bindings; False for any import form not known here."""
    line = piece.rstrip()
    if "\n" in line:
        return False
    if match := _FROM.match(line):
        module = match.group(1)
        if module == "__future__":
            future.append(line)
            return True
        for item in match.group(2).split(","):
            named = _NAME_AS.match(item)
            if named is None:
                return False
            name, alias = named.groups()
            spelled = f"{name} as {alias}" if alias else name
            if not _bindable(alias or name, bindings):
                return False
            bindings[alias or name] = f"from {module} import {spelled}"
        return True
    if match := _IMPORT.match(line):
        name, alias = match.groups()
        if not _bindable(alias or name, bindings):
            return False
        bindings[alias or name] = f"import {name} as {alias}" if alias else f"import {name}"
        return True
    return False


def _first_statement(cuts: list[str]) -> int:
    """The index of the first cut that is not blank nor a comment."""
    return next(
        (n for n, cut in enumerate(cuts) if cut.strip() and not cut.startswith("#")), len(cuts)
    )


def _docstring_end(cuts: list[str], index: int) -> int | None:
    """The index of the cut after the module docstring that starts cut `index` (its lines at
    column 0 are cuts of their own): a plain triple-quoted string, closed on a line of its own
    or at the end of its last line, with nothing after it; None for any other."""
    text = ""
    for end in range(index, len(cuts)):
        text += cuts[end]
        closing = text.find('"""', 3)
        if closing < 0:
            continue
        if text[closing + 3 :].strip() or "\\" in text or not plain_text(text):
            return None
        return end + 1
    return None


# `if TYPE_CHECKING:` (a comment after it allowed) and the import lines it holds.
_TYPE_CHECKING = re.compile(r"if TYPE_CHECKING:( +#[^\n]*)?\n")


def _read_typing_imports(piece: str, future: list[str], bindings: dict[str, str]) -> bool:
    """Record the bindings of an `if TYPE_CHECKING:` block of import lines (four spaces in,
    one statement each); False for any other block. ruff sorts and prunes them inside the
    block, as the header's other imports, in the head run."""
    found = _TYPE_CHECKING.match(piece)
    if found is None or "TYPE_CHECKING" not in bindings:
        return False
    lines = piece[found.end() :].rstrip("\n").split("\n")
    if not lines or not all(line.startswith("    ") and line[4:5] != " " for line in lines):
        return False
    if any("__future__" in line for line in lines):
        return False
    return all(_read_import(line[4:], future, bindings) for line in lines)


def _bindable(name: str, bindings: dict[str, str]) -> bool:
    """A name bound once, not a builtin's (a piece could mean either) nor a dunder."""
    return name not in bindings and not hasattr(builtins, name) and not name.startswith("__")


def glue(before: str, before_class: bool, after_class: bool) -> str:
    """What ruff puts between two formatted top-level pieces (each ending with a newline): two
    blank lines around a class, else the source's blank lines, at most two."""
    if before_class or after_class:
        return "\n\n"
    blank = before[len(before.rstrip()) :].count("\n") - 1
    return "\n" * max(0, min(blank, 2))


@dataclass
class Ruff:
    """How ruff is run: its binary, the common options, and the key they make for the cache."""

    binary: str
    options: list[str]
    signature: str  # ruff's version and the options
    # check --fix-only and format of one file of a folder, as for the whole module; False: failed
    format_file: Callable[[Path, str], bool]
    runs: list[int] = field(default_factory=list)  # pieces sent to ruff, per run (for tests)


def format_module(
    text: str | bytes, name: str, staging: Path, cache: Path, bundle_name: str, ruff: Ruff
) -> bytes | None:
    """`text` (the module `name`, as text or UTF-8) formatted as ruff formats it whole in
    `staging`, as UTF-8, from the pieces kept in `cache`; None when the layout is unknown or a
    piece does not format alone (the caller formats the whole file). `staging/name` is left
    holding anything (the head run formats there): the caller writes the result, or the text
    for ruff.

    The bundle keeps the source it was assembled from: the same source (an operation edit)
    gives its module back; an edit's source is compared with it byte for byte from both ends
    (`_edited`), and only the pieces between the first and the last difference are cut,
    hashed and looked up; the others are the kept module's byte ranges, copied as they are."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    bundle_path = cache / f"{bundle_name}.pieces"
    kept = _Bundle.read(bundle_path, ruff.signature)
    source = kept.source()
    if kept.cuts and source == data:
        return kept.module()
    layout = _edited(kept, source, data)
    if layout is None:
        layout = _cut_whole(kept, source, data)
        if layout is None:
            return None
    segments, known = layout.segments, layout.known
    # The distinct pieces no kept record formats: ruff formats each once.
    missing: dict[str, tuple[str, bool]] = {}
    for index, segment in enumerate(segments):
        if isinstance(segment, _Piece):
            number = known.get(segment.key)
            if number is not None:
                segments[index] = _Run(number, 1)
            elif segment.key not in missing:
                missing[segment.key] = (segment.text, segment.is_class)
    if not all(plain_piece(text, is_class) for text, is_class in missing.values()):
        return None
    fresh: dict[str, _Record] = {}
    if missing:
        texts = [text for text, _ in missing.values()]
        asked = Module(
            layout.header, layout.future, layout.bindings, texts, [c for _, c in missing.values()]
        )
        formatted = _format_pieces(asked, list(range(len(texts))), list(missing), kept, ruff)
        if formatted is None:
            return None
        fresh = formatted
    used = 0
    for segment in segments:
        if isinstance(segment, _Run):
            for bits in kept.used[segment.first : segment.first + segment.length]:
                used |= bits
        else:
            used |= fresh[segment.key].used
    lines = kept.decode(used)
    names = [name for name, line in layout.bindings.items() if line in lines]
    first = segments[0]
    piece0 = first.text if isinstance(first, _Piece) else kept.source_text(first.first)
    head_text = f"{layout.header}{piece0.rstrip(chr(10))}\n\n\n{_USES}({', '.join(names)})\n"
    head_key = hashlib.sha256(f"{ruff.signature}\0{head_text}".encode()).hexdigest()
    head = kept.head.get(head_key)
    if head is None:
        head = _head_run(head_text, name, staging, ruff)
        if head is None:
            return None
    assembled = _assemble(head.encode("utf-8"), segments, fresh, kept, layout.header_end)
    result = b"".join(assembled.parts)
    spans = assembled.spans  # the first piece's text follows the source
    spans[0:2] = (len(result) + len(data), len(result) + len(data) + len(assembled.extra))
    ints = [*assembled.cuts, *spans]
    verdicts: list[list[int]] | None = [assembled.checked, assembled.used]
    if max(assembled.checked, default=0) < _INT_LIMIT:  # `used` is part of `checked`
        ints += (*assembled.checked, *assembled.used)
        verdicts = None
    table = array("q", ints).tobytes()
    source_end = len(result) + len(data)
    meta = {
        "signature": ruff.signature,
        "module_end": len(result),
        "source_end": source_end,
        "ints_at": source_end + len(assembled.extra),
        "size": source_end + len(assembled.extra) + len(table),
        "count": len(assembled.cuts),
        "bits": verdicts,
        "order": sys.byteorder,
        "bindings": layout.bindings,
        "future": layout.future,
        "lines": kept.lines,
        "head": {head_key: head},
    }
    write_atomically(
        bundle_path, _entry(meta, [result, data, assembled.extra, table]), unlink_first=True
    )
    return result


_INT_LIMIT = 1 << 63  # the table's integers are 8 bytes, signed


class _Piece(NamedTuple):
    """A piece of the new source no kept record is known for yet."""

    text: str
    is_class: bool
    key: str  # SHA-256 of its text (UTF-8)
    size: int  # its length in UTF-8


class _Run(NamedTuple):
    """Kept records `first`, `first + 1`... in a row, pieces in a row of the new source."""

    first: int
    length: int


@dataclass
class _Layout:
    """The new source as pieces: its header, and runs of kept pieces or new ones in order."""

    header: str
    header_end: int  # the header's length in UTF-8: where the first piece starts
    future: list[str]
    bindings: dict[str, str]
    segments: list[_Piece | _Run]
    known: dict[str, int]  # kept records by the hash of their piece's text, where looked up


def _edited(kept: _Bundle, source: bytes, data: bytes) -> _Layout | None:
    """The layout of `data` from the kept `source` it differs from in one stretch: the pieces
    wholly before the first differing byte and after the last one are the kept pieces (their
    cuts are the same in both: a cut is a newline followed by a non-blank character, which a
    UTF-8 character of at most 4 bytes decides); the stretch between is cut and checked as
    `split_module` would. None unless the header is before the first difference."""
    cuts = kept.cuts
    if not cuts:
        return None
    count = len(cuts)
    prefix, suffix = common_ends(source, data)
    same_until = prefix - 4  # a cut at or before it is a cut in both, and so is none
    if cuts[0] > same_until:
        return None
    before = bisect.bisect_right(cuts, same_until, 1) - 1  # pieces ending at or before it
    after = max(before, bisect.bisect_left(cuts, len(source) - suffix + 1))
    shift = len(data) - len(source)
    start = cuts[before]
    end = cuts[after] + shift if after < count else len(data)
    try:
        middle = data[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    segments: list[_Piece | _Run] = [_Run(0, before)] if before else []
    bindings = kept.bindings
    if middle:
        texts = _CUT_BEFORE.split(middle)
        for text in [cut + "\n" for cut in texts[:-1]] + texts[-1:]:
            kind = _kind(text)
            if kind is None:
                return None
            defined = _CLASS.match(text) if kind == "class" else _ALIAS.match(text)
            if defined is not None and defined.group(1) in bindings:
                return None
            encoded = text.encode("utf-8")
            key = hashlib.sha256(encoded).hexdigest()
            segments.append(_Piece(text, kind == "class", key, len(encoded)))
    if after < count:
        segments.append(_Run(after, count - after))
    if not segments:
        return None
    known: dict[str, int] = {}
    for number in range(before, after):
        known.setdefault(hashlib.sha256(kept.source_bytes(number)).hexdigest(), number)
    header = data[: cuts[0]].decode("utf-8")
    return _Layout(header, cuts[0], list(kept.future), dict(bindings), segments, known)


def _cut_whole(kept: _Bundle, source: bytes, data: bytes) -> _Layout | None:
    """The layout of `data` cut whole (`split_module`), its pieces looked up among all the kept
    ones (those with a verdict for every import they spell, when the header changed)."""
    module = split_module(data.decode("utf-8"))
    if module is None:
        return None
    segments: list[_Piece | _Run] = []
    for text, is_class in zip(module.pieces, module.classes, strict=True):
        encoded = text.encode("utf-8")
        segments.append(_Piece(text, is_class, hashlib.sha256(encoded).hexdigest(), len(encoded)))
    known: dict[str, int] = {}
    for number in range(len(kept.cuts)):
        known.setdefault(hashlib.sha256(kept.source_bytes(number)).hexdigest(), number)
    if kept.bindings != module.bindings:  # a verdict is missing where a piece spells a new import
        spelled = {p.key: p.text for p in segments if isinstance(p, _Piece)}
        known = {
            k: r for k, r in known.items() if k in spelled and kept.covers(r, module, spelled[k])
        }
    header_end = len(module.header.encode("utf-8"))
    return _Layout(module.header, header_end, module.future, module.bindings, segments, known)


class _Assembled(NamedTuple):
    parts: list[bytes]  # the module's bytes, in order
    extra: bytes  # the first piece's formatted text (the head run formats it in the module)
    cuts: list[int]
    spans: list[int]  # -1: in `extra`
    checked: list[int]
    used: list[int]


def _assemble(
    head: bytes,
    segments: list[_Piece | _Run],
    fresh: dict[str, _Record],
    kept: _Bundle,
    header_end: int,
) -> _Assembled:
    """The module: the head, then each piece after the first with ruff's blank lines before it
    (`glue`); a run of kept pieces after the first is the kept module's byte range from its
    first to its last piece, as they stood there (blank lines between them included)."""
    parts: list[bytes] = [head]
    at = len(head)
    source_at = header_end
    cuts: list[int] = []
    spans: list[int] = []
    checked: list[int] = []
    used: list[int] = []
    extra = b""
    previous: tuple[str, bool] | None = None  # the last piece's source and whether a class
    for segment in segments:
        if isinstance(segment, _Piece):
            record = fresh[segment.key]
            cuts.append(source_at)
            checked.append(record.checked)
            used.append(record.used)
            source_at += segment.size
            if previous is None:
                extra = record.formatted
                spans += (-1, -1)
            else:
                between = _glue_bytes(previous, segment.is_class)
                parts += (between, record.formatted)
                at += len(between)
                spans += (at, at + len(record.formatted))
                at += len(record.formatted)
            previous = (segment.text, segment.is_class)
            continue
        first, end = segment.first, segment.first + segment.length
        if previous is None or first == 0:  # the first piece, or kept piece 0 (in the extra)
            piece = kept.text(first)
            text = kept.source_text(first)
            is_class = _kind(text) == "class"
            cuts.append(source_at)
            checked.append(kept.checked[first])
            used.append(kept.used[first])
            source_at += kept.source_size(first)
            if previous is None:
                extra = piece
                spans += (-1, -1)
            else:
                between = _glue_bytes(previous, is_class)
                parts += (between, piece)
                at += len(between)
                spans += (at, at + len(piece))
                at += len(piece)
            previous = (text, is_class)
            first += 1
            if first == end:
                continue
        opening = kept.source_text(first)
        between = _glue_bytes(previous, _kind(opening) == "class")
        parts.append(between)
        at += len(between)
        start, stop = kept.spans[2 * first], kept.spans[2 * end - 1]
        parts.append(kept.blob[start:stop])
        moved = at - start
        spans += [span + moved for span in kept.spans[2 * first : 2 * end]]
        at += stop - start
        source_shift = source_at - kept.cuts[first]
        cuts += [cut + source_shift for cut in kept.cuts[first:end]]
        checked += kept.checked[first:end]
        used += kept.used[first:end]
        source_at += kept.source_end_of(end - 1) - kept.cuts[first]
        closing = opening if end - 1 == first else kept.source_text(end - 1)
        previous = (closing, _kind(closing) == "class")
    return _Assembled(parts, extra, cuts, spans, checked, used)


def _glue_bytes(previous: tuple[str, bool], is_class: bool) -> bytes:
    text, was_class = previous
    return _TWO_BLANK if was_class or is_class else glue(text, False, False).encode()


_TWO_BLANK = b"\n\n"


def _entry(meta: dict[str, object], body: list[bytes]) -> list[bytes]:
    """The bundle's cache entry (`_Bundle.read`), in chunks: a CRC-32 of the rest, the JSON
    line `meta`, then `body` (the module, its source, the first piece's text, the integer table)."""
    chunks = [json.dumps(meta, ensure_ascii=False).encode(), b"\n", *body]
    check = 0
    for chunk in chunks:
        check = zlib.crc32(chunk, check)
    return [f"{_VERSION} {check:08x}".encode(), b"\n", *chunks]


# Bumped with the entry's layout: an entry of another layout is not read.
_VERSION = "pieces-4"


class _Record(NamedTuple):
    """A piece as ruff formatted it: its formatted text (UTF-8), the import lines checked
    against it (those whose name it spells) and those of them it uses, as bits over the
    bundle's `lines` (a bundle keeps the same in lists, the text as a span of its bytes)."""

    formatted: bytes
    checked: int
    used: int


@dataclass
class _Bundle:
    """The pieces of one module as last formatted, in one cache entry: a CRC-32 of the rest
    (a damaged entry is ignored; entries are written whole, `write_atomically`, so this is
    about damage, not torn writes), a JSON line (all but the texts), then the module as last
    assembled, the source it was assembled from, the first piece's formatted text (the head
    run formats it inside the module), and a table of 8-byte integers (this machine's byte
    order): each record's start in the source, its formatted text's span in these bytes and
    its imports' verdicts (in the JSON line instead when they do not fit). Records are the
    source's pieces in order. Read whole, written whole."""

    bindings: dict[str, str]  # the header's bindings of the run that wrote it
    future: list[str]
    lines: list[str]  # the import lines the records' bits stand for
    cuts: list[int]  # where each record's piece starts in the source
    spans: list[int]  # each record's formatted text: start and end in `blob`
    checked: list[int]
    used: list[int]
    head: dict[str, str]  # hash of the head run's input → its output up to the first piece
    module_end: int = 0
    source_end: int = 0
    blob: bytes = b""

    @classmethod
    def read(cls, path: Path, signature: str) -> _Bundle:
        """The bundle kept at `path` for this ruff (`signature`); an empty one when there is
        none or it cannot be read. What its check vouches for `_entry` wrote: the lengths
        are checked, not each span."""
        empty = cls({}, [], [], [], [], [], [], {})
        try:
            data = path.read_bytes()
            os.utime(path)
            check_end = data.index(b"\n")
            version, _, check = data[:check_end].decode("ascii").partition(" ")
            if version != _VERSION or int(check, 16) != zlib.crc32(
                memoryview(data)[check_end + 1 :]
            ):
                return empty
            meta_end = data.index(b"\n", check_end + 1)
            meta = json.loads(data[check_end + 1 : meta_end])
            blob = data[meta_end + 1 :]
            if meta["signature"] != signature:
                return empty
            module_end, source_end, count = meta["module_end"], meta["source_end"], meta["count"]
            if len(blob) != meta["size"] or meta["order"] != sys.byteorder:
                return empty
            if not 0 <= module_end <= source_end <= meta["ints_at"] <= len(blob):
                return empty
            table = memoryview(blob)[meta["ints_at"] :].cast("q").tolist()
            bits = meta["bits"]
            if bits is not None:
                checked, used = list(bits[0]), list(bits[1])
                table += (*checked, *used)
            if len(table) != 5 * count:
                return empty
            cuts, spans = table[:count], table[count : 3 * count]
            checked, used = table[3 * count : 4 * count], table[4 * count :]
            if cuts and not 0 <= cuts[0] <= cuts[-1] <= source_end - module_end:
                return empty
            bundle = cls(
                dict(meta["bindings"]),
                list(meta["future"]),
                list(meta["lines"]),
                cuts,
                spans,
                checked,
                used,
                dict(meta["head"]),
                module_end,
                source_end,
                blob,
            )
        except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
            return empty
        return bundle

    def module(self) -> bytes:
        return self.blob[: self.module_end]

    def source(self) -> bytes:
        """The source the module was assembled from (its header's hash neutral)."""
        return self.blob[self.module_end : self.source_end]

    def source_end_of(self, number: int) -> int:
        """Where record `number`'s piece ends in the source."""
        return (
            self.cuts[number + 1]
            if number + 1 < len(self.cuts)
            else self.source_end - self.module_end
        )

    def source_bytes(self, number: int) -> bytes:
        """Record `number`'s piece of the source."""
        start = self.module_end + self.cuts[number]
        return self.blob[start : self.module_end + self.source_end_of(number)]

    def source_size(self, number: int) -> int:
        return self.source_end_of(number) - self.cuts[number]

    def source_text(self, number: int) -> str:
        return self.source_bytes(number).decode("utf-8")

    def text(self, number: int) -> bytes:
        """Record `number`'s formatted text."""
        return self.blob[self.spans[2 * number] : self.spans[2 * number + 1]]

    def bit(self, line: str) -> int:
        """The bit that stands for an import line (a new one is given the next bit)."""
        if line not in self.lines:
            self.lines.append(line)
        return 1 << self.lines.index(line)

    def decode(self, bits: int) -> set[str]:
        return {line for index, line in enumerate(self.lines) if bits >> index & 1}

    def covers(self, number: int, module: Module, piece: str) -> bool:
        """Whether record `number` has a verdict for every import whose name `piece` spells."""
        return all(
            line in self.lines and self.checked[number] & self.bit(line)
            for name, line in module.bindings.items()
            if name in piece
        )


def _format_pieces(
    module: Module, indexes: list[int], keys: list[str], bundle: _Bundle, ruff: Ruff
) -> dict[str, _Record] | None:
    """The given pieces' records (by the hash of their text), from ruff in chunks: `ruff
    format` on the pieces, and at once `ruff check` of F401 on each piece wrapped in a function
    that imports what the piece spells (the header's lines, one name each). None when ruff
    refuses a piece."""
    ruff.runs.append(len(indexes))
    texts = {i: module.pieces[i] for i in indexes}
    chunks = _chunks(indexes, [len(texts[i]) for i in indexes])
    bits = {line: bundle.bit(line) for line in module.bindings.values()}
    with tempfile.TemporaryDirectory(prefix="specfirst-pieces-") as folder:
        for number, chunk in enumerate(chunks):
            formatted = "".join(_ended(texts[i]) + f"\n\n{_CUT}\n\n\n" for i in chunk)
            Path(folder, f"f{number}.py").write_text(formatted, encoding="utf-8")
        runs: list[subprocess.Popen[bytes]] = []
        try:
            runs.append(_start(ruff, "format", folder, [f"f{n}.py" for n in range(len(chunks))]))
            candidates, rows = _write_checks(module, chunks, texts, folder)  # while ruff formats
            runs.append(_start(ruff, "check", folder, [f"c{n}.py" for n in range(len(chunks))]))
        except BaseException as error:
            for run in runs:
                run.kill()
                run.wait()
            if isinstance(error, OSError):
                return None
            raise
        report = _finish(runs)
        if report is None:
            return None
        unused: dict[int, set[str]] = {}
        for match in _F401.finditer(report):
            found = rows.get((int(match.group(1)), int(match.group(2))))
            if found is None:
                return None  # a diagnostic we did not ask about: be safe
            unused.setdefault(found[0], set()).add(found[1])
        result: dict[str, _Record] = {}
        for number, chunk in enumerate(chunks):
            out = Path(folder, f"f{number}.py").read_text(encoding="utf-8")
            segments = _CUT_LINE.split(out)
            if len(segments) != len(chunk) + 1 or segments[-1].strip():
                return None
            for i, segment in zip(chunk, segments, strict=False):
                checked = used = 0
                unused_here = unused.get(i, set())
                for line in candidates[i]:
                    checked |= bits[line]
                    if line not in unused_here:
                        used |= bits[line]
                text = (segment.strip("\n") + "\n").encode("utf-8")
                result[keys[i]] = _Record(text, checked, used)
    return result


def _write_checks(
    module: Module, chunks: list[list[int]], texts: dict[int, str], folder: str
) -> tuple[dict[int, list[str]], dict[tuple[int, int], tuple[int, str]]]:
    """Write the check files (`c0.py`...): each piece in a function of its own that imports,
    one line each, the header's imports whose name it spells. Those import lines per piece,
    and which piece and import line each row of a check file is."""
    bindings = list(module.bindings.items())
    candidates: dict[int, list[str]] = {}
    rows: dict[tuple[int, int], tuple[int, str]] = {}  # (chunk, row) → (piece, line)
    for number, chunk in enumerate(chunks):
        lines = [*module.future]
        row = len(lines)
        for i in chunk:
            spelled = [line for n, line in bindings if n in texts[i]]
            candidates[i] = spelled
            body = "    " + _ended(texts[i]).rstrip("\n").replace("\n", "\n    ")
            lines += [_WRAPPER, *("    " + line for line in spelled), body]
            rows.update({(number, row + 2 + k): (i, line) for k, line in enumerate(spelled)})
            row += 1 + len(spelled) + body.count("\n") + 1
        Path(folder, f"c{number}.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return candidates, rows


def _ended(piece: str) -> str:
    return piece if piece.endswith("\n") else piece + "\n"


def _chunks(order: list[int], sizes: list[int]) -> list[list[int]]:
    """The pieces in runs of about equal size, a few per core (ruff formats files in parallel)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    wanted = max(1, min(len(order), cores * CHUNKS_PER_CORE))
    share = sum(sizes) / wanted
    chunks: list[list[int]] = [[]]
    filled = 0
    for index, size in zip(order, sizes, strict=True):
        if chunks[-1] and filled >= share * len(chunks):
            chunks.append([])
        chunks[-1].append(index)
        filled += size
    return chunks


def _start(ruff: Ruff, command: str, folder: str, files: list[str]) -> subprocess.Popen[bytes]:
    """`ruff format` on the pieces, or `ruff check` of F401 on their wrapped copies (concise
    report: one line per unused import)."""
    options = ["--select", "F401", "--ignore-noqa", "--output-format", "concise", "--exit-zero"]
    extra = options if command == "check" else []
    return subprocess.Popen(
        [ruff.binary, command, *ruff.options, *extra, *files], cwd=folder, stdout=PIPE, stderr=PIPE
    )


def _finish(runs: list[subprocess.Popen[bytes]]) -> str | None:
    """The check's report (the last run's output), or None when either run failed."""
    outputs = [run.communicate() for run in runs]
    if any(run.returncode != 0 for run in runs):
        return None
    report = outputs[-1][0].decode("utf-8", "replace")
    if "SyntaxError" in report or "error" in outputs[-1][1].decode("utf-8", "replace").lower():
        return None
    return report


def _head_run(head_text: str, name: str, staging: Path, ruff: Ruff) -> str | None:
    """The header fixed and formatted by ruff, with the first piece: the head file (the header,
    the first piece, a statement using the imports the pieces use) formatted in place of the
    module in `staging` (left there: the caller writes the module's file)."""
    path = staging / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head_text, encoding="utf-8")
    if not ruff.format_file(staging, name):
        return None
    out = path.read_text(encoding="utf-8")
    at = out.rfind("\n" + _USES)
    if at < 0:
        return None
    return out[: at + 1].rstrip("\n") + "\n"
