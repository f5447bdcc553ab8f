"""`kept_parse`: a YAML contract's parse kept for the next run, and what that run takes of the
last one where the entry parsed again says it may: the component texts (all but the edited
schema's) and the model plan (where only an operation's prose changed, or a schema in what the
plan does not read of it), each what it would make itself."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from specfirst.generator import kept_parse
from specfirst.generator.build import plan_models
from specfirst.generator.pydantic_models import parts as model_parts
from specfirst.generator.pydantic_models.document import DocumentBuilder, component_texts
from specfirst.loader import Contract, load_contract
from specfirst.yaml_splice import Parsed

PARTS_FIXTURE = Path(__file__).parent / "fixtures" / "model_parts.yaml"
Document = dict[str, Any]
INLINE = {"type": "object", "properties": {"n": {"type": "integer"}}}


def _document() -> Document:
    document: Document = load_contract(PARTS_FIXTURE).document
    body = {"description": "inline", "content": {"application/json": {"schema": INLINE}}}
    document["paths"]["/pets"]["post"]["responses"] = {"200": body}
    return document


def _text(document: Document) -> bytes:
    return yaml.safe_dump(document, sort_keys=False).encode()


def _run(kept: Path, document: Document, path: Path) -> Contract:
    """A run's load of `document` as YAML (from the parse kept at `kept`, where there is
    one) and what it keeps there, as `pipeline` does."""
    last = kept_parse.read_parse(kept)
    contract = load_contract(path, _text(document), None, last, keep=True)
    texts = component_texts(contract.document)
    builder = DocumentBuilder(plan_models(contract.document, texts), contract.document, texts=texts)
    parsed = contract.sources[contract.path].parsed
    if parsed is not None:
        parts = [t.encode() for t in _parts(builder)]
        kept_parse.keep_parse(kept, parsed, texts, builder.plan, builder.mark, parts)
    return contract


def _parts(builder: DocumentBuilder) -> list[str]:
    """The texts of the models' parts, as many as there can be (`parts.plan_parts_of`)."""
    built = builder.build()
    return [p.text for p in model_parts.plan_parts_of(built.header, built.texts, built.facts, 0, 1)]


def _set(document: Document, keys: tuple[str, ...], value: Any) -> Document:
    edited = copy.deepcopy(document)
    node = edited
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value
    return edited


Edit = Callable[[Document], Document]
POST = ("paths", "/pets", "post")
CASES: list[tuple[str, Edit, bool, bool]] = [
    # (what, edit, texts taken, plan taken)
    ("nothing", lambda d: d, True, True),
    (
        "a schema's description",
        lambda d: _set(d, ("components", "schemas", "Zoo", "description"), "A zoo."),
        True,
        True,
    ),
    (
        "a schema's new plain property",
        lambda d: _set(d, ("components", "schemas", "Ticket", "properties", "n"), INLINE),
        True,
        True,
    ),
    (
        "a schema's new readOnly property",
        lambda d: _set(
            d,
            ("components", "schemas", "Ticket", "properties", "id"),
            {"type": "integer", "readOnly": True},
        ),
        True,
        False,
    ),
    (
        "a schema's new reference",
        lambda d: _set(
            d,
            ("components", "schemas", "Ticket", "properties", "zoo"),
            {"$ref": "#/components/schemas/Zoo"},
        ),
        True,
        False,
    ),
    ("an operation's summary", lambda d: _set(d, (*POST, "summary"), "Make a pet"), True, True),
    (
        "an operation's description",
        lambda d: _set(d, (*POST, "description"), "And prose"),
        True,
        True,
    ),
    ("a path item's summary", lambda d: _set(d, ("paths", "/pets", "summary"), "Pets"), True, True),
    ("an operationId", lambda d: _set(d, (*POST, "operationId"), "makePet"), True, False),
    (
        "a parameter",
        lambda d: _set(d, (*POST, "parameters"), [{"name": "q", "in": "query", "schema": INLINE}]),
        True,
        False,
    ),
    ("a new schema", lambda d: _set(d, ("components", "schemas", "Added"), INLINE), True, True),
    (
        "a new schema with a class's name",
        lambda d: _set(d, ("components", "schemas", "zoo"), INLINE),
        True,
        False,
    ),
]


