"""One API from contract to package: load, validate, plan, models, render, format, swap in."""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from specfirst.errors import SpecfirstError, UsageError
from specfirst.generator.write import tree_files
from specfirst.loader import Contract, load_contract

STAMP_FILE = "_stamp.py"
_GENERATOR_DIR = Path(__file__).parent


class InvalidContractError(SpecfirstError):
    """The contract failed validation; `issues` holds every error found."""

    def __init__(self, contract: Path, issues: list[Any]) -> None:
        self.issues = issues
        super().__init__(f"{contract}: {len(issues)} validation error(s); nothing was generated")


@dataclass
class GenerationResult:
    package_dir: Path
    changed: bool
    seconds: float
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def generator_fingerprint() -> str:
    """Changes whenever anything that shapes the output changes (code, templates, tools)."""
    digest = hashlib.sha256()
    for path in sorted(_GENERATOR_DIR.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".j2"):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    for dist in ("specfirst", "datamodel-code-generator", "ruff", "pydantic"):
        digest.update(f"{dist}=={metadata.version(dist)}".encode())
    return digest.hexdigest()


def validation_issues(contract: Contract) -> list[Any]:
    from specfirst.validation import validate_contract

    return list(validate_contract(contract))


def build_files(contract: Contract, package: str, models: str = "all") -> dict[str, str]:
    """Every file of the package (unformatted), from a valid contract; `models` is the
    API's model scope (`config.MODEL_SCOPES`)."""
    from specfirst.generator.build import ViewBuilder, plan_models
    from specfirst.generator.model_classes import read_classes
    from specfirst.generator.pydantic_models import generate_models
    from specfirst.generator.render import make_header, render_package
    from specfirst.generator.schemas import operation_schemas

    document = contract.document
    plan = plan_models(document)
    head = make_header(contract.path.as_posix(), contract.sha256)
    keep = operation_schemas(document) if models == "operations" else None
    generated = read_classes(generate_models(plan.build(document, keep), head))
    api = ViewBuilder(
        document,
        plan,
        generated.classes,
        package=package,
        contract_path=contract.path.as_posix(),
        contract_sha256=contract.sha256,
    ).build()
    files = render_package(api, document)
    files["models.py"] = generated.source
    return files


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stamp_text(contract: Contract, outputs: dict[str, str], head: str, models: str) -> str:
    inputs = {p.as_posix(): _hash(s.raw) for p, s in sorted(contract.sources.items())}
    options = _options(models)
    return (
        f"{head}\n"
        '"""What this package was generated from; lets an unchanged `specfirst generate` stop early."""\n\n'
        f"{_dict_source('INPUTS', inputs)}{_dict_source('OUTPUTS', dict(sorted(outputs.items())))}"
        + (_dict_source("OPTIONS", options) if options else "")
    )


def _options(models: str) -> dict[str, str]:
    """Generation options that differ from the defaults (none by default, so stamps of default
    packages stay as they were)."""
    return {} if models == "all" else {"models": models}


def _dict_source(name: str, values: dict[str, str]) -> str:
    """A dict literal laid out as `ruff format` would, so the stamp passes format checks."""
    if not values:
        return f"{name}: dict[str, str] = {{}}\n"
    items = "".join(f"    {json.dumps(k)}: {json.dumps(v)},\n" for k, v in values.items())
    return f"{name}: dict[str, str] = {{\n{items}}}\n"


def _fingerprint_file(package_dir: Path) -> Path:
    """Which generator last wrote `package_dir`: a local cache, not part of the output, so a
    generator change that does not change the output does not make committed code stale."""
    return Path(".specfirst") / (
        package_dir.as_posix().strip("/").replace("/", "__") + ".generator"
    )


def _remember_generator(package_dir: Path) -> None:
    try:
        path = _fingerprint_file(package_dir)
        path.parent.mkdir(exist_ok=True)
        path.write_text(generator_fingerprint(), encoding="utf-8")
    except OSError:
        pass  # only the fast no-op path is lost


def is_up_to_date(package_dir: Path, models: str = "all") -> bool:
    """True when the stamp says inputs, options, generator and every output file are unchanged."""
    stamp_path = package_dir / STAMP_FILE
    try:
        tree = ast.parse(stamp_path.read_text(encoding="utf-8"))
        values: dict[str, Any] = {}
        for node in tree.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
                values[node.target.id] = ast.literal_eval(node.value)
        if values.get("OPTIONS", {}) != _options(models):
            return False
        if _fingerprint_file(package_dir).read_text(encoding="utf-8") != generator_fingerprint():
            return False
        for name, digest in values["INPUTS"].items():
            if _hash(Path(name).read_bytes()) != digest:
                return False
        present = tree_files(package_dir)
        present.pop(STAMP_FILE, None)
        outputs: dict[str, str] = values["OUTPUTS"]
        return {name: _hash(data) for name, data in present.items()} == outputs
    except (OSError, SyntaxError, ValueError, KeyError, TypeError):
        return False


def stage_package(contract: Contract, package: str, near: Path, models: str = "all") -> Path:
    """Render, format and stamp the package into a temporary folder beside `near`."""
    from specfirst.generator.render import make_header
    from specfirst.generator.write import render_to_temp

    staging = render_to_temp(build_files(contract, package, models), near)
    outputs = {name: _hash(data) for name, data in tree_files(staging).items()}
    head = make_header(contract.path.as_posix(), contract.sha256)
    (staging / STAMP_FILE).write_text(
        _stamp_text(contract, outputs, head, models), encoding="utf-8"
    )
    return staging


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
    if not force and not allow_invalid and is_up_to_date(target, models):
        return GenerationResult(target, changed=False, seconds=time.perf_counter() - started)
    contract = load_contract(contract_path)
    warnings: list[str] = []
    issues = validation_issues(contract)
    if issues:
        if not allow_invalid or contract.unresolved:  # nothing to generate where a $ref leads
            raise InvalidContractError(contract.path, issues)
        warnings = [str(issue) for issue in issues]
        for warning in warnings:
            if on_warning is not None:
                on_warning(warning)
    staging = stage_package(contract, package, target, models)
    fresh = tree_files(staging)
    files = sorted(fresh)
    if fresh == tree_files(target):
        shutil.rmtree(staging, ignore_errors=True)
        _remember_generator(target)
        return GenerationResult(target, False, time.perf_counter() - started, files, warnings)
    swap_into_place(staging, target)
    _remember_generator(target)
    return GenerationResult(target, True, time.perf_counter() - started, files, warnings)
