"""The edited schema's parts sent to the models worker before the contract is even loaded.

A schema edit's run waits for datamodel-code-generator on the parts that hold the edited
schema; before this, those parts were known only once the contract was loaded, its schemas
dumped, the models planned, the document built and the parts planned (0.4 s into a run on
GitHub's contract). From the file's bytes and what the last run kept (`Kept`: the contract's bytes,
where each component schema's value and each path item lies in them, the schemas' texts, its
class names and mark, and the texts of its parts), the edit is found with two byte compares (the common head and tail)
(new schemas put in between two, or after the last, are found too: `_Added`, no guess but
the spans and texts follow);
when it lies inside one component schema's value, that schema alone is parsed and rewritten,
once as it was and once as it is, and every kept part holding its old rewritten text gets the
new one in its place: a *guess* of this run's parts, sent to the worker at once (`start`), so
datamodel-code-generator runs while this process loads and plans (`driver._models_source`
takes the results of the guesses that are real parts, and runs the rest).

Sound whatever the guess: a module is a function of its part's text alone (the models cache is
keyed by it), so a guessed text that is one of this run's parts gets the module running that
part gives, and one that is not is never read (its module is cached under its own text, and
the run ends it if it is still running once the real parts are done). What is generated never
depends on `Kept`: a stale, damaged or foreign one only makes the guess wrong. Only for JSON
contracts whose bytes are ASCII (byte offsets are then string offsets: `json.dumps`'s default).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specfirst.byte_ends import common_ends

if TYPE_CHECKING:
    from specfirst.generator.pydantic_models.driver import PrestartedWorker
    from specfirst.generator.schemas import ModelPlan

KEPT_SUFFIX = ".ahead.json"
_WS = re.compile(rb"[ \t\n\r]*")


@dataclass
class Kept:
    """What the last run kept: the contract's bytes (`region_of`), each component schema's
    name and value span in them, their texts (`component_texts`), the plan's class names and
    mark, the texts of the parts (UTF-8: only a guess decodes the few it sends)."""

    region: bytes
    names: list[str]
    starts: list[int]
    ends: list[int]
    class_names: dict[str, str]
    mark: str
    parts: list[bytes]
    texts: list[str]  # each schema's `json.dumps(..., ensure_ascii=False)`, in `names` order
    checks: str = ""  # the loader's code that accepted `region` (`loader_checks`)
    items: list[int] = field(default_factory=list)  # each path item's value span: start, end
    # The plan `plan_models` made of `region` (`plan_state`); empty when none was kept.
    plan: dict[str, Any] = field(default_factory=dict)
    # `_edited` of the last region asked about: a run asks up to four times (guess, loading,
    # component texts, keep) of the same bytes.
    edit: tuple[bytes, _Edit | _Added | None] | None = field(
        default=None, repr=False, compare=False
    )

    def to_bytes(self) -> bytes:
        """The CRC-32 of what output may read (the index, the bytes, the schema texts) and a
        JSON index on the first line, then those bytes, the texts, the parts (only a guess
        reads them: a damaged one is a wrong guess). A text that is its span's bytes (a file
        `json.dumps` wrote, say) is not written again (its size: -1)."""
        spelled = self.region.decode("ascii")
        spans = zip(self.texts, self.starts, self.ends, strict=False)
        texts = [None if t == spelled[a:b] else t.encode() for t, a, b in spans]
        index = [self.names, self.starts, self.ends, self.class_names, self.mark, self.checks]
        index += [self.items, self.plan]
        sizes = [len(self.region), [-1 if t is None else len(t) for t in texts]]
        sizes.append([len(part) for part in self.parts])
        written = [t for t in texts if t is not None]
        checked = b"".join([json.dumps([*index, *sizes]).encode(), b"\n", self.region, *written])
        return b"".join([b"%08x " % zlib.crc32(checked), checked, *self.parts])

    @classmethod
    def from_bytes(cls, data: bytes) -> Kept | None:
        """None unless the CRC-32 holds and `data` has the shape `to_bytes` gives."""
        end = data.find(b"\n")
        try:
            index = json.loads(data[9:end])
            names, starts, ends, class_names, mark, checks, items, plan, size, sizes, lengths = (
                index
            )
            at = end + 1 + size
            region = data[end + 1 : at]
            checked = at + sum(n for n in sizes if n > 0)
            if data[8:9] != b" " or int(data[:8], 16) != zlib.crc32(memoryview(data)[9:checked]):
                return None
            spelled = region.decode("ascii")
            texts = []
            for n, length in enumerate(sizes):
                if length < 0:
                    texts.append(spelled[starts[n] : ends[n]])
                else:
                    texts.append(data[at : at + length].decode())
                    at += length
            parts = []
            for length in lengths:
                parts.append(data[at : at + length])
                at += length
        except (ValueError, TypeError, IndexError, RecursionError):
            return None
        kept = cls(region, names, starts, ends, class_names, mark, parts, texts, checks, items)
        kept.plan = plan
        return kept if end >= 0 and at == len(data) and kept._shaped() else None

    def _shaped(self) -> bool:
        lists = (self.names, self.starts, self.ends, self.parts, self.texts, self.items)
        return (
            all(isinstance(v, list) for v in lists)
            and len(self.names) == len(self.starts) == len(self.ends)
            and all(isinstance(v, int) for v in self.starts + self.ends + self.items)
            and self.starts == sorted(self.starts)
            and self.items == sorted(self.items)
            and len(self.items) % 2 == 0
            and all(isinstance(v, str) for v in self.names + self.texts)
            and len(self.texts) in (0, len(self.names))
            and isinstance(self.class_names, dict)
            and isinstance(self.mark, str)
            and isinstance(self.checks, str)
            and isinstance(self.plan, dict)
        )


@dataclass
class EarlyRun:
    """Guessed part texts, each sent to one of a pool's channels (`asked`: channel index →
    text index), whose answers `driver._models_source` reads with the parts it still needs."""

    texts: list[str]
    asked: dict[int, int]


def kept_path(cache_dir: Path, scope: str) -> Path:
    from specfirst.generator.pydantic_models.driver import _hint_path

    return _hint_path(cache_dir, scope, KEPT_SUFFIX)


def read_kept(path: Path) -> Kept | None:
    from specfirst.generator.state import read_used

    data = read_used(path)
    if data is None:
        return None
    kept = Kept.from_bytes(data)
    _read.clear()
    if kept is not None:
        _read[path] = kept  # for this run's `keep`
    return kept


# The one `Kept` this process read last, by path: `keep` takes it instead of reading again.
_read: dict[Path, Kept] = {}


def region_of(raw: bytes) -> bytes | None:
    """`raw` when it is an ASCII JSON object's text (where a byte offset is a string offset,
    and the spans are read from its start: `spans`), else None."""
    return raw if raw[:1] == b"{" and raw.isascii() else None


def changed(old: bytes, new: bytes) -> tuple[int, int, int]:
    """(start, old end, new end): the bytes that differ, between a common head and tail
    (`byte_ends.common_ends`)."""
    head, tail = common_ends(old, new)
    return head, len(old) - tail, len(new) - tail


@dataclass
class _Edit:
    """The one indexed value an edit lies in: a component schema (`schema`: its index) or a
    path item (`schema` None), its span in the last run's bytes, its value then and now."""

    schema: int | None
    begin: int
    end: int
    before: Any
    now: Any

    def shifted(self, offsets: list[int], shift: int) -> list[int]:
        """Span offsets of the last run's bytes as they are now (the edited span's end too)."""
        return [at + shift if at >= self.end else at for at in offsets]


