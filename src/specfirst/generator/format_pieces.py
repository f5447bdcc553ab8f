"""Format a large generated module (models.py) top-level piece by top-level piece, cached.

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

The pieces are kept in one cache entry per package (a "bundle": each piece's formatted text and
its imports' verdicts, under a hash of its text), plus the head run's output; the formatted
module itself holds the pieces' texts, so the entry is about the module's size, and a run on
the text it was last assembled for (an operation edit) reads it back whole.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import PIPE
from typing import NamedTuple

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
    while index < len(cuts) and _kind(cuts[index]) is None:
        piece = cuts[index]
        if (
            piece.strip()
            and not piece.startswith("#")
            and not _read_import(piece, future, bindings)
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
    text: str,
    name: str,
    staging: Path,
    cache: Path,
    bundle_name: str,
    ruff: Ruff,
    whole: str = "",
) -> bytes | None:
    """`text` (the module `name`) formatted as ruff formats it whole in `staging`, as UTF-8,
    from the pieces kept in `cache`; None when the layout is unknown or a piece does not format
    alone (the caller formats the whole file). `whole`: a key of `text` (a hash of it, its name
    and ruff's signature): when the bundle was last assembled for that key, its module is given
    back as it is, without cutting `text`. `staging/name` is left holding anything (the head
    run formats there): the caller writes the result, or the text for ruff."""
    bundle_path = cache / f"{bundle_name}.pieces"
    kept = _Bundle.read(bundle_path, ruff.signature)
    if whole and kept.whole == whole:
        return kept.module()
    module = split_module(text)
    if module is None:
        return None
    keys = [hashlib.sha256(piece.encode("utf-8")).hexdigest() for piece in module.pieces]
    first = {key: index for index, key in reversed(list(enumerate(keys)))}
    known = kept.index
    if kept.bindings != module.bindings:  # a verdict is missing where a piece spells a new import
        known = {k: r for k, r in known.items() if k in first and kept.covers(r, module, first[k])}
    missing = [first[k] for k in first if k not in known]
    if not all(plain_piece(module.pieces[i], module.classes[i]) for i in missing):
        return None
    fresh: dict[str, _Record] = {}
    if missing:
        formatted = _format_pieces(module, missing, keys, kept, ruff)
        if formatted is None:
            return None
        fresh = formatted
    # Each distinct piece: ruff's fresh record, else the bundle's record number.
    numbers = {key: known[key] for key in first if key not in fresh}
    used = 0
    for record in fresh.values():
        used |= record.used
    for number in numbers.values():
        used |= kept.used[number]
    lines = kept.decode(used)
    names = [name for name, line in module.bindings.items() if line in lines]
    last = module.pieces[0].rstrip("\n")
    head_text = f"{module.header}{last}\n\n\n{_USES}({', '.join(names)})\n"
    head_key = hashlib.sha256(f"{ruff.signature}\0{head_text}".encode()).hexdigest()
    head = kept.head.get(head_key)
    if head is None:
        head = _head_run(head_text, name, staging, ruff)
        if head is None:
            return None
    parts = [head.encode("utf-8")]
    spans: dict[str, tuple[int, int]] = {}  # where each piece's text is in the module
    at = len(parts[0])
    classes, pieces = module.classes, module.pieces
    for index in range(1, len(keys)):
        between = (
            _TWO_BLANK
            if classes[index - 1] or classes[index]
            else glue(pieces[index - 1], False, False).encode()
        )
        kept_number = numbers.get(keys[index])
        piece = fresh[keys[index]].formatted if kept_number is None else kept.text(kept_number)
        parts += (between, piece)
        at += len(between)
        spans.setdefault(keys[index], (at, at + len(piece)))
        at += len(piece)
    result = b"".join(parts)
    changed = missing or head_key not in kept.head or kept.bindings != module.bindings
    if changed or kept.whole != whole:
        heads = {head_key: head}
        entry = _entry(
            ruff.signature, whole, result, module.bindings, kept, fresh, numbers, spans, heads
        )
        write_atomically(bundle_path, entry)
    return result


_TWO_BLANK = b"\n\n"


def _entry(
    signature: str,
    whole: str,
    module: bytes,
    bindings: dict[str, str],
    kept: _Bundle,
    fresh: dict[str, _Record],
    numbers: dict[str, int],
    spans: dict[str, tuple[int, int]],
    head: dict[str, str],
) -> bytes:
    """The bundle's cache entry (`_Bundle.read`) of the pieces `fresh` from ruff and those
    `kept` has (their record `numbers`): `module`, formatted for the text of key `whole`, holds
    every piece's text at its span; those without one (the first piece, which the head run
    formats) follow it."""
    extra: list[bytes] = []
    at = len(module)
    flat: list[int] = []
    checked: list[int] = []
    used: list[int] = []
    for record in fresh.values():
        checked.append(record.checked)
        used.append(record.used)
    for number in numbers.values():
        checked.append(kept.checked[number])
        used.append(kept.used[number])
    for key in (*fresh, *numbers):
        span = spans.get(key)
        if span is None:
            text = fresh[key].formatted if key in fresh else kept.text(numbers[key])
            extra.append(text)
            span = (at, at + len(text))
            at = span[1]
        flat += span
    meta = {
        "signature": signature,
        "whole": whole,
        "module_end": len(module),
        "size": at,
        "bindings": bindings,
        "lines": kept.lines,
        "head": head,
        "keys": [*fresh, *numbers],
        "spans": flat,
        "checked": checked,
        "used": used,
    }
    digest = hashlib.sha256()
    body = [json.dumps(meta, ensure_ascii=False).encode(), b"\n", module, *extra]
    for chunk in body:
        digest.update(chunk)
    return b"".join([digest.hexdigest().encode(), b"\n", *body])


class _Record(NamedTuple):
    """A piece as ruff formatted it: its formatted text (UTF-8), the import lines checked
    against it (those whose name it spells) and those of them it uses, as bits over the
    bundle's `lines` (a bundle keeps the same in lists, the text as a span of its bytes)."""

    formatted: bytes
    checked: int
    used: int


