"""A YAML contract's bytes and data as the last run parsed them, kept for the next run's load.

Loading GitHub's contract as YAML costs about 1.2 s; after an edit, `yaml_splice.reparsed`
parses the edited entry alone and takes the rest from what is kept here (0.05-0.1 s). Beside
them, what that run made of the data that the next run may take where the entry parsed again
tells it is the same (`Parsed.extra`): each component schema's text (`component_texts`: all but
the edited schema's), and the model plan (`kept_plan`: when only an operation's prose changed,
as `ahead` does for JSON contracts from the bytes). One file
per contract under `loads/` in the state folder, named by a hash of the generator's fingerprint
(which covers the loader's code and PyYAML's version: data parsed by other code is never
reused) and the contract's path; written atomically, read only when its CRC-32 holds, and
bounded to the newest `KEPT_FILES`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import marshal
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specfirst.generator.state import evict, read_used, write_atomically
from specfirst.yaml_splice import Parsed

if TYPE_CHECKING:
    from specfirst.generator.schemas import ModelPlan
    from specfirst.loader import Contract

LOADS_SUBDIR = "loads"
KEPT_FILES = 8
YAML_SUFFIXES = (".yaml", ".yml")


def kept_parse_path(state: Path, contract: Path, fingerprint: str) -> Path | None:
    """Where the parse of `contract` is kept; None when it is no YAML file."""
    if contract.suffix.lower() not in YAML_SUFFIXES:
        return None
    scope = contract.resolve().as_posix()
    name = hashlib.sha256(f"parse\0{fingerprint}\0{scope}".encode()).hexdigest()
    return state / LOADS_SUBDIR / f"{name}.parse"


def read_parse(path: Path) -> Parsed | None:
    """The kept parse, or None when there is none or it is damaged."""
    data = read_used(path)
    if data is None:
        return None
    end = data.find(b"\n")
    try:
        if data[8:9] != b" " or int(data[:8], 16) != zlib.crc32(memoryview(data)[9:]):
            return None
        size, aliased, length = json.loads(data[9:end])
        if not isinstance(aliased, bool) or end < 0:
            return None
        raw = data[end + 1 : end + 1 + size]
        snapshot = data[end + 1 + size : end + 1 + size + length]
    except (ValueError, TypeError):
        return None
    return Parsed(raw, snapshot, aliased, data[end + 1 + size + length :])


def keep_parse(
    path: Path,
    parsed: Parsed,
    texts: dict[str, str] | None = None,
    plan: ModelPlan | None = None,
    mark: str = "",
    parts: list[bytes] | None = None,
) -> None:
    """Keep `parsed` at `path`, with the run's component `texts`, model `plan` (whose
    documents' `mark`) and the texts of its models' `parts` where it has them (best effort: a
    run that cannot write only loses speed)."""
    from specfirst.generator.pydantic_models.ahead import plan_state

    extra: dict[str, Any] = {"texts": texts, "parts": parts}
    if plan is not None:
        extra.update(plan=plan_state(plan), names=dict(plan.class_names), mark=mark)
    parsed = dataclasses.replace(parsed, extra=marshal.dumps(extra))
    head = json.dumps([len(parsed.raw), parsed.aliased, len(parsed.snapshot)]).encode()
    body = [head, b"\n", parsed.raw, parsed.snapshot, parsed.extra]
    crc = 0
    for chunk in body:
        crc = zlib.crc32(chunk, crc)
    if write_atomically(path, [b"%08x " % crc, *body], unlink_first=True):
        evict(path.parent, max_entries=KEPT_FILES, patterns=("*.parse",))


def _extra(
    contract: Contract,
) -> tuple[dict[str, Any], tuple[str, ...], Any, tuple[str, ...]] | None:
    """What the run the contract was spliced from kept (`keep_parse`), the keys of the entry
    parsed again, its old value (for entries put into a mapping: the mapping without them) and
    the keys put in; None when its document is not that data as parsed (another file's bundled
    in) or it was not spliced."""
    reparse = contract.sources[contract.path].reparse
    if reparse is None or contract.bundled or len(contract.sources) != 1:
        return None
    extra = _decoded(reparse.last.extra)
    if extra is None:
        return None
    before = reparse.before
    if reparse.added:
        node: Any = contract.document
        for key in reparse.at:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return None
        before = {key: value for key, value in node.items() if key not in reparse.added}
    return extra, reparse.at, before, reparse.added


@functools.lru_cache(maxsize=1)
def _decoded(extra: bytes) -> dict[str, Any] | None:
    """`Parsed.extra` as `keep_parse` wrote it, decoded once a run (a run asks four times: the
    guess, the texts, the plan, the parts); shared, so never changed by its readers."""
    try:
        found = marshal.loads(extra)
    except (ValueError, EOFError, TypeError):
        return None
    return found if isinstance(found, dict) else None


def component_texts(contract: Contract) -> dict[str, str] | None:
    """`document.component_texts` of the contract's document from the kept run's: all of them
    but the schema the edit lies in (dumped again) when the entry parsed again is one schema or
    lies inside one or outside `components/schemas`, or but the schemas put in; None
    otherwise."""
    found = _extra(contract)
    if found is None:
        return None
    extra, at, _, added = found
    texts = extra.get("texts")
    components = contract.document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if not isinstance(texts, dict) or not isinstance(schemas, dict):
        return None
    if at == ("components", "schemas") and added:
        if list(texts) != [name for name in schemas if name not in added]:
            return None
        return {
            name: json.dumps(schema, ensure_ascii=False) if name in added else texts[name]
            for name, schema in schemas.items()
        }
    if list(texts) != list(schemas):
        return None
    texts = dict(texts)  # the decoded one is shared (`_decoded`)
    if at[:1] == ("components",) and (len(at) == 1 or at[1] == "schemas"):
        if len(at) < 3:
            return None  # all the schemas parsed again
        texts[at[2]] = json.dumps(schemas[at[2]], ensure_ascii=False)
    return texts


def kept_plan(contract: Contract, texts: dict[str, str] | None = None) -> ModelPlan | None:
    """The kept run's model plan, when the entry parsed again lies inside one path item and the
    item then and now differ in prose alone (`ahead.prose_only`), or inside one component
    schema (entries put into it included) and it keeps the plan (`ahead.schema_keeps_plan`),
    or nothing was; with the document's component `texts`, where the entries are new schemas
    that move no other name (`ahead.plan_with_added`); else None."""
    from specfirst.generator.pydantic_models.ahead import (
        plan_from,
        plan_with_added,
        prose_only,
        schema_keeps_plan,
    )

    found = _extra(contract)
    if found is None:
        return None
    extra, at, before, added = found
    state, names, mark = extra.get("plan"), extra.get("names"), extra.get("mark")
    if not isinstance(state, dict) or not isinstance(names, dict) or not isinstance(mark, str):
        return None
    if at == ("components", "schemas") and added:
        if texts is None:
            return None
        return plan_with_added(state, names, mark, list(added), texts)
    if at[:2] == ("components", "schemas") and len(at) > 2:
        components = contract.document.get("components")
        schemas = components.get("schemas") if isinstance(components, dict) else None
        now = schemas.get(at[2]) if isinstance(schemas, dict) else None
        if now is None or not schema_keeps_plan(at[2], _restored(now, at[3:], before), now, state):
            return None
    elif at:
        paths = contract.document.get("paths")
        item = paths.get(at[1]) if isinstance(paths, dict) and len(at) > 1 else None
        if (
            at[0] != "paths"
            or item is None
            or not prose_only(_restored(item, at[2:], before), item)
        ):
            return None
    return plan_from(state, names, mark)


def kept_parts(contract: Contract) -> list[bytes] | None:
    """The model parts' texts the kept run had (for a run that plans none: an operation edit)."""
    found = _extra(contract)
    parts = found[0].get("parts") if found is not None else None
    return parts if isinstance(parts, list) else None


def guess(contract: Contract) -> list[str]:
    """This run's model parts as guessed from the kept run's (`ahead.guessed_parts`), when the
    entry parsed again is one component schema or lies inside one: sent to the models worker
    as soon as the contract is loaded (for a JSON contract `ahead` sends them before)."""
    from specfirst.generator.pydantic_models.ahead import guessed_parts

    found = _extra(contract)
    if found is None:
        return []
    extra, at, before, _ = found
    parts, names, mark = extra.get("parts"), extra.get("names"), extra.get("mark")
    components = contract.document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if at[:2] != ("components", "schemas") or len(at) < 3 or not isinstance(schemas, dict):
        return []
    if not isinstance(parts, list) or not isinstance(names, dict) or not isinstance(mark, str):
        return []
    now = schemas.get(at[2])
    was = _restored(now, at[3:], before)
    return guessed_parts(parts, names, mark, at[2], was, now)


def _restored(node: Any, keys: tuple[str, ...], before: Any) -> Any:
    """`node` with `before` in place of the value at `keys` (copied along them only)."""
    if not keys:
        return before
    if not isinstance(node, dict) or keys[0] not in node:
        return None
    return {**node, keys[0]: _restored(node[keys[0]], keys[1:], before)}
