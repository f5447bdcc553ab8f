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
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specfirst.errors import SpecfirstError, UsageError
from specfirst.generator.state import state_dir
from specfirst.generator.write import tree_files
from specfirst.loader import Contract, load_contract

if TYPE_CHECKING:
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
    "names.py",
    "errors.py",
    "__init__.py",
)
FINGERPRINTED_DISTS = ("specfirst", "datamodel-code-generator", "pydantic", "ruff", "jinja2")
_FINGERPRINT: list[str] = []


def generator_fingerprint() -> str:
    """Changes whenever anything that shapes the output changes (code, templates, tools)."""
    if _FINGERPRINT:
        return _FINGERPRINT[0]
    root = _GENERATOR_DIR.parent
    digest = hashlib.sha256()
    for entry in FINGERPRINTED:
        path = root / entry
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                digest.update(file.relative_to(root).as_posix().encode() + b"\0")
                digest.update(file.read_bytes())
    for dist in FINGERPRINTED_DISTS:
        digest.update(f"{dist}=={metadata.version(dist)}".encode())
    _FINGERPRINT.append(f"specfirst {metadata.version('specfirst')} {digest.hexdigest()[:32]}")
    return _FINGERPRINT[0]


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
    texts = component_texts(document)
    # A schema edit: a worker loads datamodel-code-generator while the models are planned.
    try:
        worker = early_worker(texts, cache, scope, started) if cache is not None else None
    except BaseException:
        if started is not None:
            started.close()
        raise
    try:
        plan = plan_models(document, texts)
        head = make_header(contract.path.as_posix(), contract.sha256)
        keep = operation_schemas(document) if models == "operations" else None
        # The memo keeps each schema's rewritten copy: an edit rewrites the schemas it touched.
        memo = memo_path(cache, scope) if cache is not None else None
        if ahead is not None and worker is not None:
            planned = plan  # final once the document is built, before the worker has its share
            worker.on_give = lambda: ahead.start(planned)
        builder = DocumentBuilder(plan, document, keep, field_names, memo, texts, saves)
        module = generate_models_module(builder, head, cache, worker)
    except ModelGenerationError as exc:
        raise ModelsRefusedError(contract, plan.class_names, exc) from None
    finally:
        if worker is not None:
            worker.close()  # ended where it was not used; waited for where it was
    return plan, module


