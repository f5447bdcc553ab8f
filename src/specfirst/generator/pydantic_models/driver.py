"""The models stage: datamodel-code-generator, set up to be as strict as the contract.

datamodel-code-generator is by far the slowest stage (about 17 s of CPU for GitHub's 1,463
schemas), so a large document is generated in parts in parallel (`parts`) and the output is
cached by content: the exact document it is given, this module (its
options) and the versions of the tools. A contract change that leaves the schemas alone (an
operation, a description, a path) or a `check`/`--force` run then reuses the models byte for byte.
The cache lives in `.specfirst/models-cache/` beside the other local state; deleting it is safe.

Component names reach datamodel-code-generator behind a mark and are restored by `unmark`, which
also repairs what the mark hides from it: see `schemas.COMPONENT_MARK`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import tokenize
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

from specfirst.errors import SpecfirstError
from specfirst.generator.schemas import MARK_KEY

CACHE_DIR = Path(".specfirst") / "models-cache"
CACHE_KEEP = 16  # entries (whole documents and parts) kept; the oldest (by last use) go first
_HEADER_SLOT = "# specfirst: generated-file header"


class ModelGenerationError(SpecfirstError):
    """datamodel-code-generator refused the contract's schemas."""


def generate_models(
    document: dict[str, Any], header: str, cache_dir: Path | None = CACHE_DIR
) -> str:
    """Pydantic v2 source for `document["components"]["schemas"]`.

    Strictness, as the contract says it: optional fields are `X | MISSING` so `null` is refused
    where the contract does not allow it; `StrictFloat`/`StrictBool` refuse `false` for a number
    and `1` for a boolean; readOnly/writeOnly split request and response variants; discriminators
    become tagged unions.
    """
    if not document["components"]["schemas"]:
        return f"{header}\n\nfrom __future__ import annotations\n"
    key = cache_key(document)
    body = _read_cache(cache_dir, key) if cache_dir is not None else None
    if body is None:
        body = enums_before_defaults(_models_source(document, cache_dir))
        if cache_dir is not None:
            _write_cache(cache_dir, key, body)
    return body.replace(_HEADER_SLOT, header, 1)


def _models_source(document: dict[str, Any], cache_dir: Path | None) -> str:
    """datamodel-code-generator's module for the document: in parts, in parallel, when it is
    large (see `parts`), each part cached on its own so that editing one schema only
    regenerates the parts holding it; in one run otherwise, or when the join refuses."""
    from specfirst.generator.pydantic_models.parts import plan_parts

    parts = plan_parts(document)
    if not parts:
        return _run_datamodel_codegen(document)
    keys = [cache_key(part) for part in parts]
    sources = [_read_cache(cache_dir, k) if cache_dir is not None else None for k in keys]
    missing = [i for i, source in enumerate(sources) if source is None]
    try:
        fresh = _run_in_processes([parts[i] for i in missing])
    except (ModelGenerationError, OSError):  # a part failed, or no worker: one run says why
        return _run_datamodel_codegen(document)
    for index, source in zip(missing, fresh, strict=True):
        sources[index] = source
        if cache_dir is not None:
            _write_cache(cache_dir, keys[index], source)
    joined = join_part_sources([s for s in sources if s is not None], parts)
    return joined if joined is not None else _run_datamodel_codegen(document)


def join_part_sources(sources: list[str], parts: list[dict[str, Any]]) -> str | None:
    """The parts' modules as one (`join`), told which components each part holds."""
    from specfirst.generator.pydantic_models.join import join_modules

    held = []
    for part in parts:
        mark = part.get("info", {}).get(MARK_KEY, "")
        held.append({name.removeprefix(mark) for name in part["components"]["schemas"]})
    return join_modules(sources, held)


def _run_in_processes(documents: list[dict[str, Any]]) -> list[str]:
    """`_run_datamodel_codegen` on each document, the last one here and the others each in a
    worker process (`worker`), all at once when there are cores for them."""
    if len(documents) <= 1 or (os.cpu_count() or 1) < 2:
        return [_run_datamodel_codegen(d) for d in documents]
    import subprocess
    import sys

    package_root = str(Path(__file__).resolve().parents[3])
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    with tempfile.TemporaryDirectory(prefix="specfirst-models-") as folder:
        workers = []
        try:
            for index, document in enumerate(documents[:-1]):
                files = [Path(folder, f"{index}.{kind}") for kind in ("json", "out", "err")]
                files[0].write_text(json.dumps(document), encoding="utf-8")
                with files[1].open("wb") as out, files[2].open("wb") as err:
                    command = [sys.executable, "-m", "specfirst.generator.pydantic_models.worker"]
                    worker = subprocess.Popen(
                        [*command, str(files[0])], stdout=out, stderr=err, env=env
                    )
                workers.append((worker, files))
            last = _run_datamodel_codegen(documents[-1])
            results = []
            for worker, files in workers:
                if worker.wait() != 0:
                    message = files[2].read_text(encoding="utf-8", errors="replace").strip()
                    raise ModelGenerationError(
                        message or f"models worker exited with {worker.returncode}"
                    )
                results.append(files[1].read_text(encoding="utf-8"))
        finally:
            for worker, _ in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
    return [*results, last]


