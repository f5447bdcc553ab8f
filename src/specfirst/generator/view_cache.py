"""The view model of each operation, kept between runs with a record of everything it read.

`ViewBuilder` describes an operation in two steps: a *draft* (parameters, body, responses with
their types, security), which depends on the operation and on what its `$ref`s and the model plan
say, and then the names that depend on the operations before it (response classes, the
requirement dependency, the method name), handed out in document order on every run. Only the
drafts are cached.

A draft is a function of the operation (its node, path, method, pointer and merged parameters)
and of the answers to the questions the builder asked while drafting it, each recorded as it
was asked: which node a `$ref` names (its pointer and a digest of its whole subtree), the class
base name of a component, the hoisted class at a pointer, whether a class was generated, whether
a component exists, the document's `security`. Nothing else reaches a draft (the builder reads
the document only through those channels). A cached draft is used when the operation digests
the same and every recorded question gets the same answer now; so an edit to one operation
redrafts that one, and an edit to one schema only the operations whose drafts read it.

The cache is one file per package and contract path under the state folder, holding the drafts
of the last run only (bounded by the contract's size), written atomically, checked against a
digest of its content and read with an unpickler that builds nothing but view-model classes: a
corrupted or foreign file is ignored. Deleting it is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import marshal
import os
import pickle
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specfirst.generator import viewmodel
from specfirst.generator.state import evict, write_atomically
from specfirst.generator.viewmodel import BodyView, HeaderView, ParameterView, TypeRef

if TYPE_CHECKING:
    from specfirst.generator.schemas import ModelPlan

VIEW_CACHE_SUBDIR = "view-cache"
VIEW_CACHE_FILES = 96  # at most this many files (four per package), least recently used first out
_MAGIC = b"specfirst-view-cache 2\n"
_RENDERED_MAGIC = b"specfirst-rendered-3"
_CLASSES_MAGIC = "specfirst-classes 1"


@dataclass(frozen=True)
class ResponseDraft:
    """A response of one operation before its class is named."""

    key: str
    status: int | None
    media_type: str | None
    body_kind: str | None
    body: TypeRef | None
    headers: tuple[HeaderView, ...]
    description: str
    component: str | None
    label: str  # `status_label(key)`
    component_class: str  # the class name a shared response wants (its component's, Pascal-cased)


@dataclass(frozen=True)
class SecurityDraft:
    """An operation's security requirement before its dependency is named."""

    key: str  # what makes two requirements the same
    wanted: str  # the dependency name it asks for
    alternatives: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]
    optional: bool
    schemes: tuple[str, ...]


@dataclass(frozen=True)
class OperationDraft:
    """Everything of an `OperationView` that does not depend on other operations."""

    operation_id: str
    method: str
    path: str
    route_path: str
    summary: str
    parameters: tuple[ParameterView, ...]
    body: BodyView | None
    responses: tuple[ResponseDraft, ...]
    security: SecurityDraft | None
    deprecated: bool
    base: str  # the class-name base it asks for (`pascal_case` of its operationId)
    method_name: str  # the method name it asks for (`snake_case` of its operationId)


# A recorded question: (kind, argument, answer).
Read = tuple[str, str, Any]
# The questions and their answers, the draft, and a digest of the operation and the answers
# (what identifies the draft: `ViewBuilder.view_key` is made of them).
Entry = tuple[tuple[Read, ...], OperationDraft, str]

_ALLOWED = {
    (viewmodel.__name__, name)
    for name in (
        "TypeRef",
        "Constraint",
        "StyledPath",
        "Default",
        "ParameterView",
        "FormFieldView",
        "BodyView",
        "HeaderView",
    )
} | {(__name__, name) for name in ("ResponseDraft", "SecurityDraft", "OperationDraft")}