@dataclass
class _Added:
    """New component schemas written between two of the last run's (or after the last), all
    else byte for byte the same: the schema they follow (`after`: its index), where they were
    put in the last run's bytes (`at`: that schema's value end) and how many bytes, and each
    new schema's name and value span in this run's bytes (`bench_generate`'s "add one
    component", and a reviewer's new schema: without this, every span is found again and
    every schema dumped again)."""

    after: int
    at: int
    length: int
    names: list[str]
    starts: list[int]
    ends: list[int]

    def shifted(self, offsets: list[int]) -> list[int]:
        """Span offsets of the last run's bytes as they are now."""
        return [offset + self.length if offset > self.at else offset for offset in offsets]

    def located(self, kept: Kept) -> Located:
        """The spans of this run's bytes: the last run's, shifted, with the new ones in."""
        cut = self.after + 1
        starts, ends = self.shifted(kept.starts), self.shifted(kept.ends)
        return (
            [*kept.names[:cut], *self.names, *kept.names[cut:]],
            [*starts[:cut], *self.starts, *starts[cut:]],
            [*ends[:cut], *self.ends, *ends[cut:]],
            self.shifted(kept.items),
        )


def _edited(kept: Kept, region: bytes) -> _Edit | _Added | None:
    """Where the edit lies (`_Edit`), or the schemas it adds (`_Added`), or None: no change,
    or neither (worked out once for the bytes of a run: `Kept.edit`)."""
    if kept.edit is not None and (kept.edit[0] is region or kept.edit[0] == region):
        return kept.edit[1]
    found = _find_edit(kept, region)
    kept.edit = region, found
    return found


