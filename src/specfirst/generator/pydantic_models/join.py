"""Join the modules datamodel-code-generator wrote for the parts of one document (`parts`).

A class for a component schema is named after the component in every part, and a part that
holds the component holds all it depends on, so its classes are the same wherever they come
from. Classes for inline schemas are another matter: datamodel-code-generator gives the first
one it meets a bare name (`Type`) and numbers or prefixes the later ones, so the same name can
mean different classes in different parts, and the same inline schema can have different names.
The join therefore works like a linker:

- a name that two parts define differently is renamed in one of them (a class of a component
  keeps its name; an inline class gives way), with every reference to it in that part;
- a component class that several parts define is taken from the first, and the other parts'
  inline classes that only their copy used are dropped;
- everything else is kept once, identical texts merged.

Renaming works on tokens, so descriptions, field names, enum members and keyword arguments
that happen to spell a class name are left alone. A module that does not have the layout this
relies on (a header of imports, then classes and type aliases, then `X.model_rebuild()` calls)
is refused (`None`), and the caller generates the document in one run.
"""

from __future__ import annotations

import hashlib
import io
import json
import marshal
import os
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from specfirst.generator.schemas import reachable
from specfirst.generator.state import write_atomically

# A top-level class or type alias, and its name (one of the two groups).
# Where a module splits into its top-level statements (each `class`, alias, rebuild...): a
# rename tokenizes only the pieces that name what it renames.
TOP_LEVEL_PIECE = re.compile(r"^(?=\S)", re.MULTILINE)
DEFINITION = re.compile(r"^(?:class (\w+)\b|(\w+) = )", re.MULTILINE)
_IMPORT = re.compile(r"^from (\S+) import (.+)$")
_REBUILD = re.compile(r"^(\w+)\.model_rebuild\(\)$")
_WORD = re.compile(r"[A-Za-z_]\w*")


