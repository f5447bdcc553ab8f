"""One API from contract to package: load, validate, plan, models, render, format, swap in."""

from __future__ import annotations

import ast
import contextlib
import gc
import hashlib
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specfirst.errors import SpecfirstError, UsageError
from specfirst.generator import kept_parse
from specfirst.generator.kept_parse import kept_parse_path, read_parse
from specfirst.generator.state import state_dir, write_atomically
from specfirst.generator.write import RUFF_BINARY, find_ruff_binary, sha256_hex, tree_files
from specfirst.loader import Contract, load_contract

if TYPE_CHECKING:
    from specfirst.generator.pydantic_models.document import DocumentBuilder
    from specfirst.generator.pydantic_models.driver import PrestartedWorker
    from specfirst.generator.pydantic_models.result import ModelsModule
    from specfirst.generator.schemas import ModelPlan

STAMP_FILE = "_stamp.py"
_GENERATOR_DIR = Path(__file__).parent


class InvalidContractError(SpecfirstError):
    """The contract failed validation; `issues` holds every error found."""

    def __init__(self, contract: Path, issues: list[Any]) -> None:
        self.issues = issues
        super().__init__(f"{contract}: {len(issues)} validation error(s); nothing was generated")


class ModelsRefusedError(SpecfirstError):
    """datamodel-code-generator refused some schemas: said at the `file:line` of the component
    it names (the first one), in the contract's names."""

    def __init__(self, contract: Contract, class_names: dict[str, str], error: Exception) -> None:
        components = {cls: name for name, cls in class_names.items()}
        named = [components[c] for c in getattr(error, "classes", ()) if c in components]
        if named:
            pointer = "/components/schemas/" + named[0].replace("~", "~0").replace("/", "~1")
            where = f"{contract.locate(pointer)}: {pointer}: "
        else:
            where = f"{contract.path}: "
        super().__init__(f"{where}{error}")


@dataclass
class GenerationResult:
    package_dir: Path
    changed: bool
    seconds: float
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# What shapes the output, besides the contract: these parts of the specfirst package (the
# generator, the OpenAPI access and validation it relies on) and these distributions. `tests/generator/test_check.py` checks that every specfirst module a
# generation imports is covered, so the fingerprint cannot miss code that shapes the output.
FINGERPRINTED = (
    "generator",
    "openapi",
    "validation",
    "loader.py",
    "yaml12.py",
    "jsontext.py",
    "yaml_splice.py",
    "byte_ends.py",
    "names.py",
    "errors.py",
    "__init__.py",
)
FINGERPRINTED_DISTS = (
    "specfirst",
    "datamodel-code-generator",
    "pydantic",
    "ruff",
    "jinja2",
    "pyyaml",
)
_FINGERPRINT: list[str] = []
_VERSIONS: dict[str, str] = {}
# The fingerprint, kept in the state folder with the key it holds for (`_fingerprint_key`).
FINGERPRINT_FILE = "generator-fingerprint.json"
# A file changed this recently may change again within its timestamp's granularity without
# its mtime moving: no fingerprint is kept while one is (see `_fingerprint_key`).
_SETTLED_NS = 2_000_000_000
# Keys kept at once: one per way of running specfirst on the project (each virtual environment,
# `python -m` or the `specfirst` script: another `sys.path`), so they do not displace each other.
_KEPT_KEYS = 8


def generator_fingerprint(state: Path | None = None) -> str:
    """Changes whenever anything that shapes the output changes (code, templates, tools).
    `state`: the state folder, where it is kept with the size and mtime of every file it
    hashes and of every folder the tools' versions are looked up in (`_fingerprint_key`): a
    run that finds them all as they were takes it from there, without reading the sources or
    importing `importlib.metadata` (0.06 s of a fresh process; docs/speed.md, "Before the
    models (session 6)", says why that is sound)."""
    if _FINGERPRINT:
        return _FINGERPRINT[0]
    root = _GENERATOR_DIR.parent
    files = _fingerprinted_files(root)
    key = _fingerprint_key(root, files) if state is not None else None
    kept_file = state / FINGERPRINT_FILE if state is not None else None
    kept = _kept_fingerprints(kept_file) if key is not None and kept_file is not None else {}
    found = _kept_fingerprint(kept, key[0]) if key is not None else None
    if found is not None:
        _VERSIONS.update(found[1])
        _FINGERPRINT.append(found[0])
        return found[0]
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(root).as_posix().encode() + b"\0")
        digest.update(file.read_bytes())
    for dist in FINGERPRINTED_DISTS:
        digest.update(f"{dist}=={dist_version(dist)}".encode())
    with contextlib.suppress(Exception):  # not found: said where it is run
        _VERSIONS[RUFF_BINARY] = find_ruff_binary()  # kept with the versions (`kept_value`)
    _FINGERPRINT.append(f"specfirst {dist_version('specfirst')} {digest.hexdigest()[:32]}")
    if key is not None and kept_file is not None and key[1]:
        kept.pop(key[0], None)  # the newest last: the oldest keys go first
        kept[key[0]] = {"fingerprint": _FINGERPRINT[0], "versions": dict(_VERSIONS)}
        newest = dict(list(kept.items())[-_KEPT_KEYS:])
        write_atomically(kept_file, json.dumps(newest).encode())
    return _FINGERPRINT[0]