def _find_edit(kept: Kept, region: bytes) -> _Edit | _Added | None:
    if region == kept.region:
        return None
    start, old_end, _ = changed(kept.region, region)
    at = bisect.bisect_right(kept.starts, start) - 1
    if at >= 0 and start == old_end == kept.ends[at]:  # bytes put in right after its value
        return _inserted(kept, region, start, old_end)
    if at >= 0 and old_end <= kept.ends[at]:
        schema: int | None = at
        begin, end = kept.starts[at], kept.ends[at]
    else:
        pair = bisect.bisect_right(kept.items, start) - 1
        if pair < 0 or pair % 2 or old_end > kept.items[pair + 1]:
            return _inserted(kept, region, start, old_end)
        schema, begin, end = None, kept.items[pair], kept.items[pair + 1]
    try:
        before = json.loads(kept.region[begin:end])
        now = json.loads(region[begin : end + len(region) - len(kept.region)])
    except (ValueError, RecursionError):  # not one value any more (or never was), or too deep
        return None
    return _Edit(schema, begin, end, before, now)


def _inserted(kept: Kept, region: bytes, start: int, old_end: int) -> _Added | None:
    """The new schemas when `region` is the last run's bytes with members put into the
    schemas object right after one schema's value, checked byte for byte: `, "name": value`
    repeated, every name new; None otherwise. `start` and `old_end`: `changed`'s, the bytes
    put in between a common head and tail (`old_end == start`), here moved back to the end
    of the schema value at or before `start` where the bytes between allow."""
    length = len(region) - len(kept.region)
    after = bisect.bisect_right(kept.ends, start) - 1
    if length <= 0 or old_end != start or after < 0:
        return None
    at = kept.ends[after]
    if kept.region[at:start] != region[at + length : start + length]:
        return None
    put = region[at : at + length]
    text = put.decode("ascii")
    decoder = json.JSONDecoder()
    scan: Any = json.decoder.scanstring  # type: ignore[attr-defined]
    names: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    place = 0
    try:
        while place < len(text):
            place = _skip(put, place)
            if text[place] != ",":
                return None
            place = _skip(put, place + 1)
            if text[place] != '"':
                return None
            name, place = scan(text, place + 1)
            place = _skip(put, place)
            if text[place] != ":":
                return None
            place = _skip(put, place + 1)
            _, end = decoder.raw_decode(text, place)
            names.append(name)
            starts.append(at + place)
            ends.append(at + end)
            place = end
    except (ValueError, IndexError, RecursionError):
        return None
    if len(set(names)) != len(names) or not set(names).isdisjoint(kept.names):
        return None  # a key twice: the loader says so
    return _Added(after, at, length, names, starts, ends)


def _skip(data: bytes, at: int) -> int:
    """Past the JSON whitespace at `at` of ASCII `data` (offsets are its text's too)."""
    found = _WS.match(data, at)
    return found.end() if found else at


def guess(kept: Kept, region: bytes) -> list[str]:
    """This run's parts as guessed from the last run's (see the module's docstring)."""
    edited = _edited(kept, region)
    if not isinstance(edited, _Edit) or edited.schema is None:
        return []  # a new schema's part is known only once planned
    name = kept.names[edited.schema]
    return guessed_parts(kept.parts, kept.class_names, kept.mark, name, edited.before, edited.now)


