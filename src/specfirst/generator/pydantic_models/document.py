"""The models document, built schema by schema and kept per schema between runs.

`ModelPlan.build` rewrites every schema of the contract for datamodel-code-generator (class
names behind the mark, patterns translated, extensions dropped), and `parts.plan_parts` walks
every rewritten schema again: about 0.5 s of CPU on GitHub's contract, paid by every edit. Both
are a function of one schema at a time: its rewritten copy depends on the schema's own JSON,
the mark, and the class names it looked up (recorded as it is rewritten); what planning the
parts reads of it (`parts.SchemaFacts`) depends on the rewritten copy alone. So each schema's
rewritten JSON and facts are kept in a *memo* (one file in the models cache), keyed by a hash
of the schema's JSON and the mark, and reused for as long as every class name it looked up is
still the same. An edit then rewrites the schemas it touched (and those that name a class that
was renamed), and the part documents are assembled from the kept texts
(`parts.document_text`), which are the bytes `json.dumps` gives of the built document:
`tests/generator/test_model_parts.py` compares them with `ModelPlan.build` after sequences of
edits, with the memo cold, warm, stale and damaged.
"""

from __future__ import annotations

import hashlib
import json
import marshal
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from specfirst.generator.pydantic_models.parts import SchemaFacts, document_text, schema_facts
from specfirst.generator.schemas import COMPONENT_MARK, FIELD_NAMES_KEY, MARK_KEY, ModelPlan
from specfirst.openapi import components as openapi_components
from specfirst.openapi import node_at

# The memo is `marshal` data (our own cache of strings, lists and integers: read 5 times
# faster than its JSON, 0.007 s against 0.036 s on GitHub's contract, written 6 times faster).
MEMO_SUFFIX = ".memo.marshal"


@dataclass
class ModelsDocument:
    """The document datamodel-code-generator gets, as the JSON text of each of its schemas."""

    header: dict[str, Any]  # every key but `components`
    texts: dict[str, str]  # marked class name → the schema's JSON (`ensure_ascii=False`)
    facts: dict[str, SchemaFacts]
    parts: list[str] | None = None  # the texts of its parts, once planned (`driver`)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> ModelsDocument:
        schemas: dict[str, Any] = document["components"]["schemas"]
        return cls(
            {key: value for key, value in document.items() if key != "components"},
            {name: json.dumps(schema, ensure_ascii=False) for name, schema in schemas.items()},
            {name: schema_facts(schema) for name, schema in schemas.items()},
        )

    @cached_property
    def text(self) -> str:
        """`json.dumps(document, ensure_ascii=False)`."""
        return document_text(self.header, self.texts.items())

    @cached_property
    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.text)
        return document


def component_texts(document: dict[str, Any]) -> dict[str, str]:
    """Each component schema's JSON (`ensure_ascii=False`), by component name."""
    components = openapi_components(document, "schemas")
    return {name: json.dumps(schema, ensure_ascii=False) for name, schema in components.items()}


def schemas_changed(texts: dict[str, str], seen: Path) -> bool:
    """Whether the component schemas differ from those of the last run that recorded them in
    `seen` (which is updated). Only a hint for starting a worker early: output never reads it."""
    digest = hashlib.sha256()
    for name, text in texts.items():
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    from specfirst.generator.pydantic_models.driver import read_entry, write_entry

    if read_entry(seen) == digest.hexdigest():
        return False
    write_entry(seen, digest.hexdigest())
    return True


class _Recording(dict[str, str]):
    """The class names, recording each name a rewrite looks up (None: not a component)."""

    def __init__(self, names: dict[str, str]) -> None:
        super().__init__(names)
        self.seen: dict[str, str | None] = {}

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        self.seen[key] = dict.get(self, key)
        return dict.__contains__(self, key)

    def __getitem__(self, key: str) -> str:
        value = dict.__getitem__(self, key)
        self.seen[key] = value
        return value