def _render_stage(
    contract: Contract,
    package: str,
    plan: ModelPlan,
    classes: Collection[str],
    state: Path | None = None,
    saves: list[Callable[[], None]] | None = None,
    later: list[Callable[[dict[str, bytes]], None]] | None = None,
) -> dict[str, str | bytes]:
    """Every file but models.py (unformatted text; bytes for files that need no formatting),
    from the view model of the generated `classes` (`ModelsModule.classes`, or a guess of them:
    `_ViewAhead`). Under `state` (see `view_cache`): the operation drafts are kept, saved by a
    function added to `saves` (the caller runs it while ruff formats), else before returning; and
    when the view model is the last run's, its formatted files are taken as they were (bytes)
    instead of rendered; when it is not, so are the routers whose key
    (`ViewBuilder.router_keys`) is the last run's. A function added to `later` keeps the
    formatted files of this view model once they are written (it takes every written file's
    bytes)."""
    from specfirst.generator.build import ViewBuilder
    from specfirst.generator.render import (
        CONTRACT_FILE,
        TEMPLATE_CACHE_SUBDIR,
        cache_templates,
        make_header,
        render_contract,
        render_package,
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
                files[CONTRACT_FILE] = render_contract(contract.document)
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
        files = render_package(api, contract.document, routers)
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
    the last run's (`view_cache.read_classes`). It starts once the worker has its share
    (`driver.PrestartedWorker.on_give`), when the plan is final (the models document is built).
    The view builder only asks whether a class was generated, so its files are those of the
    real classes when they answer every question it asked as the guess did
    (`view_cache.AskedClasses.holds`); when they do not, `result` says so and the view stage
    runs again on the real classes, as it does when none ran ahead. It saves nothing itself:
    its drafts are saved, and its files kept, only when it holds."""

    def __init__(self, contract: Contract, package: str, state: Path) -> None:
        from specfirst.generator.view_cache import VIEW_CACHE_SUBDIR, cache_file, read_classes

        self.contract = contract
        self.package = package
        self.state = state
        drafts = cache_file(state / VIEW_CACHE_SUBDIR, package, contract.path.as_posix())
        self.classes_file = drafts.with_suffix(".classes")
        self.guess = read_classes(self.classes_file)
        self.thread: threading.Thread | None = None
        self.files: dict[str, str | bytes] | None = None
        self.saves: list[Callable[[], None]] = []
        self.later: list[Callable[[dict[str, bytes]], None]] = []

    def start(self, plan: ModelPlan) -> None:
        """Start it on `plan` (final: its mark set), when there is a guess."""
        from specfirst.generator.view_cache import AskedClasses

        if self.guess is None or self.thread is not None:
            return
        self.asked = AskedClasses(self.guess)

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
                )
            except BaseException:  # run again on the real classes, which says why
                self.files = None

        thread = threading.Thread(target=run, name="specfirst-view-ahead", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # no thread to be had: the view stage runs after the models
            return
        self.thread = thread

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


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stamp_text(
    contract: Contract, outputs: dict[str, str], head: str, options: dict[str, str], target: Path
) -> str:
    inputs = {_stamp_path(p, target): _hash(s.raw) for p, s in sorted(contract.sources.items())}
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
    package_dir: Path, models: str = "all", field_names: str = "snake_case"
) -> str | None:
    """None when the stamp proves the package is what the generator makes of the contract
    today; else why it cannot (see docs/robustness.md, "Why a hash check is sound").

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
        if values.get("GENERATOR") != generator_fingerprint():
            return f"generated by {values.get('GENERATOR', 'an older specfirst')}"
        for name, digest in values["INPUTS"].items():
            source = package_dir / name
            try:
                if _hash(source.read_bytes()) != digest:
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
            if _hash(present[name]) != outputs[name]:
                return f"{package_dir / name} was edited"
    except (KeyError, TypeError, AttributeError):
        return f"{STAMP_FILE} is malformed"
    return None


def is_up_to_date(package_dir: Path, models: str = "all", field_names: str = "snake_case") -> bool:
    """True when the stamp says inputs, options, generator and every output file are unchanged."""
    return stale_reason(package_dir, models, field_names) is None


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
    from specfirst.generator.render import make_header
    from specfirst.generator.view_cache import write_classes
    from specfirst.generator.write import FORMAT_CACHE_SUBDIR, stage_files

    state = state_dir(near.parent)
    ahead = _ViewAhead(contract, package, state)
    guess = ahead.guess
    memo: list[Callable[[], None]] = []  # the models memo's write, once the models are made
    plan, module = _models_stage(contract, models, state, field_names, worker, ahead, memo)
    write_classes(ahead.classes_file, module.classes, guess)  # the next run's guess
    savers: list[threading.Thread] = []
    later: list[Callable[[dict[str, bytes]], None]] = []

    def view_files() -> dict[str, str | bytes]:
        saves: list[Callable[[], None]] = list(memo)
        files = ahead.result(module.classes, saves, later)
        if files is None:
            files = _render_stage(contract, package, plan, module.classes, state, saves, later)
        for save in saves:  # the memo, the view model's drafts: saved while ruff formats
            saver = threading.Thread(target=save, name="specfirst-view-cache")
            saver.start()
            savers.append(saver)
        return files

    # models.py is formatted (ruff, in the background) while the view model is built and the
    # other files rendered: it imports none of them, so it formats as in a run over all files.
    staging, written = stage_files(
        {MODELS_FILE: module.source}, near, state / FORMAT_CACHE_SUBDIR, then=view_files
    )
    for saver in savers:  # the view model's drafts, saved while the files were formatted
        saver.join()
    for keep in later:  # the formatted files of this view model, for the next run
        keep(written)
    # Hashed as written: every file of the staging folder, read from memory, not from disk.
    outputs = {name: _hash(data) for name, data in written.items()}
    head = make_header(contract.path.as_posix(), contract.sha256)
    stamp = _stamp_text(contract, outputs, head, _options(models, invalid, field_names), near)
    (staging / STAMP_FILE).write_text(stamp, encoding="utf-8")
    return staging


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
) -> Path:
    """`stage_package` of a contract that must be valid: `InvalidContractError` (and nothing
    staged) when it is not. Validation runs beside generation where it can (`validation_aside`),
    so it costs no wall time on a machine with a core to spare; its verdict is waited for
    before anything is returned, and it wins over any error generation ran into."""
    verdict = validation_aside(contract, state_dir(target.parent))
    try:
        staging = stage_package(
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
    return staging


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


def _worker_before_load(contract: Path, state: Path) -> PrestartedWorker | None:
    """A models worker started now, before the contract is loaded, when its bytes suggest a
    schema edit (`driver.worker_before_load`): it loads datamodel-code-generator while this
    process loads and plans (0.28 s on GitHub's contract that it would otherwise wait for)."""
    from specfirst.generator.pydantic_models.driver import CACHE_SUBDIR, worker_before_load

    return worker_before_load(Path(contract), state / CACHE_SUBDIR)


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
    if not force and not allow_invalid and is_up_to_date(target, models, field_names):
        return GenerationResult(target, changed=False, seconds=time.perf_counter() - started)
    worker = _worker_before_load(contract_path, state_dir(out))
    try:
        contract = load_contract(contract_path)
        warnings: list[str] = []
        if allow_invalid:
            issues = validation_issues(contract, state_dir(out))
            if issues and contract.unresolved:  # nothing to generate where a $ref leads
                raise InvalidContractError(contract.path, issues)
            warnings = [str(issue) for issue in issues]
            for warning in warnings:
                if on_warning is not None:
                    on_warning(warning)
            staging = stage_package(
                contract,
                package,
                target,
                models,
                invalid=bool(issues),
                field_names=field_names,
                worker=worker,
            )
        else:
            staging = _stage_validated(contract, package, target, models, field_names, worker)
    finally:
        if worker is not None:
            worker.close()  # used or ended by the models stage already, unless it never ran
    from specfirst.generator.pydantic_models.driver import (
        VARIANTS_FALLBACK,  # loaded by staging already
    )

    fresh = tree_files(staging)
    files = sorted(fresh)
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
