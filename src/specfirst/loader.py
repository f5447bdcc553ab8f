"""Load a contract: YAML or JSON, split across files with relative `$ref`s, into one bundled document.

The bundled document is what every later stage works on (validation, generation, lint, diff, the
contract the app serves). External `$ref`s are internalised as components, so the result is a single
self-contained OpenAPI document. Line numbers are not kept in the data: `Contract.locate` maps a JSON
pointer of the bundled document back to `file:line:column` of the file where it was written, parsing
node positions only when an error needs them (a 13 MB JSON contract loads at `json.loads` speed).
"""

from __future__ import annotations

import bisect
import gc
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from specfirst.errors import ContractLoadError, Location
from specfirst.jsontext import Known, load_json

if TYPE_CHECKING:
    from specfirst.yaml_splice import Parsed, Reparse

# PyYAML (and `yaml12`) are imported when a YAML file is read or located, not for a JSON contract.

# Starts with the literal `$ref` (a leading optional quote would change no answer of `search` but
# makes the engine try every offset: 0.1 s on a 7 MB text instead of 5 ms).
_EXTERNAL_REF = re.compile(rb"""\$ref["']?\s*:\s*["']?(?!#)[^\s"']""")

# Where a `$ref` stands decides which components section its target joins.
_SECTION_BY_PARENT = {
    "parameters": "parameters",
    "responses": "responses",
    "headers": "headers",
    "examples": "examples",
    "links": "links",
    "callbacks": "callbacks",
    "securitySchemes": "securitySchemes",
}

# Keys whose value is a Schema Object.
_SCHEMA_SLOTS = frozenset({"schema", "items", "additionalProperties", "not"})