@pytest.mark.parametrize(
    ("what", "edit", "texts_taken", "plan_taken"), CASES, ids=[c[0] for c in CASES]
)
def test_what_the_next_run_takes_is_what_it_would_make(
    what: str, edit: Edit, texts_taken: bool, plan_taken: bool, tmp_path: Path
) -> None:
    kept, path = tmp_path / "loads" / "api.parse", tmp_path / "api.yaml"
    document = _document()
    assert plan_models(document).hoisted  # a plan with a hoisted class to keep
    _run(kept, document, path)
    contract = _run(kept, edit(document), path)
    assert contract.sources[contract.path].reparse is not None  # spliced, or the bytes as kept
    texts = kept_parse.component_texts(contract)
    assert (texts is not None) == texts_taken
    if texts is not None:
        assert texts == component_texts(contract.document)
    plan = kept_parse.kept_plan(contract, component_texts(contract.document))
    assert (plan is not None) == plan_taken
    if plan is not None:
        made = plan_models(contract.document, component_texts(contract.document))
        made.mark = DocumentBuilder(made, contract.document).mark
        assert plan == made  # every field


def test_a_schema_an_operation_s_reference_leads_into_makes_the_plan_again(
    tmp_path: Path,
) -> None:
    """The plan reads what a request body's `$ref` leads into (`ModelPlan.schema_reads`):
    there a schema's new member can make a class hoisted, so its edits are planned again."""
    kept, path = tmp_path / "loads" / "api.parse", tmp_path / "api.yaml"
    document = _set(_document(), (*POST, "requestBody"), {"$ref": "#/components/schemas/Ticket"})
    _run(kept, document, path)
    edited = _set(
        document,
        ("components", "schemas", "Ticket", "content"),
        {"application/json": {"schema": INLINE}},
    )
    assert plan_models(edited).hoisted != plan_models(document).hoisted
    contract = _run(kept, edited, path)
    assert contract.sources[contract.path].reparse is not None
    assert kept_parse.kept_plan(contract) is None


@pytest.mark.parametrize(
    ("keys", "value"),
    [
        (("components", "schemas", "Zoo", "description"), "A zoo."),  # inside one schema
        (("components", "schemas", "Zoo", "properties", "city"), {"type": "string"}),
    ],
)
def test_the_guessed_parts_of_a_schema_edit_are_parts_of_the_run(
    keys: tuple[str, ...], value: Any, tmp_path: Path
) -> None:
    kept, path = tmp_path / "loads" / "api.parse", tmp_path / "api.yaml"
    document = _document()
    _run(kept, document, path)
    edited = _set(document, keys, value)
    contract = load_contract(path, _text(edited), None, kept_parse.read_parse(kept), keep=True)
    guessed = kept_parse.guess(contract)
    reparse = contract.sources[contract.path].reparse
    assert reparse is not None
    assert reparse.at[:3] == ("components", "schemas", "Zoo")
    texts = component_texts(contract.document)
    real = _parts(DocumentBuilder(plan_models(contract.document, texts), contract.document))
    assert guessed
    assert set(guessed) <= set(real)
    operation = load_contract(
        path, _text(_set(document, (*POST, "summary"), "S")), None, kept_parse.read_parse(kept)
    )
    assert kept_parse.guess(operation) == []


def test_a_full_load_takes_nothing(tmp_path: Path) -> None:
    contract = load_contract(tmp_path / "api.yaml", _text(_document()), keep=True)
    assert contract.sources[contract.path].reparse is None
    assert kept_parse.component_texts(contract) is None
    assert kept_parse.kept_plan(contract) is None


def test_the_kept_parse_reads_back_and_a_damaged_one_is_none(tmp_path: Path) -> None:
    raw = _text(_document())
    parsed = load_contract(tmp_path / "api.yaml", raw, keep=True).sources[tmp_path / "api.yaml"]
    path = tmp_path / "loads" / "x.parse"
    assert parsed.parsed is not None
    kept_parse.keep_parse(path, parsed.parsed, {"A": "{}"})
    read = kept_parse.read_parse(path)
    assert isinstance(read, Parsed)
    assert (read.raw, read.snapshot, read.aliased) == (raw, parsed.parsed.snapshot, False)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    assert kept_parse.read_parse(path) is None
    assert kept_parse.kept_parse_path(tmp_path, Path("api.json"), "f") is None
    assert kept_parse.kept_parse_path(tmp_path, Path("api.yml"), "f") is not None