class _ViewUnpickler(pickle.Unpickler):
    """Builds view-model classes and builtin containers, nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a view-model class")
        return super().find_class(module, name)


def digest(value: object) -> str:
    """A digest of a loaded document's value: its pickle, which keeps order and types (`1`,
    `1.0`, `True` and `"1"` differ) and loads back to an equal value, so equal digests mean
    equal values. (The same value may pickle otherwise where it shares objects otherwise:
    that costs a cache miss, never a wrong hit.)"""
    try:
        data = pickle.dumps(value, protocol=5)
    except Exception:  # not picklable: its text, which a value has only one of
        data = b"repr:" + repr(value).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def cache_file(folder: Path, package: str, contract_path: str) -> Path:
    name = hashlib.sha256(f"{package}\0{contract_path}".encode()).hexdigest()[:32]
    return folder / f"{name}.pickle"


# One operation of the last run, in document order: its tag, its key (the digest of what it
# is drafted from), its path and method (where it is found again).
Listed = tuple[str, str, str, str]


class DraftStore:
    """The drafts of the last run of one package (see the module docstring), and the order of
    its operations: the last run's list of them (`Listed`), kept beside the drafts under the
    hash of the contract it was made of (`listed`, `list_operations`)."""

    def __init__(self, path: Path, context: str) -> None:
        self.path = path
        self.context = context  # the generator's fingerprint: other code, other drafts
        self.entries: dict[str, Entry] = self._load()
        self.used: dict[str, Entry] = {}
        self.missed = False  # a draft was made afresh
        self._listed: tuple[str, list[Listed]] | None = None  # this run's, to save

    @property
    def _list_path(self) -> Path:
        return self.path.with_suffix(".operations")

    def listed(self, source: str) -> list[Listed] | None:
        """The last run's operations, when it ran on the contract whose hash is `source` (and
        with this code); None otherwise, or when the file does not read as one."""
        try:
            data = self._list_path.read_bytes()
            context, recorded, operations = marshal.loads(data)
        except (OSError, ValueError, TypeError, EOFError):
            return None
        if context != self.context or recorded != source or not isinstance(operations, list):
            return None
        if not all(
            isinstance(item, tuple) and len(item) == 4 and all(isinstance(v, str) for v in item)
            for item in operations
        ):
            return None
        return operations

    def list_operations(self, source: str, operations: list[Listed]) -> None:
        """This run's operations, on the contract whose hash is `source`: saved by `save`."""
        self._listed = (source, operations)

    def _load(self) -> dict[str, Entry]:
        try:
            data = self.path.read_bytes()
        except OSError:
            return {}
        head, _, rest = data.partition(b"\n\n")
        magic, _, recorded = head.partition(b"\n")
        payload_digest = hashlib.sha256(rest).hexdigest().encode()
        if magic + b"\n" != _MAGIC or recorded != payload_digest:
            return {}
        try:
            context, entries = _ViewUnpickler(io.BytesIO(rest)).load()
        except Exception:
            return {}
        if context != self.context or not isinstance(entries, dict):
            return {}
        return entries

    def get(self, key: str) -> Entry | None:
        return self.entries.get(key)

    def keep(self, key: str, entry: Entry, fresh: bool) -> None:
        self.used[key] = entry
        self.missed = self.missed or fresh

    def save(self) -> None:
        """Write the drafts used by this run (atomic, best effort), unless nothing changed; and
        the list of its operations, when it made one."""
        if self._listed is not None:
            source, operations = self._listed
            write_atomically(self._list_path, marshal.dumps((self.context, source, operations)))
        if not self.missed and self.used.keys() == self.entries.keys():
            _touch(self.path)
            return
        payload = pickle.dumps((self.context, self.used), protocol=5)
        data = _MAGIC.rstrip(b"\n") + b"\n" + hashlib.sha256(payload).hexdigest().encode()
        if write_atomically(self.path, data + b"\n\n" + payload):
            evict(self.path.parent, max_entries=VIEW_CACHE_FILES)


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