def escape_pointer_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unescape_pointer_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def split_pointer(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    tokens = pointer.lstrip("/").split("/")
    if "~" not in pointer:  # nothing escaped (most pointers): the tokens as they are
        return tokens
    return [unescape_pointer_token(t) for t in tokens]


def join_pointer(tokens: list[str] | tuple[str, ...]) -> str:
    joined = "/".join(tokens)
    if "~" not in joined and joined.count("/") == len(tokens) - 1:
        return "/" + joined if tokens else ""  # no token holds `~` or `/`: nothing to escape
    # Escaped all at once, joined by a character no token holds (checked by counting it).
    joined = "\0".join(tokens)
    if joined.count("\0") == len(tokens) - 1:
        return "/" + joined.replace("~", "~0").replace("/", "~1").replace("\0", "/")
    return "".join("/" + escape_pointer_token(t) for t in tokens)


@dataclass
class SourceFile:
    """One file of a contract: its bytes, parsed data, and (lazily) node positions."""

    path: Path
    raw: bytes
    data: Any
    # A YAML file's bytes and data as parsed, for the next run's load (`yaml_splice`): asked
    # for by `read_source`'s `keep`, and None where they are those `last` held.
    parsed: Parsed | None = None
    # What was taken from `last` (the entry parsed again, its old value), when it was.
    reparse: Reparse | None = None

    @cached_property
    def positions(self) -> dict[str, tuple[int, int]]:
        """JSON pointer → (line, column), 1-based, for every node of the file."""
        import yaml

        text = self.raw.decode("utf-8", errors="replace")
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        found: dict[str, tuple[int, int]] = {}
        if root is None:
            return found
        stack: list[tuple[yaml.Node, str]] = [(root, "")]
        while stack:
            node, pointer = stack.pop()
            found[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    key = str(key_node.value)
                    child = f"{pointer}/{escape_pointer_token(key)}"
                    # A key's own position is where a reviewer looks for it.
                    found[child + "#key"] = (
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                    )
                    stack.append((value_node, child))
            elif isinstance(node, yaml.SequenceNode):
                for index, item in enumerate(node.value):
                    stack.append((item, f"{pointer}/{index}"))
        return found

    @cached_property
    def sha256(self) -> str:
        """The hex SHA-256 of its bytes."""
        return hashlib.sha256(self.raw).hexdigest()

    @cached_property
    def json_index(self) -> _JsonIndex:
        return _JsonIndex(self.raw.decode("utf-8", errors="replace"))

    def locate(self, pointer: str) -> Location:
        """The position of `pointer`, or of its longest prefix that exists in the file."""
        if self.path.suffix.lower() == ".json":
            # PyYAML cannot compose every JSON text (surrogate-pair escapes such as "\ud83d"
            # stop it) and takes ~10 s on a 13 MB one; JSON positions are found on demand.
            line, column = self.json_index.locate(pointer)
            return Location(self.path, line, column)
        positions = self.positions
        tokens = split_pointer(pointer)
        while True:
            candidate = join_pointer(tokens)
            hit = positions.get(candidate + "#key") or positions.get(candidate)
            if hit is not None:
                return Location(self.path, hit[0], hit[1])
            if not tokens:
                return Location(self.path, 1, 1)
            tokens.pop()


_scanstring: Any = json.decoder.scanstring  # type: ignore[attr-defined]  # C accelerated


class _JsonIndex:
    """Positions in a JSON text, found on demand.

    A container's members are indexed (key offset, value offset) the first time a pointer passes
    through it, skipping over member values at C speed with `raw_decode`; a few lookups in a
    13 MB document cost a few tenths of a second, not a full position map.
    """

    _WS = re.compile(r"[ \t\n\r]*")

    def __init__(self, text: str) -> None:
        self.text = text
        self.members: dict[str, dict[str, tuple[int | None, int]]] = {}
        self.decoder = json.JSONDecoder()

    def _skip(self, index: int) -> int:
        match = self._WS.match(self.text, index)
        return match.end() if match else index

    def _index(
        self, start: int, each_key: Callable[[str, int], None] | None = None
    ) -> dict[str, tuple[int | None, int]]:
        text, found = self.text, {}
        opener = text[start]
        index = self._skip(start + 1)
        position = 0
        while index < len(text) and text[index] not in "}]":
            key_at: int | None = None
            if opener == "{":
                key_at = index
                key, index = _scanstring(text, index + 1)
                if each_key is not None:
                    each_key(key, key_at)
                index = self._skip(self._skip(index) + 1)  # past ":"
            else:
                key, position = str(position), position + 1
            found[key] = (key_at, index)
            _, index = self.decoder.raw_decode(text, index)
            index = self._skip(index)
            if index < len(text) and text[index] == ",":
                index = self._skip(index + 1)
        return found

    def locate(self, pointer: str) -> tuple[int, int]:
        """(line, column) of the member at `pointer` (its key), or of its longest existing prefix."""
        offset = self._skip(1 if self.text.startswith("\ufeff") else 0)
        at, current = offset, ""
        try:
            for token in split_pointer(pointer):
                if self.text[offset] not in "{[":
                    break
                members = self.members.get(current)
                if members is None:
                    members = self.members[current] = self._index(offset)
                entry = members.get(token)
                if entry is None:
                    break
                key_at, offset = entry
                at = offset if key_at is None else key_at
                current += "/" + escape_pointer_token(token)
        except (ValueError, IndexError):
            pass  # not reachable for text json.loads accepted; keep the best position found
        line = bisect.bisect_left(self.newlines, at)  # newlines before `at`
        line_start = self.newlines[line - 1] + 1 if line else 0
        return line + 1, at - line_start + 1

    @cached_property
    def newlines(self) -> list[int]:
        return [match.start() for match in re.finditer("\n", self.text)]


def json_key_offsets(text: str, pointer: str, key: str) -> list[int]:
    """Offsets of every occurrence of `key` among the members of the object at `pointer`."""
    index = _JsonIndex(text)
    offset = index._skip(1 if text.startswith("\ufeff") else 0)
    current = ""
    for token in split_pointer(pointer):
        members = index.members.get(current)
        if members is None:
            members = index.members[current] = index._index(offset)
        entry = members.get(token)
        if entry is None:
            return []
        offset = entry[1]
        current += "/" + escape_pointer_token(token)
    if text[offset] != "{":
        return []
    found: list[int] = []
    index._index(offset, lambda name, at: found.append(at) if name == key else None)
    return found


def read_source(
    path: Path,
    raw: bytes | None = None,
    known: Known | None = None,
    last: Parsed | None = None,
    keep: bool = False,
) -> SourceFile:
    """Read and parse one file (`raw`: its bytes, when read already); syntax errors become
    `ContractLoadError` with the file position. `known`: see `jsontext.load_json`. For a YAML
    file, `last`: its bytes and data as a past load parsed them, from which only an edited
    entry is parsed again (`yaml_splice.reparsed`); `keep`: the bytes and data are kept in
    `SourceFile.parsed` (before anything can change the data)."""
    if raw is None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ContractLoadError("file not found", file=path) from None
        except OSError as exc:
            raise ContractLoadError(f"cannot read file: {exc.strerror}", file=path) from None
    with _collector_paused():
        if path.suffix.lower() == ".json":
            data = load_json(raw, path, known)
        else:
            return _read_yaml(path, raw, last, keep)
    return SourceFile(path=path, raw=raw, data=data)


def _read_yaml(path: Path, raw: bytes, last: Parsed | None, keep: bool) -> SourceFile:
    from specfirst.yaml12 import loaded_yaml
    from specfirst.yaml_splice import Parsed, reparsed, snapshot

    found = reparsed(last, raw, path) if last is not None else None
    data, aliased = (found.data, found.aliased) if found is not None else loaded_yaml(raw, path)
    # Nothing new to keep where the bytes and data are those kept (`at` (): no entry parsed).
    unchanged = found is not None and not found.at and not found.added
    parsed = Parsed(raw, snapshot(data), aliased) if keep and not unchanged else None
    return SourceFile(path=path, raw=raw, data=data, parsed=parsed, reparse=found)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a file is parsed: the parser makes a tree of fresh
    objects (GitHub's: about a million) that the collector would traverse again and again for
    nothing; anything left over is collected as usual once it runs again. Inside
    `loaded_trees_frozen`, the tree then goes to the collector's permanent generation."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if _FREEZING:
            gc.freeze()
    finally:
        if enabled:
            gc.enable()


_FREEZING: list[bool] = []


@contextmanager
def loaded_trees_frozen() -> Iterator[None]:
    """For a command that loads a contract and then works on it until it ends (`specfirst
    generate`): every file loaded inside goes to the garbage collector's permanent generation
    (`gc.freeze`), so the collections of the later stages, and of a child forked for validation
    (which would also copy the pages it touches), skip its million objects (on GitHub's
    contract: about 0.07 s of CPU in this process, more in the child). A tree has no cycles, so
    the collector had nothing to find in it; its objects are still freed when unreferenced.
    On leaving, everything frozen is handed back to the collector (`gc.unfreeze`)."""
    _FREEZING.append(True)
    try:
        yield
    finally:
        _FREEZING.pop()
        if not _FREEZING:
            gc.unfreeze()


@dataclass(frozen=True)
class UnresolvedRef:
    """A `$ref` the loader could not follow (missing file or node, remote URL): the contract is
    invalid, and validation reports it beside every other error. The `$ref` is left as written."""

    pointer: str  # of the `$ref` key, in the file that holds it
    message: str
    location: Location


@dataclass
class Contract:
    """A loaded contract: the bundled document plus the way back to its source files."""

    path: Path
    document: dict[str, Any]
    sources: dict[Path, SourceFile]
    # bundled pointer prefix → (file, pointer in that file) for content that came from another file
    origins: dict[str, tuple[Path, str]] = field(default_factory=dict)
    unresolved: list[UnresolvedRef] = field(default_factory=list)
    # Whether external `$ref`s were looked for and rewritten (else the document is the root
    # file's data exactly as parsed).
    bundled: bool = False

    @property
    def files(self) -> list[Path]:
        return list(self.sources)

    @cached_property
    def sha256(self) -> str:
        if len(self.sources) == 1:  # the digest of one file's bytes, hashed once for the stamp
            return next(iter(self.sources.values())).sha256
        digest = hashlib.sha256()
        for path in sorted(self.sources, key=lambda p: (p != self.path, str(p))):
            digest.update(self.sources[path].raw)
        return digest.hexdigest()

    @property
    def openapi_version(self) -> str:
        return str(self.document.get("openapi", ""))

    def locate(self, pointer: str) -> Location:
        """`file:line:column` where the node at `pointer` (of the bundled document) was written."""
        tokens = split_pointer(pointer)
        for cut in range(len(tokens), 0, -1):
            origin = self.origins.get(join_pointer(tokens[:cut]))
            if origin is not None:
                file, base = origin
                return self.sources[file].locate(base + join_pointer(tokens[cut:]))
        return self.sources[self.path].locate(pointer)


def load_contract(
    path: str | Path,
    raw: bytes | None = None,
    known: Known | None = None,
    last: Parsed | None = None,
    keep: bool = False,
) -> Contract:
    """Load `path` and every file it reaches through relative `$ref`s into one bundled document.
    `raw`: the bytes of `path`, when the caller has read them already (`pipeline`: once a run);
    `known`: what of them is known to pass the checks (`jsontext.load_json`); `last` and
    `keep`: `read_source`'s, for `path` (a YAML file)."""
    root_path = _relative_to_cwd(Path(path).resolve())
    root = read_source(root_path, raw, known if raw is not None else None, last, keep)
    if not isinstance(root.data, dict):
        raise ContractLoadError(
            "a contract must be a mapping (an OpenAPI document)", file=root_path
        )
    bundler = _Bundler(root)
    bundled = _EXTERNAL_REF.search(root.raw) is not None
    if bundled:
        bundler.internalise()
    return Contract(
        path=root_path,
        document=root.data,
        sources=bundler.sources,
        origins=bundler.origins,
        unresolved=bundler.unresolved,
        bundled=bundled,
    )


class _Bundler:
    """Rewrites external `$ref`s into `#/components/...` refs, copying their targets in."""

    def __init__(self, root: SourceFile) -> None:
        self.root = root
        self.sources: dict[Path, SourceFile] = {root.path: root}
        self.origins: dict[str, tuple[Path, str]] = {}
        self.placed: dict[tuple[Path, str], str] = {}
        self.unresolved: list[UnresolvedRef] = []

    def unresolvable(self, file: Path, here: str, message: str) -> None:
        pointer = here + "/$ref"
        location = self.sources[file].locate(pointer)
        self.unresolved.append(UnresolvedRef(pointer, message, location))

    @property
    def components(self) -> dict[str, Any]:
        components = self.root.data.setdefault("components", {})
        if not isinstance(components, dict):
            raise ContractLoadError("components must be a mapping", file=self.root.path)
        return components

    def internalise(self) -> None:
        found = list(self._refs(self.root.data, []))
        # Components that only point elsewhere first, so their targets keep the component's name.
        found.sort(key=lambda item: not (len(item[2]) == 3 and item[2][0] == "components"))
        for node, key, parent_tokens in found:
            self._rewrite(node, key, parent_tokens, self.root.path)

    def _refs(
        self, node: Any, tokens: list[str]
    ) -> Iterator[tuple[dict[str, Any], str, list[str]]]:
        """Every mapping holding a `$ref` below `node` (the mapping, the ref, its pointer tokens)."""
        stack: list[tuple[Any, list[str]]] = [(node, tokens)]
        while stack:
            current, where = stack.pop()
            if isinstance(current, dict):
                ref = current.get("$ref")
                if isinstance(ref, str):
                    yield current, ref, where
                for key, value in current.items():
                    if isinstance(value, dict | list):
                        stack.append((value, [*where, key]))
            elif isinstance(current, list):
                for index, value in enumerate(current):
                    if isinstance(value, dict | list):
                        stack.append((value, [*where, str(index)]))

    def _load(self, path: Path, referrer: Path, referrer_pointer: str) -> SourceFile | None:
        """The file a `$ref` names (None, recorded as unresolvable, when it does not exist)."""
        source = self.sources.get(path)
        if source is None:
            try:
                source = read_source(path)
            except ContractLoadError as exc:
                if exc.message != "file not found":
                    raise  # a file that exists but cannot be read or parsed: unreadable contract
                self.unresolvable(
                    referrer, referrer_pointer, f"$ref points to a missing file: {path}"
                )
                return None
            self.sources[path] = source
        return source

    def _rewrite(self, node: dict[str, Any], ref: str, tokens: list[str], file: Path) -> None:
        here = join_pointer(tokens)
        target_part, _, fragment = ref.partition("#")
        fragment = unquote(fragment)
        if not target_part:
            if file == self.root.path:
                return  # a local ref of the root document stays as it is
            target_file = file
        else:
            if "://" in target_part:
                message = "remote $ref is not supported; vendor the file next to the contract"
                self.unresolvable(file, here, message)
                return
            target_file = (file.parent / unquote(target_part)).resolve()
            target_file = _relative_to_cwd(target_file)
        key = (target_file, fragment)
        placed = self.placed.get(key)
        if placed is None:
            placed = self._place(key, tokens, file, here)
        if placed is not None:
            node["$ref"] = "#" + placed

    def _place(self, key: tuple[Path, str], tokens: list[str], file: Path, here: str) -> str | None:
        target_file, fragment = key
        source = self._load(target_file, file, here)
        if source is None:
            return None
        target: Any = source.data
        for token in split_pointer(fragment):
            if isinstance(target, dict) and token in target:
                target = target[token]
            elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
                target = target[int(token)]
            else:
                self.unresolvable(file, here, f"$ref target not found: {target_file}#{fragment}")
                return None
        if target_file == self.root.path:
            self.placed[key] = fragment
            return fragment
        if file == self.root.path and len(tokens) == 3 and tokens[0] == "components":
            # `components.schemas.Pet: {$ref: pet.yaml#/Pet}` names the slot: fill it in place.
            section, unique = tokens[1], tokens[2]
            bucket = self.components.setdefault(section, {})
        else:
            section = _section_for(tokens, fragment)
            name = _component_name(fragment, target_file)
            bucket = self.components.setdefault(section, {})
            unique, suffix = name, 2
            while unique in bucket:
                unique, suffix = f"{name}{suffix}", suffix + 1
        placed = join_pointer(["components", section, unique])
        self.placed[key] = placed
        copy = json.loads(json.dumps(target))
        bucket[unique] = copy
        self.origins[placed] = (target_file, fragment)
        # Refs inside the copy are relative to the file it came from; errors point into that file.
        for child, ref, child_tokens in self._refs(copy, []):
            self._rewrite(child, ref, split_pointer(fragment) + child_tokens, target_file)
        return placed


def _relative_to_cwd(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _section_for(tokens: list[str], fragment: str) -> str:
    parts = split_pointer(fragment)
    if len(parts) >= 3 and parts[0] == "components":
        return parts[1]
    # A ref standing directly in a schema slot (`.../content/application~1json/schema`) is a schema,
    # whatever section encloses it further up (here `responses`); the loop below skips the last token.
    if (
        tokens
        and tokens[-1] in _SCHEMA_SLOTS
        and (len(tokens) < 2 or tokens[-2] not in _SECTION_BY_PARENT)
    ):
        return "schemas"
    for token in reversed(tokens[:-1] if tokens else tokens):
        if token in _SECTION_BY_PARENT:
            return _SECTION_BY_PARENT[token]
        if token in ("schema", "items", "properties", "allOf", "oneOf", "anyOf", "schemas"):
            return "schemas"
    if tokens and tokens[-1] == "requestBody":
        return "requestBodies"
    return "schemas"


def _component_name(fragment: str, file: Path) -> str:
    parts = split_pointer(fragment)
    raw = parts[-1] if parts else file.stem
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", raw)
    return name or file.stem