@dataclass
class DocumentBuilder:
    """`ModelPlan.build(document, keep, field_names)` as a `ModelsDocument`, reusing the
    rewritten schemas kept in `memo` (a file; None: no memo). `inputs` is known before
    anything is rewritten: a digest of everything the build reads."""

    plan: ModelPlan
    document: dict[str, Any]
    keep: set[str] | None = None
    field_names: str = "snake_case"
    memo: Path | None = None
    texts: dict[str, str] | None = None  # `component_texts(document)`, when known already
    # Where the memo's write goes when it is not to be written at once: a function the caller
    # runs later (`pipeline` runs it while ruff formats, off the way to the worker's share).
    later: list[Callable[[], None]] | None = None
    # The texts of the parts the built document was cut into, when they were planned.
    parts: list[str] | None = None
    _originals: list[tuple[str, str, Any]] = field(default_factory=list)
    _mark: str = COMPONENT_MARK

    def __post_init__(self) -> None:
        components = openapi_components(self.document, "schemas")
        texts = component_texts(self.document) if self.texts is None else self.texts
        spelled = any(COMPONENT_MARK in name or COMPONENT_MARK in t for name, t in texts.items())
        self._mark = "" if spelled else COMPONENT_MARK
        for name, schema in components.items():
            if self.keep is None or name in self.keep:
                self._originals.append(
                    (self._mark + self.plan.class_names[name], texts[name], schema)
                )
        for pointer, name in self.plan.hoisted.items():
            schema = node_at(self.document, pointer)
            self._originals.append(
                (self._mark + name, json.dumps(schema, ensure_ascii=False), schema)
            )

    @property
    def mark(self) -> str:
        """The mark before each class name in the built document."""
        return self._mark

    @property
    def size(self) -> int:
        """About the bytes of schema JSON the document will hold."""
        return sum(len(text) for _, text, _ in self._originals)

    def inputs(self) -> str:
        """A digest of everything the build reads (the code is in the cache keys)."""
        digest = hashlib.sha256()
        head = [self.document.get("openapi"), self._mark, self.field_names]
        digest.update(json.dumps(head, ensure_ascii=False).encode())
        for name, text, _ in self._originals:
            digest.update(b"\0" + name.encode() + b"\0" + text.encode())
        digest.update(b"\0" + json.dumps(self.plan.class_names, ensure_ascii=False).encode())
        keep = sorted(self.keep) if self.keep is not None else None
        digest.update(b"\0" + json.dumps(keep, ensure_ascii=False).encode())
        return digest.hexdigest()

    def build(self) -> ModelsDocument:
        plan = self.plan
        plan.mark = self._mark
        kept = _read_memo(self.memo) if self.memo is not None else {}
        used: dict[str, Any] = {}
        texts: dict[str, str] = {}
        facts: dict[str, SchemaFacts] = {}
        for name, original, schema in self._originals:
            key = hashlib.sha256(f"{self._mark}\0{original}".encode()).hexdigest()
            entry = used.get(key) or kept.get(key)
            found = _kept(entry, plan.class_names)
            if found is None:
                names = _Recording(plan.class_names)
                rewritten = plan._rewrite(schema, names)
                found = json.dumps(rewritten, ensure_ascii=False), schema_facts(rewritten)
                entry = [sorted(names.seen.items()), found[0], found[1].to_json()]
            used[key] = entry
            texts[name], facts[name] = found
        if self.memo is not None and used != kept:
            memo = self.memo
            if self.later is None:
                _write_memo(memo, used)
            else:
                self.later.append(lambda: _write_memo(memo, used))
        header = {
            "openapi": self.document.get("openapi", "3.1.0"),
            "info": {
                "title": "models",
                "version": "0",
                MARK_KEY: self._mark,
                FIELD_NAMES_KEY: self.field_names,
            },
            "paths": {},
        }
        return ModelsDocument(header, texts, facts)


def _kept(entry: Any, class_names: dict[str, str]) -> tuple[str, SchemaFacts] | None:
    """A kept entry's text and facts, when it has the memo's shape and every class name it
    read is unchanged; else None."""
    try:
        lookups, text, facts = entry
        if isinstance(text, str) and all(class_names.get(n) == v for n, v in lookups):
            return text, SchemaFacts.from_json(facts)
    except (TypeError, ValueError):
        pass
    return None


def _read_memo(path: Path) -> dict[str, Any]:
    """The memo's entries; empty when there is none or it does not read as `marshal` data
    (damaged, or another interpreter's format: `memo_path` names one per version)."""
    from specfirst.generator.state import read_used

    data = read_used(path)
    try:
        entries = marshal.loads(data) if data is not None else {}
    except (ValueError, EOFError, TypeError):
        return {}
    return entries if isinstance(entries, dict) else {}


def _write_memo(path: Path, entries: dict[str, Any]) -> None:
    from specfirst.generator.state import write_atomically

    write_atomically(path, marshal.dumps(entries))