def _run_datamodel_codegen(document: dict[str, Any]) -> str:
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import (
        DataModelType,
        InputFileType,
        NamingStrategy,
        ReadOnlyWriteOnlyModelType,
        StrictTypes,
        TargetPydanticVersion,
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            output = generate(
                document,
                input_file_type=InputFileType.OpenAPI,
                output_model_type=DataModelType.PydanticV2BaseModel,
                target_pydantic_version=TargetPydanticVersion.V2_14,
                disable_timestamp=True,
                use_standard_collections=True,
                use_union_operator=True,
                use_missing_sentinel=True,
                strict_nullable=True,
                strict_types=[StrictTypes.float, StrictTypes.bool],
                read_only_write_only_model_type=ReadOnlyWriteOnlyModelType.RequestResponse,
                use_annotated=True,
                field_constraints=True,
                use_schema_description=True,
                use_double_quotes=True,
                keep_model_order=True,
                set_default_enum_member=True,
                naming_strategy=NamingStrategy.FullPath,
                formatters=[],
                custom_file_header=_HEADER_SLOT,
            )
        except Exception as exc:  # the library raises many kinds; report them as one
            raise ModelGenerationError(f"datamodel-code-generator failed: {exc}") from exc
    if not isinstance(output, str):
        raise ModelGenerationError("datamodel-code-generator returned several modules")
    return unmark(strict_temporal_imports(output), document.get("info", {}).get(MARK_KEY, ""))


_TOP_LEVEL_PIECE = re.compile(r"^(?=\S)", re.MULTILINE)


def unmark(source: str, mark: str) -> str:
    """Give component classes back their names (see `schemas.COMPONENT_MARK`). An inline class
    that took a component's name gives it up for the next free number (`Type` → `Type4`)."""
    if not mark:
        return source
    from specfirst.generator.pydantic_models.join import DEFINITION, fresh_name, rename_identifier

    defined = sorted({a or b for a, b in DEFINITION.findall(source)})
    # The mark also stands inside the names of inline classes named after a component's path
    # (`ZzSpecfirstPetOwner`, `BodyZzSpecfirstPet`). Where two names become one without it, a
    # name that starts with the mark (a component's own) keeps it and the others yield.
    groups: dict[str, list[str]] = {}
    for name in defined:
        groups.setdefault(name.replace(mark, ""), []).append(name)
    taken = set(defined) | set(groups)
    pieces = _TOP_LEVEL_PIECE.split(source)
    for target, names in sorted(groups.items()):
        if len(names) < 2:
            continue
        keeper = next((n for n in names if n.startswith(mark)), names[0])
        for name in names:
            if name == keeper:
                continue
            fresh = fresh_name(target, taken)
            taken.add(fresh)
            pieces = [rename_identifier(p, name, fresh) if name in p else p for p in pieces]
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
        if not re.search(rf"\b{re.escape(mark + name)}\b", rest):
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
_PYDANTIC_TEMPORAL = ("AwareDatetime", "NaiveDatetime")


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
    lines.insert(last_import + 1, f"from specfirst_runtime.dates import {', '.join(runtime_names)}")
    return "\n".join(lines)


def cache_key(document: dict[str, Any]) -> str:
    """Changes with the document (key order included: it orders the classes), the options in
    this module, how documents are split and joined, and the versions of the tools that shape
    the output."""
    digest = hashlib.sha256()
    for helper in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(helper.read_bytes())
    digest.update(Path(__file__).parents[1].joinpath("schemas.py").read_bytes())
    for dist in ("datamodel-code-generator", "pydantic"):
        digest.update(f"{dist}=={metadata.version(dist)}".encode())
    digest.update(json.dumps(document, ensure_ascii=False).encode())
    return digest.hexdigest()


def _read_cache(folder: Path, key: str) -> str | None:
    path = folder / f"{key}.py"
    try:
        text = path.read_text(encoding="utf-8")
        os.utime(path)  # last use decides what is evicted
    except OSError:
        return None
    return text if text.startswith(_HEADER_SLOT) else None


def _write_cache(folder: Path, key: str, body: str) -> None:
    """Best effort: a read-only or full disk only costs the next run its speed."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
        os.replace(temporary, folder / f"{key}.py")
        entries = sorted(folder.glob("*.py"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in entries[CACHE_KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass


_ENUM_CLASS = re.compile(r"^class (\w+)\((?:str, |int, )?(?:Enum|StrEnum|IntEnum)\):", re.MULTILINE)
_MEMBER_DEFAULT = re.compile(r"= ([A-Za-z_]\w*)\.[A-Za-z_]\w*$", re.MULTILINE)
_TOP_LEVEL = re.compile(r"^\S", re.MULTILINE)


def enums_before_defaults(source: str) -> str:
    """Move enum classes that a field default names (`mode: Mode = Mode.vip`) above the first
    class. Defaults run when the class is created, unlike annotations, and datamodel-code-generator
    orders classes by name, so `Mode` may come after the model using it; enums depend on nothing,
    so moving them up is always safe. Other output is left exactly as it was."""
    enums = {m.group(1): m.start() for m in _ENUM_CLASS.finditer(source)}
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