def guessed_parts(
    parts: list[bytes], class_names: dict[str, str], mark: str, name: str, before: Any, now: Any
) -> list[str]:
    """The parts of a run (texts, UTF-8) with component `name` changed from `before` to `now`,
    guessed from the last run's: each that held its rewritten text, with the new one in its
    place (the last run's class names and mark)."""
    from specfirst.generator.schemas import ModelPlan

    if not isinstance(class_names.get(name), str):
        return []
    plan = ModelPlan(class_names=class_names, mark=mark)
    marked = json.dumps(mark + class_names[name], ensure_ascii=False)
    was = f"{marked}: {json.dumps(plan._rewrite(before), ensure_ascii=False)}"
    becomes = f"{marked}: {json.dumps(plan._rewrite(now), ensure_ascii=False)}"
    if was == becomes:
        return []
    needle = was.encode()
    holders = (part.decode() for part in parts if needle in part)
    return list(dict.fromkeys(t.replace(was, becomes) for t in holders))


def start(worker: PrestartedWorker, raw: bytes, cache_dir: Path, scope: str) -> None:
    """Guess this run's parts (`guess`) and send them (`send`). Best effort: nothing happens
    when there is no guess."""
    region = region_of(raw)
    kept = read_kept(kept_path(cache_dir, scope)) if region is not None else None
    if kept is None or region is None:
        return
    try:
        guessed = guess(kept, region)
    except Exception:  # a kept file damaged in a way its shape check misses: no guess
        return
    send(worker, guessed, cache_dir)


def send(worker: PrestartedWorker, guessed: list[str], cache_dir: Path) -> None:
    """Send the guessed parts not cached to `worker`'s channels, one each (`worker.early`),
    largest first. No thread: each text is written whole into its pipe, made large enough to
    take it (`_fits`), so the worker reads it while this process loads (a thread still running
    would keep validation from forking)."""
    from specfirst.generator.pydantic_models.driver import _read_cache, text_key

    if worker.early is not None:
        return  # sent already
    texts = [t for t in guessed if _read_cache(cache_dir, text_key(t)) is None]
    texts.sort(key=len, reverse=True)
    sent: list[str] = []
    asked: dict[int, int] = {}
    for number, channel in enumerate(worker.channels):
        if len(sent) == len(texts):
            break
        text = texts[len(sent)]
        if not _fits(channel.writer.fileno(), len(text.encode()) + 64):
            break
        try:
            channel.send(text)
        except OSError:
            break
        asked[number] = len(sent)
        sent.append(text)
    if sent:
        worker.early = EarlyRun(sent, asked)


_SETPIPE_SIZE = 1031  # fcntl.F_SETPIPE_SZ (Linux)


def _fits(fd: int, size: int) -> bool:
    """Whether `size` bytes can be written into the empty pipe `fd` without waiting for its
    reader (its buffer grown to take them, where the system allows)."""
    import fcntl

    try:
        return fcntl.fcntl(fd, _SETPIPE_SIZE, size) >= size
    except OSError:
        return False


Located = tuple[list[str], list[int], list[int], list[int]]