@dataclass
class _Bundle:
    """The pieces of one module as last formatted, in one cache entry: a SHA-256 of the rest
    (a damaged entry is ignored), a JSON line (all but the texts), then the module as last assembled followed by the pieces it does not hold
    (the first, which the head run formats), each piece's text a span of those bytes. Read
    whole (its texts are sliced from it only when used), written whole."""

    bindings: dict[str, str]  # the header's bindings of the run that wrote it
    lines: list[str]  # the import lines the records' bits stand for
    index: dict[str, int]  # hash of a piece's text → its record number
    spans: list[int]  # each record's text: start and end in `blob`
    checked: list[int]
    used: list[int]
    head: dict[str, str]  # hash of the head run's input → its output up to the first piece
    whole: str = ""  # the key of the text the module at the start of `blob` was assembled for
    module_end: int = 0
    blob: bytes = b""

    @classmethod
    def read(cls, path: Path, signature: str) -> _Bundle:
        """The bundle kept at `path` for this ruff (`signature`); an empty one when there is
        none or it cannot be read. What its digest vouches for `_entry` wrote: the lengths
        are checked, not each span."""
        empty = cls({}, [], {}, [], [], [], {})
        try:
            data = path.read_bytes()
            os.utime(path)
            digest_end = data.index(b"\n")
            digest = hashlib.sha256(memoryview(data)[digest_end + 1 :]).hexdigest()
            if data[:digest_end] != digest.encode():
                return empty
            meta_end = data.index(b"\n", digest_end + 1)
            meta = json.loads(data[digest_end + 1 : meta_end])
            blob = data[meta_end + 1 :]
            if meta["signature"] != signature:
                return empty
            keys, spans, checked, used = meta["keys"], meta["spans"], meta["checked"], meta["used"]
            if len(blob) != meta["size"] or not len(keys) == len(checked) == len(used):
                return empty
            if len(spans) != 2 * len(keys) or not 0 <= meta["module_end"] <= len(blob):
                return empty
            bundle = cls(
                dict(meta["bindings"]),
                list(meta["lines"]),
                dict(zip(keys, range(len(keys)), strict=True)),
                spans,
                checked,
                used,
                dict(meta["head"]),
                str(meta["whole"]),
                meta["module_end"],
                blob,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return empty
        return bundle

    def module(self) -> bytes:
        return self.blob[: self.module_end]

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

    def covers(self, number: int, module: Module, index: int) -> bool:
        """Whether record `number` has a verdict for every import whose name the piece spells."""
        piece = module.pieces[index]
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