@dataclass
class LinkedPart:
    """A part's module as the join reads it: its head, its top-level blocks, its trailing
    rebuilds, and which blocks are its home components' classes."""

    head: list[str]
    blocks: dict[str, str]  # class or alias name → its text, in order
    rebuilds: list[str]  # names with a trailing `X.model_rebuild()`
    components: set[str] = field(default_factory=set)  # names that are component classes here

    def to_bytes(self) -> bytes:
        """As `marshal` data (strings, lists: read back twice as fast as their JSON, in every
        part of an edit's run that kept its link)."""
        return marshal.dumps(
            [self.head, list(self.blocks.items()), self.rebuilds, sorted(self.components)]
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> LinkedPart | None:
        """The part `to_bytes` wrote; None for any other bytes (another interpreter's format
        included)."""
        try:
            head, blocks, rebuilds, components = marshal.loads(data)
            found = cls(list(head), dict(blocks), list(rebuilds), set(components))
        except (ValueError, TypeError, EOFError):
            return None
        texts = [*found.head, *found.rebuilds, *found.components, *found.blocks]
        return found if all(isinstance(t, str) for t in [*texts, *found.blocks.values()]) else None


def join_modules(sources: list[str], homes: list[set[str]], held: list[set[str]]) -> str | None:
    """One module from the parts' modules. Part i is the home of the schemas `homes[i]` and
    holds the schemas `held[i]` (names without the mark, stubs and other homes' copies
    included): the classes of held schemas that have their home elsewhere are dropped, with the
    inline classes only they used, so every class comes from its home part."""
    modules = []
    for source, home, names in zip(sources, homes, held, strict=True):
        module = link_part(source, home, names)
        if module is None:
            return None
        modules.append(module)
    return join_linked(modules)


def link_part(source: str, home: set[str], held: set[str]) -> LinkedPart | None:
    """What the join takes from one part's module (`join_modules`): a function of the module
    and of the part's home and held schemas alone, so it can be kept with the part (the
    driver caches it beside the module). None: a layout the join does not know."""
    module = _split_module(source)
    if module is None:
        return None
    module.components = {n for n in module.blocks if _owner(n, held) in home}
    foreign = {n for n in module.blocks if _owner(n, held) not in (None, *home)}
    _drop(module, foreign)
    return module


def join_linked(modules: list[LinkedPart], memo: Path | None = None) -> str | None:
    """The parts' linked modules (`link_part`, in part order) as one module; None when they do
    not fit together. The modules are renamed in place. `memo`: where the renames' tokenizing
    is kept between runs (`RenameMemo`): an edit renames the same conflicts as the last run."""
    if not modules:
        return None
    renames = RenameMemo(memo)
    joined = _join(modules, renames)
    renames.save()
    return joined


def _join(modules: list[LinkedPart], renames: RenameMemo) -> str | None:
    plain_heads = {
        tuple(line for line in m.head if line and not _IMPORT.match(line)) for m in modules
    }
    if len(plain_heads) != 1:
        return None
    taken = {name for module in modules for name in module.blocks}
    while conflicts := _conflicts(modules):
        for first, later, name in conflicts:
            if name in modules[later].components and name in modules[first].components:
                return None  # two homes for one class: not a layout we know
            loser = modules[first] if name in modules[later].components else modules[later]
            fresh = fresh_name(name, taken)
            taken.add(fresh)
            _rename(loser, name, fresh, renames)
    return _render(modules)


def _owner(name: str, held: set[str]) -> str | None:
    """The held schema whose class `name` is (`Pet`, or a `PetRequest`/`PetResponse` variant)."""
    if name in held:
        return name
    base = _base_name(name)
    return base if base in held else None


def _drop(module: LinkedPart, dropped: set[str]) -> None:
    """Remove `dropped` and the inline classes that only they use."""
    if not dropped:
        return
    uses = {
        name: set(_WORD.findall(text)) & module.blocks.keys() - {name}
        for name, text in module.blocks.items()
    }
    used = {target for name, targets in uses.items() for target in targets}
    roots = [
        n for n in module.blocks if n not in dropped and (n in module.components or n not in used)
    ]
    needed = reachable(roots, {name: targets - dropped for name, targets in uses.items()})
    module.blocks = {n: t for n, t in module.blocks.items() if n in needed}


def _conflicts(modules: list[LinkedPart]) -> list[tuple[int, int, str]]:
    """(earlier part, later part, name) for each name two parts define differently."""
    seen: dict[str, int] = {}
    found = []
    for index, module in enumerate(modules):
        for name, text in module.blocks.items():
            first = seen.setdefault(name, index)
            if first != index and modules[first].blocks[name] != text:
                found.append((first, index, name))
    return found


def _base_name(name: str) -> str:
    for suffix in ("Request", "Response"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def fresh_name(name: str, taken: set[str]) -> str:
    """The next free number on the name's stem, in datamodel-code-generator's style (`Type4`)."""
    stem = name.rstrip("0123456789") or name
    number = 1
    while f"{stem}{number}" in taken:
        number += 1
    return f"{stem}{number}"


def _rename(module: LinkedPart, old: str, new: str, renames: RenameMemo) -> None:
    blocks = {}
    for name, text in module.blocks.items():
        blocks[new if name == old else name] = rename_identifier(text, old, new, renames)
    module.blocks = blocks
    module.rebuilds = [new if name == old else name for name in module.rebuilds]
    if old in module.components:
        module.components = (module.components - {old}) | {new}


def rename_identifier(text: str, old: str, new: str, memo: RenameMemo | None = None) -> str:
    """`old` → `new` where it names the class: not in strings, not after a dot, not as a field,
    enum member or keyword argument (a name followed by `:` or `=`), except the definition.
    Only a text that spells `old` as a whole word can name it (`Type`, not `ContentType`): the
    others are given back untokenized. `memo`: where those places are kept (`RenameMemo`)."""
    if old not in text or not re.search(rf"(?<!\w){re.escape(old)}(?!\w)", text):
        return text
    edits = memo.places(text, old) if memo is not None else _places(text, old)
    if alias_string := re.search(rf'^{re.escape(old)} = TypeAliasType\("{re.escape(old)}"', text):
        del alias_string  # the alias's own name is a string; it follows the variable
        text = text.replace(f'TypeAliasType("{old}"', f'TypeAliasType("{new}"', 1)
    lines = text.split("\n")
    for row, column in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:column] + new + line[column + len(old) :]
    return "\n".join(lines)


def _places(text: str, old: str) -> list[tuple[int, int]]:
    """Where (row, column) `rename_identifier` puts the new name in place of `old`: a function
    of the text and the name alone."""
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    edits: list[tuple[int, int]] = []
    for index, token in enumerate(tokens):
        if token.type != tokenize.NAME or token.string != old:
            continue
        before = _significant(reversed(tokens[:index]), (tokenize.NL, tokenize.COMMENT))
        after = _significant(tokens[index + 1 :], _LAYOUT)
        defines = before is not None and before.string == "class"
        alias = token.start[1] == 0 and after is not None and after.string == "="
        if not (defines or alias):
            if before is not None and before.string == ".":
                continue
            if after is not None and after.string in ("=", ":") and _starts_item(before):
                continue
        edits.append(token.start)
    return edits


# At most this many texts' places kept (about 100 bytes each): GitHub's join tokenizes 866.
MEMO_ENTRIES = 8192


class RenameMemo:
    """The places `rename_identifier` found in a text (`_places`: tokenizing, most of the
    join's time), kept between runs under a SHA-256 of the name and the text: the join of an
    edit renames the same conflicts in the same texts as the last run. One JSON file, read
    whole, written atomically when it gained places; the places used by this run first, then
    the others kept (another contract's) up to `MEMO_ENTRIES`. A file that does not read as
    places is ignored."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.kept: dict[str, list[list[int]]] = {}
        self.used: dict[str, list[list[int]]] = {}
        self.fresh = False
        if path is None:
            return
        try:
            data = path.read_bytes()
            os.utime(path)  # last use decides what is evicted
            kept = json.loads(data)
        except (OSError, ValueError):
            return
        if isinstance(kept, dict) and all(
            isinstance(places, list)
            and all(isinstance(p, list) and len(p) == 2 for p in places)
            and all(type(n) is int for p in places for n in p)
            for places in kept.values()
        ):
            self.kept = kept

    def places(self, text: str, old: str) -> list[tuple[int, int]]:
        key = hashlib.sha256(f"{old}\0{text}".encode()).hexdigest()
        found = self.used.get(key)
        if found is None:
            found = self.kept.get(key)
        if found is None:
            found = [list(place) for place in _places(text, old)]
            self.fresh = True
        self.used[key] = found
        return [(row, column) for row, column in found]

    def save(self) -> None:
        """Best effort, like every cache entry: only when this run tokenized anything."""
        if self.path is None or not self.fresh:
            return
        entries = dict(self.used)
        for key, places in self.kept.items():
            if len(entries) >= MEMO_ENTRIES:
                break
            entries.setdefault(key, places)
        write_atomically(self.path, json.dumps(entries, separators=(",", ":")).encode())


_LAYOUT = (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT)


def _significant(
    tokens: Iterable[tokenize.TokenInfo], skipped: tuple[int, ...]
) -> tokenize.TokenInfo | None:
    return next((t for t in tokens if t.type not in skipped), None)


def _starts_item(before: tokenize.TokenInfo | None) -> bool:
    """A name at the start of a statement or argument: `name: ...`, `name = ...`, `f(name=...)`."""
    return (
        before is None
        or before.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
        or before.string in ("(", ",", "\n")
    )


def _render(modules: list[LinkedPart]) -> str:
    imports: dict[str, list[str]] = {}
    for module in modules:
        for line in module.head:
            if match := _IMPORT.match(line):
                names = imports.setdefault(match.group(1), [])
                names += [
                    n for n in (i.strip() for i in match.group(2).split(",")) if n not in names
                ]
    head: list[str] = []
    for line in modules[0].head:
        match = _IMPORT.match(line)
        if match is None:
            head.append(line)
        elif match.group(1) in imports:
            head.append(f"from {match.group(1)} import {', '.join(imports.pop(match.group(1)))}")
    extra = [f"from {module} import {', '.join(names)}" for module, names in imports.items()]
    if extra:  # modules only later parts import from: after the first part's imports
        last = max(i for i, line in enumerate(head) if _IMPORT.match(line))
        head[last + 1 : last + 1] = extra

    kept: dict[str, str] = {}
    for module in modules:
        for name, text in module.blocks.items():
            kept.setdefault(name, text)
    kept = _bases_first(kept)
    rebuilds = dict.fromkeys(n for m in modules for n in m.rebuilds if n in kept)
    text = "\n".join(head).rstrip("\n") + "\n\n\n" + "\n\n\n".join(kept.values()) + "\n"
    return text + (
        "\n\n" + "\n".join(f"{n}.model_rebuild()" for n in rebuilds) + "\n" if rebuilds else ""
    )


_BASES = re.compile(r"^class \w+\(([^)]*)\)")


def _bases_first(blocks: dict[str, str]) -> dict[str, str]:
    """The blocks in their order, except that a class comes after the classes it derives from
    (the one thing evaluated when a class is created that may come from another part; enum
    defaults are `enums_before_defaults`'s)."""
    ordered: dict[str, str] = {}

    def place(name: str, path: tuple[str, ...]) -> None:
        if name in ordered or name in path:
            return
        match = _BASES.match(blocks[name])
        for base in _WORD.findall(match.group(1)) if match else []:
            if base in blocks:
                place(base, (*path, name))
        ordered[name] = blocks[name]

    for name in blocks:
        place(name, ())
    return ordered


def _split_module(source: str) -> LinkedPart | None:
    starts = list(DEFINITION.finditer(source))
    if not starts:
        return None
    head = source[: starts[0].start()].rstrip("\n").split("\n")
    if any(line and not line.startswith(("#", "from ")) for line in head):
        return None
    blocks: dict[str, str] = {}
    rebuilds: list[str] = []
    for index, start in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(source)
        lines = source[start.start() : end].rstrip().split("\n")
        body = [lines[0]]
        statements: list[str] = []
        for line in lines[1:]:
            if line and not line[0].isspace():
                statements.append(line)
            elif statements and line:  # text after a top-level statement: a layout we do not know
                return None
            elif not statements:
                body.append(line)
        for statement in statements:
            rebuild = _REBUILD.match(statement)
            if rebuild is None:
                return None
            rebuilds.append(rebuild.group(1))
        name = start.group(1) or start.group(2)
        if name in blocks:
            return None
        blocks[name] = "\n".join(body).rstrip()
    return LinkedPart(head, blocks, rebuilds)