def spans(region: bytes) -> Located | None:
    """Each component schema's name and value span in `region` (`region_of`), and each path
    item's span (flat: start, end), found from the top (the root object's `components`, its
    `schemas`; its `paths`) with `json`'s own scanner (C), other values skipped: None when
    there is no such object."""
    text = region.decode("ascii")
    decoder = json.JSONDecoder()
    scan: Any = json.decoder.scanstring  # type: ignore[attr-defined]

    def skip(at: int) -> int:
        return _skip(region, at)

    def members(at: int, within: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The object at `at`: for each key of `within`, its value's members (the same way,
        with `within[key]`), or, for an empty `within`, every member's span; and its end.
        Each value is read once: those gone into are not skipped over as well."""
        found: dict[str, Any] = {} if within else {"": []}
        if text[at] != "{":
            raise ValueError("not an object")
        at = skip(at + 1)
        while text[at] == '"':
            name, at = scan(text, at + 1)
            at = skip(at)
            if text[at] != ":":
                raise ValueError("no colon")
            at = skip(at + 1)
            if name in within and name not in found:  # (a key twice fails loading)
                found[name], end = members(at, within[name])
            else:
                _, end = decoder.raw_decode(text, at)
                if not within:
                    found[""].append((name, at, end))
            at = skip(end)
            if text[at] == ",":
                at = skip(at + 1)
        if text[at] != "}":
            raise ValueError("not closed")
        return found, at + 1

    try:
        root, _ = members(0, {"components": {"schemas": {}}, "paths": {}})
        listed = root["components"]["schemas"][""]
        paths = [n for _, *span in root.get("paths", {"": []})[""] for n in span]
    except (ValueError, IndexError, KeyError):
        return None
    return [m[0] for m in listed], [m[1] for m in listed], [m[2] for m in listed], paths


def keep(
    path: Path,
    raw: bytes,
    class_names: dict[str, str],
    mark: str,
    parts: list[str] | None,
    texts: dict[str, str],
    plan: dict[str, Any] | None = None,
) -> None:
    """Keep what the next run guesses from (`Kept`), when it changed; `parts`: this run's part
    texts (None: not planned this run, the kept ones stay); `texts`: its component texts;
    `plan`: `plan_state` of the plan `plan_models` made (None: none is kept). The spans of the
    last run are shifted when the edit lay inside one schema's value or one path item, else
    found again (`spans`)."""
    from specfirst.generator.state import write_atomically

    region = region_of(raw)
    if region is None:
        return
    kept = _read.pop(path, None) or read_kept(path)
    _read.clear()
    blobs = [text.encode() for text in parts] if parts is not None else None
    if blobs is None:
        blobs = kept.parts if kept is not None else []
    if kept is not None and kept.region == region:
        located: Located | None = (kept.names, kept.starts, kept.ends, kept.items)
        same = kept.class_names == class_names and kept.mark == mark and kept.parts == blobs
        same = same and kept.plan == (plan or {})
        if same and kept.texts == list(texts.values()) and kept.checks == loader_checks():
            return
    else:
        edited = _edited(kept, region) if kept is not None else None
        if kept is not None and isinstance(edited, _Added):
            located = edited.located(kept)
        elif kept is not None and isinstance(edited, _Edit):
            shift = len(region) - len(kept.region)
            starts, ends = edited.shifted(kept.starts, shift), edited.shifted(kept.ends, shift)
            located = kept.names, starts, ends, edited.shifted(kept.items, shift)
        else:
            located = spans(region)
    if located is None:
        return
    names, starts, ends, items = located
    listed = list(texts.values()) if list(texts) == names else []
    fresh = Kept(region, names, starts, ends, class_names, mark, blobs, listed)
    fresh.checks, fresh.items, fresh.plan = loader_checks(), items, plan or {}
    write_atomically(path, fresh.to_bytes(), unlink_first=True)


def component_texts(document: dict[str, Any], raw: bytes, path: Path) -> dict[str, str] | None:
    """`document.component_texts(document)` from the last run's, for a document that is the
    JSON text `raw` as parsed (not bundled): where the bytes of a schema's value are the last
    run's, so is its parsed value, and so its text. The edited schema (`_edited`) is dumped;
    None when the edit is not inside one schema's value or nothing usable is kept."""
    region = region_of(raw)
    kept = _read.get(path) or read_kept(path)
    if region is None or kept is None or not kept.texts or kept.checks != loader_checks():
        return None  # texts parsed by other loader code may not be this code's values
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if not isinstance(schemas, dict):
        return None
    edited = _edited(kept, region) if region != kept.region else None
    if region != kept.region and edited is None:
        return None
    names = edited.located(kept)[0] if isinstance(edited, _Added) else kept.names
    if list(schemas) != names:
        return None
    texts = dict(zip(kept.names, kept.texts, strict=True))
    if isinstance(edited, _Added):  # the new ones dumped, in the document's order
        return {
            name: texts[name] if name in texts else json.dumps(schemas[name], ensure_ascii=False)
            for name in names
        }
    if edited is not None and edited.schema is not None:  # else a path item changed
        name = kept.names[edited.schema]
        texts[name] = json.dumps(schemas[name], ensure_ascii=False)
    return texts