def dist_version(dist: str) -> str:
    """The installed version of the distribution `dist`, as `importlib.metadata` says; taken
    from the kept fingerprint's entry when `generator_fingerprint` found it valid (the same
    folders, unchanged, give the same answer)."""
    version = _VERSIONS.get(dist)
    if version is None:
        from importlib import metadata

        version = _VERSIONS[dist] = metadata.version(dist)
    return version


def kept_value(name: str) -> str | None:
    """What the kept fingerprint's entry holds under `name` beside the versions (where a tool
    was found: `write.ruff_binary`), when `generator_fingerprint` found it valid or made it."""
    return _VERSIONS.get(name)


def _fingerprinted_files(root: Path) -> list[Path]:
    """The files `generator_fingerprint` hashes, in the order it hashes them."""
    found: list[Path] = []
    for entry in FINGERPRINTED:
        path = root / entry
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        found.extend(
            file
            for file in files
            if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc"
        )
    return found


def _fingerprint_key(root: Path, files: list[Path]) -> tuple[str, bool] | None:
    """A digest of what the fingerprint is a function of, as the file system describes it:
    each hashed file's path, size and mtime (an edit changes its mtime), and each folder of
    `sys.path` with its mtime (installing, upgrading or removing a distribution adds or
    renames a `.dist-info` folder in one of them, which changes that folder's mtime; a
    different `sys.path` is another key). With it, whether every mtime is older than
    `_SETTLED_NS` (else the fingerprint is not kept: a later edit within the same timestamp
    tick would leave the key as it was). None when something cannot be looked at."""
    now = time.time_ns()
    described: list[object] = [root.as_posix()]
    newest = 0
    try:
        for file in files:
            stat = file.stat()
            described.append((file.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
            newest = max(newest, stat.st_mtime_ns)
        for folder in sys.path:
            try:
                mtime = os.stat(folder or ".").st_mtime_ns
            except OSError:
                mtime = -1  # not there (yet): a folder appearing changes the key
            described.append((folder, mtime))
            newest = max(newest, mtime)
    except OSError:
        return None
    key = hashlib.sha256(json.dumps(described).encode()).hexdigest()
    return key, newest < now - _SETTLED_NS


def _kept_fingerprints(path: Path) -> dict[str, Any]:
    """The kept fingerprints by key (empty when there are none or the file is unreadable)."""
    try:
        kept = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return kept if isinstance(kept, dict) else {}


def _kept_fingerprint(kept: dict[str, Any], key: str) -> tuple[str, dict[str, str]] | None:
    """The fingerprint and versions kept for `key` (None: none, or malformed)."""
    entry = kept.get(key)
    if not isinstance(entry, dict):
        return None
    fingerprint, versions = entry.get("fingerprint"), entry.get("versions")
    if not isinstance(fingerprint, str) or not isinstance(versions, dict):
        return None
    if not all(isinstance(v, str) for v in versions.values()):
        return None
    return fingerprint, versions


def validation_issues(contract: Contract, state: Path | None = None) -> list[Any]:
    """Every issue of `contract`; with `state`, the validation cache lives there (the issues are
    the same without it)."""
    from specfirst.validation import validate_contract

    return list(validate_contract(contract, state / VALIDATION_CACHE_SUBDIR if state else None))


VALIDATION_CACHE_SUBDIR = "validation"


MODELS_FILE = "models.py"


def _models_stage(
    contract: Contract,
    models: str,
    state: Path | None,
    field_names: str,
    started: PrestartedWorker | None = None,
    ahead: _ViewAhead | None = None,
    saves: list[Callable[[], None]] | None = None,
) -> tuple[ModelPlan, ModelsModule]:
    """The model plan and the models module. `started`: a models worker started before the
    contract was loaded (`driver.worker_before_load`), used or ended here. `ahead`: started
    on the plan while the worker runs (when one was started for a schema edit). `saves`: where
    the memo's write goes, for the caller to run later (else it is written at once)."""
    from specfirst.generator.build import plan_models
    from specfirst.generator.pydantic_models import ModelGenerationError
    from specfirst.generator.pydantic_models.document import DocumentBuilder, component_texts
    from specfirst.generator.pydantic_models.driver import (
        CACHE_SUBDIR,
        early_worker,
        generate_models_module,
        memo_path,
    )
    from specfirst.generator.render import make_header
    from specfirst.generator.schemas import operation_schemas

    document = contract.document
    cache = state / CACHE_SUBDIR if state is not None else None
    scope = contract.path.resolve().as_posix()
    texts = _component_texts(contract, cache, scope) or component_texts(document)
    # A schema edit: a worker loads datamodel-code-generator while the models are planned.
    try:
        worker = early_worker(texts, cache, scope, started) if cache is not None else None
    except BaseException:
        if started is not None:
            started.close()
        raise
    try:
        # The last run's plan where the edit changes nothing it reads (`ahead.kept_plan`).
        plan = _kept_plan(contract, cache, scope, texts) or plan_models(document, texts)
        if ahead is not None:
            ahead.operations_of = operations_source(contract, cache, scope)
        head = make_header(contract.path.as_posix(), contract.sha256)
        keep = operation_schemas(document) if models == "operations" else None
        # The memo keeps each schema's rewritten copy: an edit rewrites the schemas it touched.
        memo = memo_path(cache, scope) if cache is not None else None
        if ahead is not None and worker is not None:
            planned = plan  # final once the document is built, before the worker has its share
            worker.on_give = lambda: ahead.start(planned)
        builder = DocumentBuilder(plan, document, keep, field_names, memo, texts, saves)
        module = generate_models_module(builder, head, cache, worker)
        if state is not None and cache is not None:
            _keep_parse(contract, state, builder, saves)
            _keep_ahead(contract, cache, scope, builder, saves)
    except ModelGenerationError as exc:
        raise ModelsRefusedError(contract, plan.class_names, exc) from None
    finally:
        if worker is not None:
            worker.close()  # ended where it was not used; waited for where it was
    return plan, module


def operations_source(contract: Contract, cache: Path | None, scope: str) -> str | None:
    """The hash of the last run's contract when this one differs from it inside the component
    schemas only, so that its operations and all they are drafted from are that one's (the
    view builder then takes them in the order it listed: `ViewBuilder.drafts`): a YAML edit
    the loader spliced there (`Reparse.at`), a JSON edit inside one schema's value or adding
    schemas (`ahead.schemas_only_since`). None when that is not known."""
    raw = _parsed_bytes(contract)
    if cache is None or raw is None:
        return None
    reparse = contract.sources[contract.path].reparse
    if reparse is not None:  # YAML, from the last load
        inside = len(reparse.at) >= 2 and reparse.at[:2] == ("components", "schemas")
        return reparse.last.sha256 if inside else None
    from specfirst.generator.pydantic_models import ahead

    return ahead.schemas_only_since(raw, ahead.kept_path(cache, scope))


def _parsed_bytes(contract: Contract) -> bytes | None:
    """The contract file's bytes when its document is exactly their parsed data (one file, no
    external `$ref` bundled in): what `ahead` keeps and compares; else None."""
    if contract.bundled or len(contract.sources) != 1:
        return None
    return contract.sources[contract.path].raw


def _component_texts(contract: Contract, cache: Path | None, scope: str) -> dict[str, str] | None:
    """`component_texts` of the document, from the last run's where the bytes say they are
    the same (`ahead.component_texts`); None when they cannot be told."""
    raw = _parsed_bytes(contract)
    if cache is None or raw is None:
        return None
    if contract.sources[contract.path].reparse is not None:  # YAML, from the last load
        return kept_parse.component_texts(contract)
    from specfirst.generator.pydantic_models import ahead

    return ahead.component_texts(contract.document, raw, ahead.kept_path(cache, scope))


def _kept_plan(
    contract: Contract, cache: Path | None, scope: str, texts: dict[str, str]
) -> ModelPlan | None:
    """`ahead.kept_plan` of the document (whose component `texts` these are): the last run's
    plan where the bytes say it is this one's, with new schemas named where they move no other
    name; None when they cannot tell."""
    raw = _parsed_bytes(contract)
    if cache is None or raw is None:
        return None
    if contract.sources[contract.path].reparse is not None:  # YAML, from the last load
        return kept_parse.kept_plan(contract, texts)
    from specfirst.generator.pydantic_models import ahead

    return ahead.kept_plan(raw, ahead.kept_path(cache, scope), texts)


def _keep_parse(
    contract: Contract,
    state: Path,
    builder: DocumentBuilder,
    saves: list[Callable[[], None]] | None,
) -> None:
    """Keep the YAML contract's parse for the next run's load (`kept_parse`), when it has a new
    one, with the component texts and the plan the next run may take; now or by `saves`."""
    parsed = contract.sources[contract.path].parsed
    kept = kept_parse_path(state, contract.path, generator_fingerprint())
    if parsed is None or kept is None:
        return

    def save() -> None:
        if _parsed_bytes(contract) is None:  # bundled: texts and plan are not the parsed data's
            kept_parse.keep_parse(kept, parsed)
            return
        planned = builder.parts  # None: planned no parts this run (the kept ones stay)
        parts = [t.encode() for t in planned] if planned is not None else None
        parts = kept_parse.kept_parts(contract) if parts is None else parts
        kept_parse.keep_parse(kept, parsed, builder.texts, builder.plan, builder.mark, parts)

    if saves is None:
        save()
    else:
        saves.append(save)


def _keep_ahead(
    contract: Contract,
    cache: Path,
    scope: str,
    builder: DocumentBuilder,
    saves: list[Callable[[], None]] | None,
) -> None:
    """What the next run guesses its parts, reads its component texts and takes its plan from
    (`ahead.keep`), kept now or by `saves` (the plan's state is made there, off the main
    thread)."""
    from specfirst.generator.pydantic_models import ahead

    raw = _parsed_bytes(contract)
    if raw is None:
        return
    names, mark, parts = dict(builder.plan.class_names), builder.mark, builder.parts
    texts = builder.texts if builder.texts is not None else {}

    def save() -> None:
        plan = ahead.plan_state(builder.plan)
        ahead.keep(ahead.kept_path(cache, scope), raw, names, mark, parts, texts, plan)

    if saves is None:
        save()
    else:
        saves.append(save)


def _render_stage(
    contract: Contract,
    package: str,
    plan: ModelPlan,
    classes: Collection[str],
    state: Path | None = None,
    saves: list[Callable[[], None]] | None = None,
    later: list[Callable[[dict[str, bytes]], None]] | None = None,
    package_dir: Path | None = None,
    operations_of: str | None = None,
) -> dict[str, str | bytes]:
    """Every file but models.py (unformatted text; bytes for files that need no formatting),
    from the view model of the generated `classes` (`ModelsModule.classes`, or a guess of them:
    `_ViewAhead`). Under `state` (see `view_cache`): the operation drafts are kept, saved by a
    function added to `saves` (the caller runs it while ruff formats), else before returning; and
    when the view model is the last run's, its formatted files are taken as they were (bytes)
    instead of rendered; when it is not, so are the routers whose key
    (`ViewBuilder.router_keys`) is the last run's. A function added to `later` keeps the
    formatted files of this view model once they are written (it takes every written file's
    bytes). `package_dir`: the package folder as the last run wrote it (its served contract may be
    spliced: `render.served_contract`). `operations_of`: the hash of a contract whose
    operations this one's are (`operations_source`: the drafts are then taken in its order)."""
    from specfirst.generator.build import ViewBuilder
    from specfirst.generator.render import (
        CONTRACT_FILE,
        TEMPLATE_CACHE_SUBDIR,
        cache_templates,
        make_header,
        render_package,
        served_contract,
    )
    from specfirst.generator.view_cache import (
        VIEW_CACHE_SUBDIR,
        DraftStore,
        RenderedStore,
        cache_file,
    )
    from specfirst.generator.write import neutral_bytes, with_first_line

    path = contract.path.as_posix()
    # The view model and the rendered files hold no reference cycles: the cyclic collector
    # would only walk the loaded contract again and again while they are made (half the
    # time of reading the cached drafts, on GitHub's contract). Reference counting frees them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        store = rendered = None
        if state is not None:
            drafts_file = cache_file(state / VIEW_CACHE_SUBDIR, package, path)
            store = DraftStore(drafts_file, generator_fingerprint())
            rendered = RenderedStore(drafts_file.with_suffix(".files"))
        builder = ViewBuilder(
            contract.document,
            plan,
            classes,
            package=package,
            contract_path=path,
            contract_sha256=contract.sha256,
            store=store,
            operations_of=operations_of,
        )
        drafted = builder.drafts()
        if store is not None:
            if saves is None:
                store.save()
            else:
                saves.append(store.save)
        key = builder.view_key(drafted)
        first_line = make_header(path, contract.sha256).partition("\n")[0].encode("utf-8")
        last = rendered.read() if rendered is not None and key is not None else None
        if last is not None and last[0] == key:
            files: dict[str, str | bytes] = {}
            for name, neutral in last[1].items():
                data = with_first_line(neutral, first_line)
                if data is None:
                    break
                files[name] = data
            else:
                files[CONTRACT_FILE] = served_contract(contract, package_dir)
                return files
        api = builder.assemble(drafted)
        # The routers whose key is the last run's: its formatted files (bytes), not rendered.
        routers: dict[str, str | bytes] = {}
        if last is not None:
            for name, router_key in builder.router_keys.items():
                kept_data = last[1].get(name)
                if last[2].get(name) != router_key or kept_data is None:
                    continue
                data = with_first_line(kept_data, first_line)
                if data is not None:
                    routers[name] = data
        cache_templates(state / TEMPLATE_CACHE_SUBDIR if state is not None else None)
        files = render_package(api, served_contract(contract, package_dir), routers)
        files.update(routers)
        if rendered is not None and key is not None and later is not None:
            names = sorted(n for n in files if n != CONTRACT_FILE)
            router_keys = dict(builder.router_keys)

            def keep(written: dict[str, bytes]) -> None:
                kept: dict[str, bytes] = {}
                for name in names:
                    neutral, line = neutral_bytes(written[name])
                    if line != first_line:
                        return  # no header to put back: keep nothing
                    kept[name] = neutral
                rendered.save(key, kept, router_keys)

            later.append(keep)
        return files
    finally:
        if collecting:
            gc.enable()


class _ViewAhead:
    """The view stage (`_render_stage`) run in a thread while the models worker generates a
    schema edit's models and this process waits for it (a wait on a pipe holds no GIL: about
    0.2 s on GitHub's contract, against 0.13 s for the view stage), on a guess of the classes:
    the last run's (`view_cache.read_classes`), or on a cold run those the plan names
    (`view_cache.planned_classes`: there the view stage, 0.5 s on GitHub's contract, ran after
    10 s of models). It starts once the worker has its share
    (`driver.PrestartedWorker.on_give`), when the plan is final (the models document is built).
    The view builder only asks whether a class was generated, so its files are those of the
    real classes when they answer every question it asked as the guess did
    (`view_cache.AskedClasses.holds`); when they do not, `result` says so and the view stage
    runs again on the real classes, as it does when none ran ahead. It saves nothing itself:
    its drafts are saved, and its files kept, only when it holds. But it formats its files
    into the format cache (`write.format_ahead`), keyed by their text: the end of the run
    finds them there when it holds, and a refused guess leaves entries no one reads."""

    def __init__(self, contract: Contract, package: str, state: Path, near: Path) -> None:
        from specfirst.generator.view_cache import VIEW_CACHE_SUBDIR, cache_file, read_classes

        self.contract = contract
        self.package = package
        self.state = state
        self.near = near  # the package folder: its view files are formatted ahead beside it
        drafts = cache_file(state / VIEW_CACHE_SUBDIR, package, contract.path.as_posix())
        self.classes_file = drafts.with_suffix(".classes")
        self.guess = read_classes(self.classes_file)
        self.thread: threading.Thread | None = None
        self.files: dict[str, str | bytes] | None = None
        self.saves: list[Callable[[], None]] = []
        self.later: list[Callable[[dict[str, bytes]], None]] = []
        self.operations_of: str | None = None  # set by the models stage (`operations_source`)

    def start(self, plan: ModelPlan) -> None:
        """Start it on `plan` (final: its mark set): on the last run's classes, or with none
        kept (a cold run) on those the plan names (`view_cache.planned_classes`). Its files are
        then formatted into the format cache (`write.format_ahead`): at once where they are all
        the last run's formatted bytes, as after most schema edits."""
        from specfirst.generator.view_cache import AskedClasses, planned_classes
        from specfirst.generator.write import FORMAT_CACHE_SUBDIR, format_ahead

        if self.thread is not None:
            return
        self.asked = AskedClasses(self.guess if self.guess is not None else planned_classes(plan))

        def run() -> None:
            try:
                self.files = _render_stage(
                    self.contract,
                    self.package,
                    plan,
                    self.asked,
                    self.state,
                    self.saves,
                    self.later,
                    self.near,
                    self.operations_of,
                )
            except BaseException:  # run again on the real classes, which says why
                self.files = None
                return
            cache = self.state / FORMAT_CACHE_SUBDIR
            with contextlib.suppress(Exception):  # formatted at the end, which says why
                format_ahead(self.files, self.near, cache, [MODELS_FILE])

        thread = threading.Thread(target=run, name="specfirst-view-ahead", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # no thread to be had: the view stage runs after the models
            return
        self.thread = thread

    def join(self) -> None:
        """Wait for it, when it ran (its result unused: the models failed)."""
        if self.thread is not None:
            self.thread.join()

    def result(
        self,
        classes: Collection[str],
        saves: list[Callable[[], None]],
        later: list[Callable[[dict[str, bytes]], None]],
    ) -> dict[str, str | bytes] | None:
        """Its files, when it ran and its guess holds for the real `classes` (its saves and
        keeps then go to `saves` and `later`); else None."""
        if self.thread is None:
            return None
        self.thread.join()
        if self.files is None or not self.asked.holds(classes):
            return None
        saves.extend(self.saves)
        later.extend(self.later)
        return self.files


def _stamp_text(
    contract: Contract, outputs: dict[str, str], head: str, options: dict[str, str], target: Path
) -> str:
    inputs = {_stamp_path(p, target): s.sha256 for p, s in sorted(contract.sources.items())}
    return (
        f"{head}\n"
        '"""What this package was generated from, and by what: `specfirst generate` stops early and '
        '`specfirst check` passes when all of it still holds."""\n\n'
        f"GENERATOR = {json.dumps(generator_fingerprint())}\n"
        f"{_dict_source('INPUTS', inputs)}{_dict_source('OUTPUTS', dict(sorted(outputs.items())))}"
        + (_dict_source("OPTIONS", options) if options else "")
    )


def _stamp_path(source: Path, target: Path) -> str:
    """A contract file as seen from the package folder, so the stamp holds in any clone and from
    any working directory."""
    try:
        return Path(os.path.relpath(source.resolve(), target.resolve())).as_posix()
    except ValueError:  # another drive
        return source.resolve().as_posix()


def _options(models: str, invalid: bool = False, field_names: str = "snake_case") -> dict[str, str]:
    """Generation options that differ from the defaults (none by default, so stamps of default
    packages stay as they were). `invalid`: generated with `--allow-invalid` from a contract
    that failed validation, which no stamp may vouch for."""
    options = {} if models == "all" else {"models": models}
    if field_names != "snake_case":
        options["field_names"] = field_names
    if invalid:
        options["validation"] = "failed"
    return options


def _dict_source(name: str, values: dict[str, str]) -> str:
    """A dict literal laid out as `ruff format` would, so the stamp passes format checks."""
    if not values:
        return f"{name}: dict[str, str] = {{}}\n"
    items = "".join(f"    {json.dumps(k)}: {json.dumps(v)},\n" for k, v in values.items())
    return f"{name}: dict[str, str] = {{\n{items}}}\n"


def read_stamp(package_dir: Path) -> dict[str, Any]:
    """The stamp's recorded values (empty when there is none or it does not parse)."""
    try:
        tree = ast.parse((package_dir / STAMP_FILE).read_text(encoding="utf-8"))
        values: dict[str, Any] = {}
        for node in tree.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
                values[node.target.id] = ast.literal_eval(node.value)
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                values[node.targets[0].id] = ast.literal_eval(node.value)
        return values
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return {}


def stale_reason(
    package_dir: Path,
    models: str = "all",
    field_names: str = "snake_case",
    state: Path | None = None,
    known: Mapping[Path, bytes] | None = None,
) -> str | None:
    """None when the stamp proves the package is what the generator makes of the contract
    today; else why it cannot (see docs/robustness.md, "Why a hash check is sound"). `state`:
    the state folder, where the generator's fingerprint may be kept (`generator_fingerprint`).
    `known`: bytes of input files read already, by resolved path (the same run loads them).

    Output is a function of the contract's files, the generator (`generator_fingerprint`) and
    the options. The stamp records a hash of each of them as they were when the package was
    written, and a hash of every file written. If all of them hash the same now, generating
    again would give the same files, and the files on disk are those files.
    """
    values = read_stamp(package_dir)
    try:
        if not values:
            return f"no readable {STAMP_FILE}"
        if values.get("OPTIONS", {}) != _options(models, field_names=field_names):
            return "generated with other options"
        if values.get("GENERATOR") != generator_fingerprint(state):
            return f"generated by {values.get('GENERATOR', 'an older specfirst')}"
        for name, digest in values["INPUTS"].items():
            source = package_dir / name
            try:
                data = known.get(source.resolve()) if known else None
                if sha256_hex(source.read_bytes() if data is None else data) != digest:
                    return f"{source} changed since generation"
            except OSError:
                return f"{source} is missing"
        present = tree_files(package_dir)
        present.pop(STAMP_FILE, None)
        outputs: dict[str, str] = values["OUTPUTS"]
        for name in sorted(present.keys() | outputs.keys()):
            if name not in outputs:
                return f"{package_dir / name} was not generated"
            if name not in present:
                return f"{package_dir / name} is missing"
            if sha256_hex(present[name]) != outputs[name]:
                return f"{package_dir / name} was edited"
    except (KeyError, TypeError, AttributeError):
        return f"{STAMP_FILE} is malformed"
    return None


def is_up_to_date(
    package_dir: Path,
    models: str = "all",
    field_names: str = "snake_case",
    state: Path | None = None,
    known: Mapping[Path, bytes] | None = None,
) -> bool:
    """True when the stamp says inputs, options, generator and every output file are unchanged."""
    return stale_reason(package_dir, models, field_names, state, known) is None


def stage_package(
    contract: Contract,
    package: str,
    near: Path,
    models: str = "all",
    invalid: bool = False,
    field_names: str = "snake_case",
    worker: PrestartedWorker | None = None,
) -> Path:
    """Render, format and stamp the package into a temporary folder beside `near` (the package
    folder it is meant to replace). `worker`: a models worker started already, used or ended."""
    return staged_package(contract, package, near, models, invalid, field_names, worker)[0]


def staged_package(
    contract: Contract,
    package: str,
    near: Path,
    models: str = "all",
    invalid: bool = False,
    field_names: str = "snake_case",
    worker: PrestartedWorker | None = None,
) -> tuple[Path, dict[str, bytes]]:
    """`stage_package`, and the bytes of every file it wrote there (the stamp included): what
    the folder holds, without reading it back."""
    from specfirst.generator.render import make_header
    from specfirst.generator.view_cache import write_classes
    from specfirst.generator.write import FORMAT_CACHE_SUBDIR, stage_files

    state = state_dir(near.parent)
    ahead = _ViewAhead(contract, package, state, near)
    guess = ahead.guess
    memo: list[Callable[[], None]] = []  # the models memo's write, once the models are made
    try:
        plan, module = _models_stage(contract, models, state, field_names, worker, ahead, memo)
    except BaseException:  # its formatting folder is beside the package's: gone before we are
        ahead.join()
        raise
    write_classes(ahead.classes_file, module.classes, guess)  # the next run's guess
    savers: list[threading.Thread] = []
    later: list[Callable[[dict[str, bytes]], None]] = []

    def view_files() -> dict[str, str | bytes]:
        saves: list[Callable[[], None]] = list(memo)
        files = ahead.result(module.classes, saves, later)
        if files is None:
            files = _render_stage(
                contract,
                package,
                plan,
                module.classes,
                state,
                saves,
                later,
                near,
                ahead.operations_of,
            )
        for save in saves:  # the memo, the view model's drafts: saved while ruff formats
            saver = threading.Thread(target=save, name="specfirst-view-cache")
            saver.start()
            savers.append(saver)
        return files

    # models.py is formatted (ruff, in the background) while the view model is built and the
    # other files rendered: it imports none of them, so it formats as in a run over all files.
    # Hashed as written: every file of the staging folder, from memory, not from disk (the
    # view files found in the cache while models.py is formatted).
    outputs: dict[str, str] = {}
    try:
        staging, written = stage_files(
            {MODELS_FILE: module.source}, near, state / FORMAT_CACHE_SUBDIR, view_files, outputs
        )
    finally:  # the view model's drafts, saved while the files were formatted (none left running)
        for saver in savers:
            saver.join()
    for keep in later:  # the formatted files of this view model, for the next run
        keep(written)
    head = make_header(contract.path.as_posix(), contract.sha256)
    stamp = _stamp_text(contract, outputs, head, _options(models, invalid, field_names), near)
    written[STAMP_FILE] = stamp.encode("utf-8")
    (staging / STAMP_FILE).write_bytes(written[STAMP_FILE])
    return staging, written


def _holds(target: Path, files: dict[str, bytes]) -> bool:
    """Whether the folder `target` holds exactly `files` (a staged package, stamp included).
    The stamps first: a stamp names a hash of every input and output, so when they differ (on
    every edit of the contract) the package differs, without reading 17 MB of it back."""
    try:
        if (target / STAMP_FILE).read_bytes() != files.get(STAMP_FILE):
            return False
    except OSError:
        return False  # no stamp there: not what was staged, which has one
    return files == tree_files(target)


def _stage_validated(
    contract: Contract,
    package: str,
    target: Path,
    models: str,
    field_names: str,
    worker: PrestartedWorker | None = None,
) -> tuple[Path, dict[str, bytes]]:
    """`staged_package` of a contract that must be valid: `InvalidContractError` (and nothing
    staged) when it is not. Validation runs beside generation where it can (`validation_aside`),
    so it costs no wall time on a machine with a core to spare; its verdict is waited for
    before anything is returned, and it wins over any error generation ran into."""
    verdict = validation_aside(contract, state_dir(target.parent))
    try:
        staging, files = staged_package(
            contract, package, target, models, field_names=field_names, worker=worker
        )
    except BaseException:
        issues = verdict()
        if issues:
            raise InvalidContractError(contract.path, issues) from None
        raise
    try:
        issues = verdict()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if issues:
        shutil.rmtree(staging, ignore_errors=True)
        raise InvalidContractError(contract.path, issues)
    return staging, files


_VALIDATION_NICENESS = 10


def validation_aside(contract: Contract, state: Path | None = None) -> Callable[[], list[Any]]:
    """`validation_issues(contract, state)`, started now in a forked child process where that is safe
    (Linux, and this process has no other threads: fork copies only the calling thread); the
    returned function waits for its result (and may be called once). Elsewhere, or when the
    child fails in any way, validation runs here, which also reports a crash as before. The
    child computes exactly what this process would: it is a copy of it."""
    import gc
    import threading

    if sys.platform != "linux" or threading.active_count() != 1:
        issues = validation_issues(contract, state)
        return lambda: issues
    import pickle

    reader, writer = os.pipe()
    try:
        child = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        issues = validation_issues(contract, state)
        return lambda: issues
    if child == 0:  # pragma: no cover - the child process (coverage does not follow a fork)
        status = 0
        try:
            # A short life that ends in os._exit: no collection needed, and none that would
            # walk (and so copy) every page of the parent's objects.
            gc.disable()
            # Its verdict is awaited only once the package is staged: the models worker and
            # this process's planning go first when cores are short (a schema edit runs three
            # processes at once on two cores).
            with contextlib.suppress(OSError):
                os.nice(_VALIDATION_NICENESS)
            os.close(reader)
            try:
                data = pickle.dumps(validation_issues(contract, state))
            except BaseException:
                data, status = b"", 1
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(data)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(writer)

    def verdict() -> list[Any]:
        with os.fdopen(reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(child, 0)
        if os.waitstatus_to_exitcode(status) == 0 and data:
            try:
                issues: list[Any] = pickle.loads(data)
                return issues
            except Exception:  # validated here instead, below
                pass
        return validation_issues(contract, state)

    return verdict


def _worker_before_load(contract: Path, state: Path, raw: bytes | None) -> PrestartedWorker | None:
    """A models worker started now, before the contract is loaded, when its bytes (`raw`, read
    already, or None) suggest a schema edit (`driver.worker_before_load`): it loads
    datamodel-code-generator while this process loads and plans (0.28 s on GitHub's contract
    that it would otherwise wait for)."""
    from specfirst.generator.pydantic_models.driver import CACHE_SUBDIR, worker_before_load

    worker = worker_before_load(Path(contract), state / CACHE_SUBDIR, raw)
    if worker is not None and raw is not None:
        from specfirst.generator.pydantic_models import ahead

        # The edited schema's parts, guessed from the bytes, run while this process loads.
        ahead.start(worker, raw, state / CACHE_SUBDIR, Path(contract).resolve().as_posix())
    return worker


def _guess_after_load(contract: Contract, state: Path, worker: PrestartedWorker) -> None:
    """A YAML schema edit: the edited schema's parts, guessed from the kept run's
    (`kept_parse.guess`), run while this process plans (JSON's are sent before loading)."""
    from specfirst.generator.pydantic_models import ahead
    from specfirst.generator.pydantic_models.driver import CACHE_SUBDIR

    with contextlib.suppress(Exception):  # a guess only: anything amiss, no guess
        ahead.send(worker, kept_parse.guess(contract), state / CACHE_SUBDIR)


def _known(contract: Path, state: Path, raw: bytes | None) -> tuple[int, int, int] | None:
    """What of the contract's bytes need not be checked again on loading (`ahead.known_span`)."""
    if raw is None:
        return None
    from specfirst.generator.pydantic_models import ahead
    from specfirst.generator.pydantic_models.driver import CACHE_SUBDIR

    scope = Path(contract).resolve().as_posix()
    return ahead.known_span(raw, ahead.kept_path(state / CACHE_SUBDIR, scope))


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def check_target(out: Path, package: str) -> None:
    """`UsageError` unless `out/package` can be a package folder: a valid package name, and no
    file where a folder has to be."""
    from specfirst.names import package_name_problem

    problem = package_name_problem(package)
    if problem is not None:
        raise UsageError(f"--package: {problem}")
    for folder in (*reversed(out.parents), out, out / package):
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"--out: {folder} is a file, not a folder")


def generate_package(
    contract_path: Path,
    package: str,
    out: Path,
    *,
    allow_invalid: bool = False,
    force: bool = False,
    models: str = "all",
    field_names: str = "snake_case",
    on_warning: Callable[[str], None] | None = None,
) -> GenerationResult:
    """Generate `out/package` from the contract; an invalid contract leaves `out` untouched.

    With `allow_invalid`, every validation error goes to `on_warning` before generation starts
    (so they are seen even when generation then fails), and the no-op fast path is skipped; a
    `$ref` that leads nowhere is still refused (there is nothing to generate in its place).
    """
    from specfirst.generator.write import swap_into_place

    started = time.perf_counter()
    check_target(out, package)
    target = out / package
    state = state_dir(out)
    # The contract's bytes, read once: the stamp check, the early worker's guess and loading
    # all see these (None when unreadable: loading reads again and says why).
    raw = _read_or_none(Path(contract_path))
    known = {Path(contract_path).resolve(): raw} if raw is not None else {}
    may_skip = not force and not allow_invalid
    if may_skip and is_up_to_date(target, models, field_names, state, known):
        return GenerationResult(target, changed=False, seconds=time.perf_counter() - started)
    generator_fingerprint(state)  # kept there: every later use in this run is free
    worker = _worker_before_load(contract_path, state, raw)
    try:
        # A YAML contract: only the entry an edit lies in is parsed again (`yaml_splice`).
        parse_file = kept_parse_path(state, Path(contract_path), generator_fingerprint())
        last = read_parse(parse_file) if parse_file is not None and raw is not None else None
        span = _known(contract_path, state, raw)
        contract = load_contract(contract_path, raw, span, last, keep=parse_file is not None)
        if worker is not None and contract.sources[contract.path].reparse is not None:
            _guess_after_load(contract, state, worker)
        warnings: list[str] = []
        if allow_invalid:
            issues = validation_issues(contract, state)
            if issues and contract.unresolved:  # nothing to generate where a $ref leads
                raise InvalidContractError(contract.path, issues)
            warnings = [str(issue) for issue in issues]
            for warning in warnings:
                if on_warning is not None:
                    on_warning(warning)
            staging, fresh = staged_package(
                contract,
                package,
                target,
                models,
                invalid=bool(issues),
                field_names=field_names,
                worker=worker,
            )
        else:
            staging, fresh = _stage_validated(
                contract, package, target, models, field_names, worker
            )
    finally:
        if worker is not None:
            worker.close()  # used or ended by the models stage already, unless it never ran
    from specfirst.generator.pydantic_models.driver import (
        VARIANTS_FALLBACK,  # loaded by staging already
    )

    files = sorted(fresh)  # what staging holds, as written there (not read back)
    if VARIANTS_FALLBACK.encode() in fresh.get("models.py", b""):
        warning = (
            f"{contract.path}: readOnly/writeOnly request and response variants could not be"
            " split; models.py has one class per schema (see docs/robustness.md)"
        )
        warnings.append(warning)
        if on_warning is not None:
            on_warning(warning)
    if _holds(target, fresh):
        shutil.rmtree(staging, ignore_errors=True)
        return GenerationResult(target, False, time.perf_counter() - started, files, warnings)
    swap_into_place(staging, target)
    return GenerationResult(target, True, time.perf_counter() - started, files, warnings)