class RenderedStore:
    """The formatted files the last run rendered from one view model (`ViewBuilder.view_key`),
    with their headers' contract hash zeroed (`write.neutral_bytes`): when the next run's view
    model has the same key (every draft from the cache, the same names, tags, info and
    schemes), its files are these, and nothing is rendered or formatted. Each router is kept
    under its own key too (`ViewBuilder.router_keys`): a run whose view model differs takes
    the routers whose key is unchanged (an operation edit renders one router). One file beside
    the drafts, checked against a digest of its content; anything else is ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> tuple[str, dict[str, bytes], dict[str, str]] | None:
        """The view model's key, its files, and the routers' keys (file name → key). The file:
        a line with the key and a digest of the rest, a JSON line (each file's name and
        length, the routers' keys), then the files' bytes one after the other."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        head, _, payload = data.partition(b"\n")
        magic, _, rest = head.partition(b" ")
        key, _, digest = rest.rpartition(b" ")
        if magic != _RENDERED_MAGIC or digest != hashlib.sha256(payload).hexdigest().encode():
            return None
        index, _, blob = payload.partition(b"\n")
        try:
            sizes, routers = json.loads(index)
        except ValueError:
            return None
        files: dict[str, bytes] = {}
        at = 0
        for name, size in sizes:
            files[name] = blob[at : at + size]
            at += size
        if at != len(blob) or not all(isinstance(k, str) for k in routers.values()):
            return None
        return key.decode(), files, routers

    def load(self, key: str) -> dict[str, bytes] | None:
        """The files kept for the view model of `key`; None for any other."""
        kept = self.read()
        return kept[1] if kept is not None and kept[0] == key else None

    def save(self, key: str, files: dict[str, bytes], routers: dict[str, str]) -> None:
        """Atomic and best effort. `routers`: the routers' keys, by file name."""
        names = sorted(files)
        index = json.dumps([[[n, len(files[n])] for n in names], routers], sort_keys=True)
        payload = b"\n".join([index.encode(), b"".join(files[n] for n in names)])
        digest = hashlib.sha256(payload).hexdigest().encode()
        write_atomically(
            self.path, b"%s %s %s\n" % (_RENDERED_MAGIC, key.encode(), digest) + payload
        )


class AskedClasses(Collection[str]):
    """A guess of which model classes were generated (the last run's), standing in for them
    while the models are still being generated, noting every question asked of it. The view
    builder asks of the classes nothing but whether one was generated (`in`: see
    `_RecordingClasses` in `build`), so a view built on the guess is the view of the real
    classes when each question gets the same answer from them (`holds`)."""

    def __init__(self, guess: Collection[str]) -> None:
        self.guess = guess
        self.asked: dict[object, bool] = {}

    def __contains__(self, key: object) -> bool:
        answer = self.asked.get(key)
        if answer is None:
            answer = self.asked[key] = key in self.guess
        return answer

    def __iter__(self) -> Iterator[str]:
        raise TypeError("the view builder may only ask whether a class was generated")

    def __len__(self) -> int:
        raise TypeError("the view builder may only ask whether a class was generated")

    def holds(self, classes: Collection[str]) -> bool:
        """Whether `classes` answer every question asked so far as the guess did."""
        return all((key in classes) == answer for key, answer in self.asked.items())


def read_classes(path: Path) -> frozenset[str] | None:
    """The class names `write_classes` kept (None when there are none). Only a guess is made
    of them (`AskedClasses`), checked against the real ones: a damaged file costs time only."""
    try:
        magic, _, names = path.read_text(encoding="utf-8").partition("\n")
    except (OSError, UnicodeDecodeError):
        return None
    return frozenset(names.split("\n")) if magic == _CLASSES_MAGIC else None


def write_classes(path: Path, classes: Collection[str], kept: Collection[str] | None) -> None:
    """Keep `classes` (atomic, best effort), unless they are what is `kept` already."""
    if kept is not None and kept == classes:
        _touch(path)
        return
    text = "\n".join([_CLASSES_MAGIC, *sorted(classes)])
    if write_atomically(path, text.encode("utf-8")):
        evict(path.parent, max_entries=VIEW_CACHE_FILES)


def planned_classes(plan: ModelPlan) -> frozenset[str]:
    """A guess of the classes a run with no kept ones (`read_classes`) will generate, from the
    model plan alone: every class name it gave (components and hoisted schemas), and both
    variants (`<Name>Request`, `<Name>Response`) of each name it reserved with them
    (`ModelPlan.families`). The view builder asks a family's variant first
    (`schemas.TypeNamer.class_for`), so a family whose schema did split answers as it will;
    one that did not (a schema datamodel-code-generator generates whole) answers wrong only
    where an operation names it, and then `AskedClasses.holds` refuses the guess."""
    variants = (name + end for name in plan.families for end in ("Request", "Response"))
    return frozenset([*plan.class_names.values(), *plan.hoisted.values(), *variants])