def schemas_only_since(raw: bytes, path: Path) -> str | None:
    """The SHA-256 (hex) of the last run's bytes when `raw` differs from them inside one
    component schema's value or by new component schemas only (`_edited`): everything else
    of the document is theirs (its operations, and all they are drafted from); else None."""
    region = region_of(raw)
    kept = (_read.get(path) or read_kept(path)) if region is not None else None
    if region is None or kept is None or region == kept.region:
        return None
    edited = _edited(kept, region)
    if isinstance(edited, _Added) or (isinstance(edited, _Edit) and edited.schema is not None):
        return hashlib.sha256(kept.region).hexdigest()
    return None


def plan_state(plan: ModelPlan) -> dict[str, Any]:
    """What `Kept.plan` holds of a plan `plan_models` made, as JSON (sets sorted), beside the
    class names and mark `Kept` holds already; nothing changes these once planned. Not `taken`:
    `_kept_taken` makes it again."""
    return {
        "hoisted": dict(plan.hoisted),
        "splitting": sorted(plan.splitting),
        "families": sorted(plan.families),
        "reads": sorted(plan.schema_reads),
        "hoisted_refs": sorted(plan.hoisted_refs),
    }


def _kept_taken(names: Iterable[str], families: set[str]) -> set[str]:
    """`ModelPlan.taken` of a plan with these class names and families: the reserved names, and
    each name given with its variants where it is a family's (all `_class_name` adds)."""
    from specfirst.generator.schemas import RESERVED_CLASS_NAMES

    taken = set(RESERVED_CLASS_NAMES)
    for name in names:
        taken.update((name, name + "Request", name + "Response") if name in families else (name,))
    return taken


# What `plan_models` never reads of an operation or a path item (it reads their parameters,
# bodies, responses and operationId): prose. An edit of these alone keeps the plan.
_PROSE = frozenset({"summary", "description"})


def kept_plan(raw: bytes, path: Path, texts: dict[str, str] | None = None) -> ModelPlan | None:
    """The plan `plan_models` makes of the document that is the JSON text `raw`, from the last
    run's (`Kept.plan`, made by this code: `loader_checks` covers the generator's code), when
    the bytes are the last run's, or the edit lies inside one path item (`_edited`) and changes
    only the prose of it and of its operations (`_PROSE`), or inside one component schema and
    changes nothing the plan reads of it (`schema_keeps_plan`): then every other schema, every
    other path item and every part of the plan's inputs is the last run's; or, given the
    document's component `texts`, when the edit adds schemas that move no other name
    (`plan_with_added`). None otherwise."""
    region = region_of(raw)
    kept = (_read.get(path) or read_kept(path)) if region is not None else None
    if region is None or kept is None or not kept.plan or kept.checks != loader_checks():
        return None
    if region != kept.region:
        edited = _edited(kept, region)
        if isinstance(edited, _Added) and texts is not None:
            return plan_with_added(kept.plan, kept.class_names, kept.mark, edited.names, texts)
        if not isinstance(edited, _Edit):
            return None
        if edited.schema is None and not prose_only(edited.before, edited.now):
            return None
        if edited.schema is not None and not schema_keeps_plan(
            kept.names[edited.schema], edited.before, edited.now, kept.plan
        ):
            return None
    return plan_from(kept.plan, kept.class_names, kept.mark)


def plan_with_added(
    state: dict[str, Any],
    class_names: dict[str, str],
    mark: str,
    added: list[str],
    texts: dict[str, str],
) -> ModelPlan | None:
    """The plan `plan_models` makes after component schemas `added` were put in, all else as
    the last run's (whose plan `state` and `class_names` are), where it can tell: then each new
    schema takes the name it wants, and no other name moves. Sound because `name_components`
    gives the names in an order where each takes the first free name of its family, and a new
    family free of every name the last plan took (`taken`) is free at its turn and takes
    nothing another one took; because the splitting families are the last run's with only new
    schemas added (worked out again over `texts`, each component's JSON: an old schema that
    referred to a new one, which it named before it was there, may now split); and because
    nothing the walk over the operations read or hoisted named a new schema (`schema_reads`
    holds the `$ref`s that named nothing, `hoisted_refs` the hoisted schemas' targets). None
    otherwise."""
    from specfirst.generator.schemas import splitting_components
    from specfirst.names import pascal_case

    plan = plan_from(state, class_names, mark)
    if plan is None or not added or any(name in class_names for name in added):
        return None
    if any(name in plan.schema_reads or name in plan.hoisted_refs for name in added):
        return None
    if not set(added) <= set(texts):
        return None
    splitting = splitting_components(dict.fromkeys(texts), texts)
    if splitting - set(added) != plan.splitting:
        return None
    for name in added:
        wanted, splits = pascal_case(name), name in splitting
        if not plan.gets_wanted_name(wanted, splits):
            return None
        plan.class_names[name] = plan._class_name(wanted, ("c", name), splits)
    plan.splitting = splitting
    return plan


