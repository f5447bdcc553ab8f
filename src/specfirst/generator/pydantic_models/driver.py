"""The models stage: datamodel-code-generator, set up to be as strict as the contract.

datamodel-code-generator is by far the slowest stage (about 17 s of CPU for GitHub's 1,463
schemas), so a large document is generated in many small parts (`parts`), spread over worker
processes (`worker`), one per core, and linked back into one module (`join`). Each part's module
is cached by content (the exact part document, this package's code and the tools' versions), with
its linked form for the join, and so is the whole result: an edit to one schema re-runs only the
part that is its home, and an edit that leaves the schemas alone runs nothing. The models
document itself is built schema by schema, from a memo of the last run's (`document`). The cache lives in the state folder
(`state.state_dir`), is bounded (`CACHE_MAX_ENTRIES`, `CACHE_MAX_BYTES`, least recently used
first out) and written atomically, so concurrent or interrupted runs only ever see whole
entries; deleting it is safe.

Component names reach datamodel-code-generator behind a mark and are restored by `unmark`, which
also repairs what the mark hides from it: see `schemas.COMPONENT_MARK`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import tokenize
import warnings
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from specfirst.errors import SpecfirstError
from specfirst.generator import string_keywords
from specfirst.generator.pydantic_models.join import LinkedPart, join_linked, link_part
from specfirst.generator.pydantic_models.result import ModelsModule
from specfirst.generator.pydantic_models.scalar_items import inline_scalar_items
from specfirst.generator.pydantic_models.variant_names import restore_variant_names
from specfirst.generator.schemas import FIELD_NAMES_KEY, MARK_KEY
from specfirst.generator.state import evict, read_used, write_atomically

if TYPE_CHECKING:
    from collections.abc import Callable

    from specfirst.generator.pydantic_models.ahead import EarlyRun
    from specfirst.generator.pydantic_models.document import DocumentBuilder, ModelsDocument
    from specfirst.generator.pydantic_models.resident import Lease

CACHE_SUBDIR = "models-cache"
CACHE_MAX_ENTRIES = 2048  # parts, their linked modules, whole documents; least recently used out
CACHE_MAX_BYTES = 256 * 1024 * 1024
_ENTRIES = ("*.py", "*.json")  # what the cache holds (not its files being written)
_HEADER_SLOT = "# specfirst: generated-file header"
# Every object model's base (`specfirst_runtime.models`): validated by alias, built by name.
MODEL_BASE = "specfirst_runtime.models.ContractModel"


class ModelGenerationError(SpecfirstError):
    """datamodel-code-generator refused the contract's schemas; the message speaks the
    contract's language (component names, no internal marks), and `classes` names the classes
    (the components' class names) it mentions."""

    def __init__(self, message: str, classes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.classes = classes


# Said in models.py when readOnly/writeOnly variants could not be split (see `_run_datamodel_codegen`).
VARIANTS_FALLBACK = (
    "# specfirst: one class per schema (readOnly/writeOnly variants could not be split)"
)
# datamodel-code-generator's internal path markers (`#-datamodel-code-generator-#-read-write-request-#-special-#`)
_DMCG_MARKER = re.compile(r"#?-?datamodel-code-generator-#-(?:[\w-]*?-#-special-#|[\w-]*)")


def generate_models(
    document: dict[str, Any] | ModelsDocument,
    header: str,
    cache_dir: Path | None = None,
    worker: PrestartedWorker | None = None,
    later: list[Callable[[], None]] | None = None,
) -> str:
    """Pydantic v2 source for `document["components"]["schemas"]`; `cache_dir` is the models
    cache (None: no cache); `later`: where the cache's eviction goes, for the caller to run
    off the way (else it runs at once).

    Strictness, as the contract says it: optional fields are `X | MISSING` so `null` is refused
    where the contract does not allow it; `StrictFloat`/`StrictBool` refuse `false` for a number
    and `1` for a boolean; readOnly/writeOnly split request and response variants; discriminators
    become tagged unions. `worker`: a worker process already started (see `PrestartedWorker`).
    """
    from specfirst.generator.pydantic_models.document import ModelsDocument

    models = (
        document if isinstance(document, ModelsDocument) else ModelsDocument.from_document(document)
    )
    if not models.texts:
        return f"{header}\n\nfrom __future__ import annotations\n"
    key = text_key(models.text)
    body = _read_cache(cache_dir, key) if cache_dir is not None else None
    if body is None:
        body = enums_before_defaults(_models_source(models, cache_dir, worker))
        if cache_dir is not None:
            _write_cache(cache_dir, key, body)
            folder = cache_dir

            def bounded() -> None:  # parts, their links, whole documents, memos and hints
                evict(
                    folder,
                    max_entries=CACHE_MAX_ENTRIES,
                    max_bytes=CACHE_MAX_BYTES,
                    patterns=_ENTRIES,
                )

            if later is None:
                bounded()
            else:
                later.append(bounded)  # 0.03 s for GitHub's 2,000 entries
    return body.replace(_HEADER_SLOT, header, 1)


def generate_models_module(
    builder: DocumentBuilder,
    header: str,
    cache_dir: Path | None = None,
    worker: PrestartedWorker | None = None,
) -> ModelsModule:
    """`generate_models` of the document `builder` builds, as the typed result the view
    builder reads. When the cache has a module under the builder's `inputs()` (everything the
    build reads), the document is not even built. `worker`: one started earlier (`early_worker`),
    used or ended here."""
    alias = None
    if cache_dir is not None:
        digest = hashlib.sha256(f"inputs\0{_code_fingerprint()}\0".encode())
        alias = digest.hexdigest() + builder.inputs()[:16]
        body = _read_cache(cache_dir, alias)
        if body is not None:
            if worker is not None:
                worker.close()
            return ModelsModule.from_source(body.replace(_HEADER_SLOT, header, 1))
    # Some part will likely run: a worker starts now, and is ready when the parts are known.
    from specfirst.generator.pydantic_models.parts import MIN_BYTES

    if worker is None and alias is not None and builder.size > MIN_BYTES:
        worker = PrestartedWorker.start()
    try:
        document = builder.build()
        source = generate_models(document, _HEADER_SLOT, cache_dir, worker, builder.later)
        builder.parts = document.parts
    finally:
        if worker is not None:
            worker.close()
    if alias is not None and cache_dir is not None:
        _write_cache(cache_dir, alias, source)
    return ModelsModule.from_source(source.replace(_HEADER_SLOT, header, 1))


def worker_before_load(
    contract: Path, cache_dir: Path, raw: bytes | None = None
) -> PrestartedWorker | None:
    """A worker started before the contract is even loaded, when the bytes of its component
    schemas look changed since the last run (`early.region_changed`: a guess, which
    `early_worker` corrects once the schemas are known). It loads datamodel-code-generator
    while this process loads, plans and builds. None otherwise, or when the file is unreadable
    (loading it says why). `raw`: the file's bytes, when the caller has read them already."""
    from specfirst.generator.pydantic_models.early import region_changed
    from specfirst.generator.pydantic_models.parts import MIN_BYTES

    if raw is None:
        try:
            raw = contract.read_bytes()
        except OSError:
            return None
    hint = _hint_path(cache_dir, contract.resolve().as_posix(), ".region.json")
    return PrestartedWorker.start() if region_changed(raw, hint, MIN_BYTES) else None


def early_worker(
    texts: dict[str, str],
    cache_dir: Path,
    scope: str,
    started: PrestartedWorker | None = None,
) -> PrestartedWorker | None:
    """A worker started before the contract is planned, when its component schemas (`texts`)
    changed since the last run and are large enough to be generated in parts: it loads
    datamodel-code-generator (about 0.6 s) while this process plans and builds. None
    otherwise (an operation edit: the whole-document cache most likely holds the models).
    `started`: the one `worker_before_load` started on a guess, kept when the schemas did
    change, else ended here."""
    from specfirst.generator.pydantic_models.document import schemas_changed
    from specfirst.generator.pydantic_models.parts import MIN_BYTES

    changed = sum(len(text) for text in texts.values()) > MIN_BYTES and schemas_changed(
        texts, _hint_path(cache_dir, scope, ".seen.json")
    )
    if not changed:
        if started is not None:
            started.close()
        return None
    return started if started is not None else PrestartedWorker.start()


def _hint_path(cache_dir: Path, scope: str, suffix: str) -> Path:
    """A hint for starting a worker early, kept beside the memo (and evicted as others)."""
    from specfirst.generator.pydantic_models.document import MEMO_SUFFIX

    memo = memo_path(cache_dir, scope)
    return memo.with_name(memo.name.replace(MEMO_SUFFIX, suffix))


def memo_path(cache_dir: Path, scope: str) -> Path:
    """The memo of built schemas (`document.DocumentBuilder`) for one contract (`scope`, its
    path: a name only, so two contracts of one project keep a memo each)."""
    from specfirst.generator.pydantic_models.document import MEMO_SUFFIX

    keyed = f"memo\0{_code_fingerprint()}\0{MARSHAL_VERSION}\0{scope}"
    name = hashlib.sha256(keyed.encode()).hexdigest()
    return cache_dir / f"{name}{MEMO_SUFFIX}"


def _models_source(
    models: ModelsDocument, cache_dir: Path | None, worker: PrestartedWorker | None = None
) -> str:
    """datamodel-code-generator's module for the document: in parts when it is large (see
    `parts`), each part cached on its own; in one run otherwise, or when the join refuses.
    Parts are linked (`join.link_part`) as their modules come: the cached ones while the
    workers run the first parts, each fresh one as it arrives; only `join_linked` waits for
    them all."""
    from specfirst.generator.pydantic_models.parts import plan_parts_of

    parts = plan_parts_of(models.header, models.texts, models.facts)
    models.parts = [part.text for part in parts]
    early = worker.early if worker is not None else None
    if worker is not None:
        worker.early = None  # taken over here
    if not parts:
        return _run_datamodel_codegen(models.document)
    keys = [text_key(part.text) for part in parts]
    # A part whose linked module is kept needs neither its module (its link is read while the
    # workers run) nor a run; the others, their module when it is kept, else a run.
    link_keys = [_link_key(part, k) for part, k in zip(parts, keys, strict=True)]
    kept = [
        cache_dir is not None and (cache_dir / f"{k}{_LINKED_SUFFIX}").exists() for k in link_keys
    ]
    sources = [
        _read_cache(cache_dir, k) if cache_dir is not None and not kept[i] else None
        for i, k in enumerate(keys)
    ]
    # Parts with the same document (the members of one discriminator, say) run once.
    missing = list(
        dict.fromkeys(keys[i] for i, source in enumerate(sources) if source is None and not kept[i])
    )
    users: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        users.setdefault(key, []).append(index)
    linked: list[LinkedPart | None] = [None] * len(parts)
    refused = False
    if early is None:
        run = run_parts([parts[users[k][0]].text for k in missing], worker)
        key_of = missing
    else:  # the guessed parts run already: the others join them
        key_of = [text_key(text) for text in early.texts]
        guessed = set(key_of)
        fresh = [k for k in missing if k not in guessed]
        texts = early.texts + [parts[users[k][0]].text for k in fresh]
        run = PartRun(texts, worker, owned=False, asked=early.asked)
        key_of += fresh
    needed = set(missing)
    try:
        for index, source in enumerate(sources):  # the workers run: link what is cached
            if refused:
                break
            if kept[index] and cache_dir is not None:
                found = _kept_link(cache_dir, link_keys[index])
                if found is None:
                    found = _relinked(parts[index], cache_dir, keys[index])
                linked[index] = found
            elif source is not None:
                linked[index] = link_cached(source, parts[index], cache_dir, keys[index])
            else:
                continue
            refused = linked[index] is None
        run.optional = {n for n, k in enumerate(key_of) if k not in needed}  # wrong guesses
        results = run.results() if needed or early is None else iter(())
        for answered, (number, source) in enumerate(results, 1):
            key = key_of[number]
            if cache_dir is not None:
                _write_cache(cache_dir, key, source)
            for index in users.get(key, ()):
                if not refused:
                    linked[index] = link_cached(source, parts[index], cache_dir, key)
                    refused = linked[index] is None
            needed.discard(key)
            if not needed and answered < len(key_of):  # a wrong guess runs: `close` ends it
                break
    except (ModelGenerationError, OSError):  # a part failed: one run says why
        return _run_datamodel_codegen(models.document)
    finally:
        run.close()
    modules = [m for m in linked if m is not None]
    joined = None if refused else join_linked(modules, _renames_path(cache_dir))
    return joined if joined is not None else _run_datamodel_codegen(models.document)


def _renames_path(cache_dir: Path | None) -> Path | None:
    """The join's memo of renames (`join.RenameMemo`), one per version of this package's code."""
    if cache_dir is None:
        return None
    name = hashlib.sha256(f"renames\0{_code_fingerprint()}".encode()).hexdigest()
    return cache_dir / f"{name}.renames.json"


def link_cached(
    source: str, part: Any, cache_dir: Path | None = None, key: str | None = None
) -> LinkedPart | None:
    """`join.link_part` of one part's module, told which schemas the part is the home of and
    which it holds (names without the mark); None where the join refuses it. With `cache_dir`
    and the part's cache `key`, the linked module (a function of the module and home alone)
    is kept beside the module: an edit relinks only the parts it re-ran."""
    mark = part.mark
    home = {name.removeprefix(mark) for name in part.home}
    link_key = None
    if cache_dir is not None and key is not None:
        link_key = _link_key(part, key)
        cached = _kept_link(cache_dir, link_key)
        if cached is not None:
            return cached
    held = {name.removeprefix(mark) for name in part.held}
    module = link_part(source, home, held)
    if module is not None and link_key is not None and cache_dir is not None:
        write_atomically(cache_dir / f"{link_key}{_LINKED_SUFFIX}", module.to_bytes())
    return module


def _link_key(part: Any, key: str) -> str:
    """The cache key of a part's linked module: its module's key and the schemas it is home of."""
    digest = hashlib.sha256(f"link\0{key}\0".encode())
    digest.update("\0".join(sorted(name.removeprefix(part.mark) for name in part.home)).encode())
    return digest.hexdigest()


def _kept_link(cache_dir: Path, link_key: str) -> LinkedPart | None:
    """The kept linked module under `link_key` (`_link_key`), or None."""
    data = read_used(cache_dir / f"{link_key}{_LINKED_SUFFIX}")
    return LinkedPart.from_bytes(data) if data is not None else None


def _relinked(part: Any, cache_dir: Path, key: str) -> LinkedPart | None:
    """A part whose kept link went or was damaged since it was found: linked again from its
    module, or where that went too (evicted by a concurrent run) from a run in this process."""
    source = _read_cache(cache_dir, key)
    if source is None:
        source = _run_datamodel_codegen(part.document)
        _write_cache(cache_dir, key, source)
    return link_cached(source, part, cache_dir, key)


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class PrestartedWorker:
    """Worker processes (`worker`), one per core, started before their documents are known.
    Each serves one channel (`_Channel`) and pulls parts from `PartRun`; `close()` ends them
    all. They are forked copies of the resident worker (`resident`: datamodel-code-generator
    is already loaded) when there is one (`lease`), else one interpreter started here
    (`process`) loads it (about 0.6 s: imports, its first run) while this process plans the
    parts, then forks a loaded copy of itself for each other core."""

    def __init__(
        self,
        channels: list[_Channel],
        process: subprocess.Popen[bytes] | None = None,
        folder: Path | None = None,
        lease: Lease | None = None,
    ) -> None:
        self.channels = channels
        self.process = process
        self.folder = folder  # the process's temporary folder (its stderr), removed by `close`
        self.lease = lease
        self._finished = False
        # Called once the workers have their parts (`PartRun`): from then on this process
        # mostly waits for them (`pipeline._ViewAhead` builds the view model meanwhile).
        self.on_give: Callable[[], None] | None = None
        # Parts guessed before the contract was loaded, running already (`ahead.start`).
        self.early: EarlyRun | None = None

    @classmethod
    def start(cls) -> PrestartedWorker | None:
        """None on one core (this process is the only one to run parts) or when it fails."""
        from specfirst.generator.pydantic_models.resident import lease

        cores = usable_cores()
        if cores < 2:
            return None
        try:
            channels, theirs = _channels(cores)
        except OSError:
            return None
        try:
            held = lease(list(zip(theirs[::2], theirs[1::2], strict=True)))
        finally:
            for fd in theirs:
                os.close(fd)
        if held is not None:
            return cls(channels, lease=held)
        for channel in channels:  # the resident may yet serve these: fresh ones for the worker
            channel.close()
        return cls._spawn(cores)

    @classmethod
    def _spawn(cls, cores: int) -> PrestartedWorker | None:
        """The worker as its own interpreter, started here."""
        folder = Path(tempfile.mkdtemp(prefix="specfirst-worker-"))
        channels: list[_Channel] = []
        theirs: list[int] = []
        try:
            channels, theirs = _channels(cores)
            pairs = [f"{r},{w}" for r, w in zip(theirs[::2], theirs[1::2], strict=True)]
            with (folder / "worker.err").open("wb") as err:
                process = subprocess.Popen(
                    _worker_command(pairs),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    env=_worker_env(),
                    pass_fds=theirs,
                    start_new_session=True,  # its forked copies share its group: `close` ends all
                )
        except OSError:
            for channel in channels:
                channel.close()
            shutil.rmtree(folder, ignore_errors=True)
            return None
        finally:
            for fd in theirs:
                os.close(fd)
        return cls(channels, process, folder)

    def finish(self) -> None:
        """No more parts: the workers see their channels close and exit on their own. Only
        once no thread waits on a channel (`PartRun.results` is through)."""
        self._finished = True
        for channel in self.channels:
            channel.close()

    def close(self) -> None:
        """End the workers: those `finish` let go exit at once (this process's own is waited
        for), the others are killed: the resident's copies by the pids it gave, this
        process's worker with its forked copies (one process group)."""
        self.early = None  # its documents' answers are not waited for
        if self.lease is not None:
            if not self._finished:
                self.lease.kill()  # before their channels close: the pids are still theirs
            self.finish()
            self.lease.close()
        if self.process is None:
            return
        if not self._finished:
            if self.process.returncode is None:  # not reaped: its group id is still its own
                with contextlib.suppress(OSError):  # (its forked copies may outlive it)
                    os.killpg(self.process.pid, signal.SIGKILL)
            self.finish()  # a thread still waiting on a channel saw it end with the kill
        try:
            self.process.wait(timeout=_EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _channels(count: int) -> tuple[list[_Channel], list[int]]:
    """`count` channels: this process's ends, and the worker's (read, write, read, write...),
    which the caller closes once they are passed on."""
    channels: list[_Channel] = []
    theirs: list[int] = []
    try:
        for _ in range(count):
            to_read, to_write = os.pipe()
            from_read, from_write = os.pipe()
            theirs += [to_read, from_write]
            channels.append(_Channel(os.fdopen(from_read, "rb"), os.fdopen(to_write, "wb")))
    except OSError:
        for channel in channels:
            channel.close()
        for fd in theirs:
            os.close(fd)
        raise
    return channels, theirs


# How long `close` lets workers whose channels closed exit on their own before it kills them.
_EXIT_SECONDS = 2.0


class _Channel:
    """This process's ends of the two pipes to one worker (see `worker`)."""

    def __init__(self, reader: BinaryIO, writer: BinaryIO) -> None:
        self.reader = reader
        self.writer = writer

    def ask(self, text: str) -> tuple[str, str]:
        """The worker's answer to one document: ("ok", module) or ("error", message); OSError
        when the worker is gone."""
        self.send(text)
        return self.receive()

    def send(self, text: str) -> None:
        write_message(self.writer, "part", text)

    def receive(self) -> tuple[str, str]:
        answer = read_message(self.reader)
        if answer is None:
            raise OSError("the models worker ended")
        return answer

    def close(self) -> None:
        for stream in (self.writer, self.reader):
            with contextlib.suppress(OSError):
                stream.close()


def _worker_command(pairs: list[str]) -> list[str]:
    return [sys.executable, "-m", "specfirst.generator.pydantic_models.worker", *pairs]


def _worker_env() -> dict[str, str]:
    package_root = str(Path(__file__).resolve().parents[3])
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def write_message(stream: BinaryIO, kind: str, text: str) -> None:
    """One message between the driver and a worker: `kind`, the byte length of `text`, a
    newline, then `text` as UTF-8 (so no escaping is needed)."""
    body = text.encode()
    stream.write(f"{kind} {len(body)}\n".encode() + body)
    stream.flush()


def read_message(stream: BinaryIO) -> tuple[str, str] | None:
    """The next message `write_message` wrote; None at the end of the stream (or a torn one)."""
    line = stream.readline()
    kind, _, length = line.decode("ascii", errors="replace").partition(" ")
    if not line.endswith(b"\n") or not length.strip().isdigit():
        return None
    size = int(length)
    body = stream.read(size)
    return (kind, body.decode()) if len(body) == size else None


class PartRun:
    """Documents (as JSON texts) run on a pool's workers as one queue, largest first: each
    worker takes the next document when it is done with its last, so every core stays busy to
    the end whatever the documents cost, and `results()` hands each module over as it arrives.
    Which worker runs a document never changes its module (a module is a function of its
    document alone), so the output depends neither on the cores nor on their speed. A worker
    that dies gives its document back to the queue; when none is left, this process runs the
    rest itself. `close()` (always) lets the workers go, or kills them when the run was cut
    short; a pool the run started itself (`owned`) is ended too. `asked`: the documents
    sent to a channel already (`ahead.start`), each answered there first."""

    def __init__(
        self,
        texts: list[str],
        pool: PrestartedWorker | None,
        owned: bool,
        asked: dict[int, int] | None = None,
    ) -> None:
        self.texts = texts
        self.pool = pool
        self.owned = owned
        # Documents sent already (`ahead.start`): channel index → document index.
        self.asked = dict(asked or {})
        given = set(self.asked.values())
        self._pending = sorted(
            (i for i in range(len(texts)) if i not in given), key=lambda i: (-len(texts[i]), i)
        )
        self.optional: Collection[int] = ()  # documents whose refusal does not matter
        self._through = False
        self._answered = False
        self._lock = threading.Lock()
        self._answers: queue.SimpleQueue[tuple[int, str, str] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, args=(channel, self.asked.get(n)), daemon=True)
            for n, channel in enumerate(pool.channels if pool is not None else [])
        ]
        for thread in self._threads:
            thread.start()
        if pool is not None and pool.on_give is not None and texts:
            pool.on_give()

    def _next(self) -> int | None:
        with self._lock:
            return self._pending.pop(0) if self._pending else None

    def stop(self) -> None:
        with self._lock:
            self._pending.clear()  # hand out nothing more

    def _serve(self, channel: _Channel, asked: int | None = None) -> None:
        """One worker's loop, in its own thread (it waits on pipes: the GIL is free); `asked`:
        the document sent to it already, whose answer comes first."""
        try:
            while (index := asked if asked is not None else self._next()) is not None:
                try:
                    if asked is None:
                        channel.send(self.texts[index])
                    asked = None
                    kind, text = channel.receive()
                except (OSError, ValueError):  # gone (or its channel closed): back in the queue
                    if index not in self.optional:  # a guess is not needed: it goes
                        with self._lock:
                            self._pending.insert(0, index)
                    return
                self._answers.put((index, kind, text))
        finally:
            self._answers.put(None)  # this worker is done

    def results(self) -> Iterator[tuple[int, str]]:
        """(index, module) for every document, in the order they are done; raises
        `ModelGenerationError` for the first document datamodel-code-generator refuses (but
        for those in `optional`: left out)."""
        optional = self.optional
        running = len(self._threads)
        done = 0
        while running and done < len(self.texts):
            answer = self._answers.get()
            if answer is None:
                running -= 1
                continue
            index, kind, text = answer
            self._answered = True  # so the pool is loaded (copies are forked once it is)
            done += 1
            if kind != "ok" and index in optional:
                continue
            if kind != "ok":
                raise ModelGenerationError(text)
            yield index, text
        while (left := self._next()) is not None:  # no worker left: this process
            if left not in optional:  # a guess (`ahead`) is never run here: it may be refused
                yield left, _run_datamodel_codegen(json.loads(self.texts[left]))
        self._through = True

    def close(self) -> None:
        self.stop()
        if self.pool is not None:
            if self._through and self._answered:
                self.pool.finish()  # every worker loaded and idle: they exit at once
            if not self._through or self.owned:
                self.pool.close()  # killed where they still run: no thread waits on them then


def run_parts(texts: list[str], prestarted: PrestartedWorker | None = None) -> PartRun:
    """`_run_datamodel_codegen` on each document (JSON text), started at once (see `PartRun`):
    on `prestarted`'s workers, on a pool started here when there are several documents and
    cores, and in this process otherwise. Read `results()`, then `close()`."""
    if prestarted is not None or len(texts) < 2:
        return PartRun(texts, prestarted, owned=False)
    return PartRun(texts, PrestartedWorker.start(), owned=True)


def _run_datamodel_codegen(document: dict[str, Any]) -> str:
    """datamodel-code-generator's module for `document`, readOnly/writeOnly split into request
    and response variants. Where the split itself fails (datamodel-code-generator cannot resolve
    its variant classes on some large graphs), one class per schema is generated instead, with
    readOnly and writeOnly properties made optional so that requests and responses both
    validate, and `VARIANTS_FALLBACK` says so at the top of the module."""
    mark = document.get("info", {}).get(MARK_KEY, "")
    try:
        output = _datamodel_codegen(document, split=True)
    except ModelGenerationError as split_error:
        if not _has_read_write(document):
            raise
        try:
            output = _datamodel_codegen(_without_variants(document), split=False)
        except ModelGenerationError:
            raise split_error from None
        output = output.replace(_HEADER_SLOT, f"{_HEADER_SLOT}\n{VARIANTS_FALLBACK}", 1)
    output = string_keywords.restore_keywords(strict_temporal_imports(output))
    components = set(document["components"]["schemas"])
    output = inline_scalar_items(restore_variant_names(output, components), components)
    return unmark(output, mark)


def _datamodel_codegen(document: dict[str, Any], *, split: bool) -> str:
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import (
        DataModelType,
        InputFileType,
        NamingStrategy,
        ReadOnlyWriteOnlyModelType,
        StrictTypes,
        TargetPydanticVersion,
    )

    info = document.get("info", {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            output = generate(
                string_keywords.move_document_keywords(document),
                input_file_type=InputFileType.OpenAPI,
                output_model_type=DataModelType.PydanticV2BaseModel,
                target_pydantic_version=TargetPydanticVersion.V2_14,
                disable_timestamp=True,
                use_standard_collections=True,
                use_union_operator=True,
                use_missing_sentinel=True,
                strict_nullable=True,
                strict_types=[StrictTypes.float, StrictTypes.bool, StrictTypes.int],
                read_only_write_only_model_type=(
                    ReadOnlyWriteOnlyModelType.RequestResponse if split else None
                ),
                use_annotated=True,
                field_constraints=True,
                use_schema_description=True,
                use_double_quotes=True,
                keep_model_order=True,
                set_default_enum_member=True,
                naming_strategy=NamingStrategy.FullPath,
                # snake_case fields aliased to the wire names (`weight_kg`, alias `weightKg`);
                # the base reads the wire by alias only and takes Python names in Python
                snake_case_field=info.get(FIELD_NAMES_KEY, "snake_case") == "snake_case",
                base_class=MODEL_BASE,
                formatters=[],
                field_extra_keys={string_keywords.EXTENSION},
                custom_file_header=_HEADER_SLOT,
            )
        except Exception as exc:  # the library raises many kinds; report them as one
            raise _error(exc, document.get("info", {}).get(MARK_KEY, "")) from exc
    if not isinstance(output, str):
        raise ModelGenerationError("datamodel-code-generator returned several modules")
    return output


def _error(exc: Exception, mark: str) -> ModelGenerationError:
    """The library's error in the contract's words: marks and internal path markers removed."""
    text = " ".join(str(exc).split())
    classes = tuple(sorted(set(re.findall(rf"{re.escape(mark)}(\w+)", text)))) if mark else ()
    text = _DMCG_MARKER.sub("", text)
    if mark:
        text = text.replace(mark, "")
    if len(text) > 600:
        text = text[:599] + "…"
    return ModelGenerationError(f"datamodel-code-generator failed: {text}", classes)


def _has_read_write(document: dict[str, Any]) -> bool:
    text = json.dumps(document.get("components", {}))
    return '"readOnly": true' in text or '"writeOnly": true' in text


def _without_variants(document: dict[str, Any]) -> dict[str, Any]:
    """A copy where no property is required because it is readOnly or writeOnly (a single class
    then accepts requests without readOnly and responses without writeOnly properties)."""
    copy: dict[str, Any] = json.loads(json.dumps(document))
    stack: list[Any] = [copy["components"]["schemas"]]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            properties = node.get("properties")
            required = node.get("required")
            if isinstance(properties, dict) and isinstance(required, list):
                node["required"] = [
                    name
                    for name in required
                    if not (
                        isinstance(properties.get(name), dict)
                        and (properties[name].get("readOnly") or properties[name].get("writeOnly"))
                    )
                ]
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    return copy


def unmark(source: str, mark: str) -> str:
    """Give component classes back their names (see `schemas.COMPONENT_MARK`). An inline class
    that took a component's name gives it up for the next free number (`Type` → `Type4`)."""
    if not mark:
        return source
    from specfirst.generator.pydantic_models.join import (
        DEFINITION,
        TOP_LEVEL_PIECE,
        fresh_name,
        rename_identifier,
    )

    defined = sorted({a or b for a, b in DEFINITION.findall(source)})
    # The mark also stands inside the names of inline classes named after a component's path
    # (`ZzSpecfirstPetOwner`, `BodyZzSpecfirstPet`). Where two names become one without it, a
    # name that starts with the mark (a component's own) keeps it and the others yield.
    groups: dict[str, list[str]] = {}
    for name in defined:
        groups.setdefault(name.replace(mark, ""), []).append(name)
    taken = set(defined) | set(groups)
    pieces = TOP_LEVEL_PIECE.split(source)
    for target, names in sorted(groups.items()):
        if len(names) < 2:
            continue
        keeper = next((n for n in names if n.startswith(mark)), names[0])
        for name in names:
            if name == keeper:
                continue
            fresh = fresh_name(target, taken)
            taken.add(fresh)
            pieces = [rename_identifier(p, name, fresh) for p in pieces]
    source = "".join(_alias_fields_named_as_their_type(piece, mark) for piece in pieces)
    source = _import_for_aliases(source)
    return source.replace(mark, "")  # the contract never spells it (`ModelPlan.build`)


_FIELD = re.compile(r"^    (\w+): (.+)$", re.MULTILINE)


def _alias_fields_named_as_their_type(block: str, mark: str) -> str:
    """`Name: Name | None = Name.a` would bind the field's default to the class's name in the
    class body; datamodel-code-generator renames such a field (`Name_1`, aliased `Name`), but
    behind the mark it did not see the clash. Do what it would have done."""
    if not block.startswith("class "):
        return block

    def aliased(match: re.Match[str]) -> str:
        name, rest = match.group(1), match.group(2)
        # The substring test first: a pattern per field name would be compiled anew (most
        # fields do not name their type; `re`'s cache holds too few names for a large part).
        if mark + name not in rest or not re.search(rf"\b{re.escape(mark + name)}\b", rest):
            return match.group(0)
        number = 1
        while re.search(rf"^    {name}_{number}:", block, re.MULTILINE):
            number += 1
        try:
            annotation, equals, default = _split_default(rest)
        except tokenize.TokenError:  # not a one-line field: leave it as it came
            return match.group(0)
        if annotation.startswith("Annotated[") and ", Field(" in annotation:
            if "alias=" not in annotation:
                annotation = annotation.replace(", Field(", f", Field(alias={name!r}, ", 1)
        else:
            annotation = f"Annotated[{annotation}, Field(alias={name!r})]"
        return f"    {name}_{number}: {annotation}{equals}{default}"

    return _FIELD.sub(aliased, block)


def _split_default(rest: str) -> tuple[str, str, str]:
    """`annotation = default` split at the assignment itself, not at an `=` inside a string or
    a `Field(...)` call."""
    depth = 0
    for token in tokenize.generate_tokens(io.StringIO(rest).readline):
        if token.type != tokenize.OP:
            continue
        if token.string in "([{":
            depth += 1
        elif token.string in ")]}":
            depth -= 1
        elif token.string == "=" and depth == 0:
            column = token.start[1]
            return rest[:column].rstrip(), " = ", rest[column + 1 :].lstrip()
    return rest, "", ""


def _import_for_aliases(source: str) -> str:
    """`Annotated` and `Field`, where an aliased field needs them and nothing imported them."""
    needed = {"typing": "Annotated", "pydantic": "Field"}
    for module, name in needed.items():
        imported = re.search(rf"^from \S+ import .*\b{name}\b", source, re.MULTILINE)
        if imported or re.search(rf"\b{name}\[|\b{name}\(", source) is None:
            continue
        source = source.replace(
            "from __future__ import annotations\n",
            f"from __future__ import annotations\n\nfrom {module} import {name}\n",
            1,
        )
    return source


_TEMPORAL = {"date": "IsoDate", "datetime": "IsoDatetime", "time": "IsoTime"}
# Also from the runtime: its `StrictInt` takes JSON Schema integers (3 and 3.0, not true).
_PYDANTIC_TEMPORAL = ("AwareDatetime", "NaiveDatetime", "StrictInt")
_VALUES = frozenset({"StrictInt"})  # from `specfirst_runtime.values`; the rest from `.dates`


def strict_temporal_imports(source: str) -> str:
    """Point date/time annotations at the runtime's string-only versions.

    pydantic's lax mode takes `0` or `"0.5"` as a timestamp, but OpenAPI's `date`/`date-time` are
    strings; the runtime's aliases (same types, plus a validator) refuse numbers.
    """
    lines = source.split("\n")
    runtime_names: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith("from pydantic import "):
            names = [n.strip() for n in line[len("from pydantic import ") :].split(",")]
            moved = [n for n in names if n in _PYDANTIC_TEMPORAL]
            if moved:
                runtime_names += moved
                kept = [n for n in names if n not in _PYDANTIC_TEMPORAL]
                lines[index] = f"from pydantic import {', '.join(kept)}" if kept else ""
        elif line.startswith("from datetime import "):
            kept = []
            for item in line[len("from datetime import ") :].split(","):
                name, _, alias = (part.strip() for part in item.strip().partition(" as "))
                if name in _TEMPORAL:
                    runtime_names.append(f"{_TEMPORAL[name]} as {alias or name}")
                else:
                    kept.append(item.strip())
            lines[index] = f"from datetime import {', '.join(kept)}" if kept else ""
    if not runtime_names:
        return source
    last_import = max(i for i, line in enumerate(lines) if line.startswith(("from ", "import ")))
    values = [n for n in runtime_names if n in _VALUES]
    dates = [n for n in runtime_names if n not in _VALUES]
    if values:
        lines.insert(last_import + 1, f"from specfirst_runtime.values import {', '.join(values)}")
    if dates:
        lines.insert(last_import + 1, f"from specfirst_runtime.dates import {', '.join(dates)}")
    return "\n".join(lines)


def cache_key(document: dict[str, Any]) -> str:
    """Changes with the document (key order included: it orders the classes), the code of this
    package (options, how documents are split and joined, our passes), the planner, and the
    versions of the tools that shape the output."""
    return text_key(json.dumps(document, ensure_ascii=False))


def text_key(text: str) -> str:
    """`cache_key` of the document whose `json.dumps(..., ensure_ascii=False)` is `text`."""
    digest = hashlib.sha256(_code_fingerprint().encode())
    digest.update(text.encode())
    return digest.hexdigest()


_FINGERPRINT: list[str] = []
# The interpreter version whose `marshal` format the memo and the kept links are written in (it
# changes between minor versions): each names its files.
MARSHAL_VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _code_fingerprint() -> str:
    if not _FINGERPRINT:
        digest = hashlib.sha256()
        for helper in sorted(Path(__file__).parent.glob("*.py")):
            digest.update(helper.read_bytes())
        for planner in (
            "schemas.py",
            "patterns.py",
            "string_keywords.py",
        ):  # how the models document is built
            digest.update(Path(__file__).parents[1].joinpath(planner).read_bytes())
        from specfirst.generator.pipeline import dist_version

        for dist in ("datamodel-code-generator", "pydantic"):
            digest.update(f"{dist}=={dist_version(dist)}".encode())
        _FINGERPRINT.append(digest.hexdigest())
    return _FINGERPRINT[0]


# A part's linked module (`link_cached`) is kept beside the part's module (`LinkedPart.to_bytes`),
# one per interpreter version (`marshal`'s format is the interpreter's).
_LINKED_SUFFIX = f".link-{MARSHAL_VERSION}.marshal"


def _read_cache(folder: Path, key: str, suffix: str = ".py") -> str | None:
    text = read_entry(folder / f"{key}{suffix}")
    return text if text is None or suffix != ".py" or text.startswith(_HEADER_SLOT) else None


def read_entry(path: Path) -> str | None:
    """A cache entry's text (None when there is none), marked as just used."""
    try:
        text = path.read_text(encoding="utf-8")
        os.utime(path)  # last use decides what is evicted
    except OSError:
        return None
    return text


def _write_cache(folder: Path, key: str, body: str, suffix: str = ".py") -> None:
    write_entry(folder / f"{key}{suffix}", body)


def write_entry(path: Path, body: str) -> None:
    """Atomic and best effort (`state.write_atomically`)."""
    write_atomically(path, body.encode())


# No `^` (multiline): it makes the engine try every position of GitHub's 3.8 MB module (0.05 s
# against 0.015 s with a literal start); `enums_before_defaults` keeps the matches at a line's start.
_ENUM_CLASS = re.compile(r"class (\w+)\((?:str, |int, )?(?:Enum|StrEnum|IntEnum)\):")
_MEMBER_DEFAULT = re.compile(r"= ([A-Za-z_]\w*)\.[A-Za-z_]\w*$", re.MULTILINE)
_TOP_LEVEL = re.compile(r"^\S", re.MULTILINE)


def enums_before_defaults(source: str) -> str:
    """Move enum classes that a field default names (`mode: Mode = Mode.vip`) above the first
    class. Defaults run when the class is created, unlike annotations, and datamodel-code-generator
    orders classes by name, so `Mode` may come after the model using it; enums depend on nothing,
    so moving them up is always safe. Other output is left exactly as it was."""
    enums = {
        m.group(1): m.start()
        for m in _ENUM_CLASS.finditer(source)
        if m.start() == 0 or source[m.start() - 1] == "\n"
    }
    if not enums:
        return source
    late: set[str] = set()
    for use in _MEMBER_DEFAULT.finditer(source):
        name = use.group(1)
        if name in enums and enums[name] > use.start():
            late.add(name)
    if not late:
        return source
    spans = []
    for name in sorted(late, key=enums.__getitem__):
        start = enums[name]
        following = _TOP_LEVEL.search(source, source.index("\n", start) + 1)
        spans.append((start, following.start() if following else len(source)))
    # Every late enum comes after the first class (its user is a class before it).
    first_class = re.search(r"^class ", source, re.MULTILINE)
    at = first_class.start() if first_class else 0
    pieces = [source[:at]]
    pieces += [source[start:end].rstrip("\n") + "\n\n\n" for start, end in spans]
    cursor = at
    for start, end in spans:
        pieces.append(source[cursor:start])
        cursor = end
    pieces.append(source[cursor:])
    return "".join(pieces)