def schema_keeps_plan(name: str, before: Any, now: Any, state: dict[str, Any]) -> bool:
    """Whether the plan `state` (`plan_state`) stays the plan after component schema `name`
    went from `before` to `now` (its name, and every other schema and path, unchanged).
    `plan_models` reads a component schema in two ways: `name_components` asks whether it
    has a readOnly/writeOnly node and which schemas its `$ref`s reach (the splitting
    families; its class name comes from its name), and the walk over the operations reads
    what a `$ref` leads it into (`ModelPlan.schema_reads`). The mark is not the plan's: the
    models document works it out again (`DocumentBuilder`)."""
    from specfirst.generator.schemas import _read_write_and_refs

    reads = state.get("reads")
    if not isinstance(reads, list) or name in reads:
        return False
    return _read_write_and_refs(before) == _read_write_and_refs(now)


def plan_from(state: dict[str, Any], class_names: dict[str, str], mark: str) -> ModelPlan | None:
    """The plan `plan_state` gave `state` of, with these class names and mark (a kept run's);
    None when `state` is not of that shape."""
    from specfirst.generator.schemas import ModelPlan

    try:
        hoisted, families = dict(state["hoisted"]), set(state["families"])
        names = [*class_names.values(), *hoisted.values()]
        return ModelPlan(
            class_names=dict(class_names),
            hoisted=hoisted,
            taken=_kept_taken(names, families),
            splitting=set(state["splitting"]),
            mark=mark,
            families=families,
            schema_reads=set(state["reads"]),
            hoisted_refs=set(state["hoisted_refs"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def prose_only(before: Any, now: Any) -> bool:
    """Whether two path items differ in their prose alone (`_PROSE`): the plan is the same."""
    return bool(_without_prose(before) == _without_prose(now))


def _without_prose(item: Any) -> Any:
    """A path item without the prose of it and of its operations (`_PROSE`)."""
    from specfirst.openapi.operations import HTTP_METHODS

    if not isinstance(item, dict):
        return item
    bare = {key: value for key, value in item.items() if key not in _PROSE}
    for method in HTTP_METHODS:
        operation = bare.get(method)
        if isinstance(operation, dict):
            bare[method] = {k: v for k, v in operation.items() if k not in _PROSE}
    return bare


def loader_checks() -> str:
    """What stands for the code that decided whether `region` loads: the generator's
    fingerprint (`pipeline.generator_fingerprint`, computed once a run), which hashes
    `jsontext`, `loader` and `yaml12` among the rest."""
    from specfirst.generator.pipeline import generator_fingerprint

    return generator_fingerprint()


def known_span(raw: bytes, path: Path) -> tuple[int, int, int] | None:
    """What of `raw` the loader need not check again (`jsontext.load_json`'s `known`): all but
    the edited schema's value (`_edited`; 3 levels down: root, `components`, `schemas`), when
    the last run's bytes (which its loader, this code, accepted: `keep` runs only after a
    load) differ from `raw` inside that value alone, or by one new schema (`_Added`: its
    value); all but the path item's value (2 levels down) when inside one; None otherwise."""
    region = region_of(raw)
    kept = (_read.get(path) or read_kept(path)) if region is not None else None
    if region is None or kept is None or kept.checks != loader_checks():
        return None
    edited = _edited(kept, region)
    if isinstance(edited, _Added):
        # One new schema: its value, 3 levels down; its name is none of the others
        # (`_inserted`), so the schemas object around it has no key twice.
        if len(edited.names) != 1:
            return None
        return edited.starts[0], edited.ends[0], 3
    if edited is None:
        return None
    levels = 3 if edited.schema is not None else 2  # root, `components`, `schemas` / `paths`
    return edited.begin, edited.end + len(region) - len(kept.region), levels
