"""The edited schema's parts guessed from the contract's bytes and sent before loading
(`pydantic_models.ahead`): the guess is this run's parts, the kept spans follow edits, and
whatever the guess (right, wrong, refused, from a damaged file) the models are a cold run's."""

from __future__ import annotations

import copy
import json
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from specfirst import byte_ends, jsontext
from specfirst.errors import ContractLoadError
from specfirst.generator.build import plan_models
from specfirst.generator.pydantic_models import ahead
from specfirst.generator.pydantic_models import driver as models
from specfirst.generator.pydantic_models import parts as model_parts
from specfirst.generator.pydantic_models.document import DocumentBuilder, component_texts
from specfirst.jsontext import load_json
from specfirst.loader import load_contract

PARTS_FIXTURE = Path(__file__).parent / "fixtures" / "model_parts.yaml"


@pytest.fixture
def always_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_parts, "MIN_BYTES", 0)
    monkeypatch.setattr(model_parts, "PART_BYTES", 1)


def _contract() -> dict[str, Any]:
    return load_contract(PARTS_FIXTURE).document


def _planned(document: dict[str, Any]) -> tuple[DocumentBuilder, list[str]]:
    """The builder of the models document and the texts of its parts (as `_models_stage`)."""
    texts = component_texts(document)
    builder = DocumentBuilder(plan_models(document, texts), document, texts=texts)
    built = builder.build()
    parts = model_parts.plan_parts_of(built.header, built.texts, built.facts)
    return builder, [part.text for part in parts]


def _keep(path: Path, document: dict[str, Any]) -> None:
    builder, parts = _planned(document)
    raw = json.dumps(document).encode()
    texts = component_texts(document)
    ahead.keep(path, raw, builder.plan.class_names, builder.mark, parts, texts)


def _described(document: dict[str, Any], name: str, text: str) -> dict[str, Any]:
    edited = copy.deepcopy(document)
    edited["components"]["schemas"][name]["description"] = text
    return edited


def test_changed_is_the_span_between_the_common_head_and_tail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(byte_ends, "BLOCK", 4)  # blocks and bytes both walked
    chance = random.Random(7)
    for _ in range(300):
        old = bytes(chance.choice(b"ab") for _ in range(chance.randrange(0, 40)))
        at = chance.randrange(0, len(old) + 1)
        cut = chance.randrange(0, len(old) - at + 1)
        new = (
            old[:at]
            + bytes(chance.choice(b"ab") for _ in range(chance.randrange(4)))
            + old[at + cut :]
        )
        start, old_end, new_end = ahead.changed(old, new)
        assert old[:start] == new[:start]
        assert old[old_end:] == new[new_end:]
        assert start <= old_end
        assert start <= new_end
        # the shortest such span: one byte more on either side would differ
        if start < min(len(old), len(new)):
            assert old[start] != new[start] or start in (old_end, new_end)
        assert old[:start] + old[start:old_end] + old[old_end:] == old
        assert new[:start] + new[start:new_end] + new[new_end:] == new


def test_the_spans_are_each_schema_s_value() -> None:
    document = _contract()
    raw = json.dumps(document).encode()
    region = ahead.region_of(raw)
    assert region is not None
    found = ahead.spans(region)
    assert found is not None
    names, starts, ends, items = found
    schemas = document["components"]["schemas"]
    assert names == list(schemas)
    for name, start, end in zip(names, starts, ends, strict=True):
        assert json.loads(region[start:end]) == schemas[name]
    values = [json.loads(region[a:b]) for a, b in zip(items[::2], items[1::2], strict=True)]
    assert values == list(document["paths"].values())
    assert values
    assert ahead.region_of(json.dumps(document, ensure_ascii=False).encode() + "é".encode()) is None
    assert ahead.region_of(b"openapi: 3.1.0\ncomponents:\n  schemas: {}\n") is None


@pytest.mark.usefixtures("always_split")
def test_the_guess_is_the_parts_an_edit_changes_and_the_kept_spans_follow(tmp_path: Path) -> None:
    path = tmp_path / "kept.ahead.json"
    document = _contract()
    _keep(path, document)
    _, before = _planned(document)
    edited = _described(document, "Mode", "edited")
    _, after = _planned(edited)
    changed = [text for text in after if text not in before]
    assert changed  # the edit changes a few parts, not all
    assert len(changed) < len(set(after))
    kept = ahead.read_kept(path)
    assert kept is not None
    region = ahead.region_of(json.dumps(edited).encode())
    assert region is not None
    guessed = ahead.guess(kept, region)
    assert set(changed) <= set(guessed)  # every part the edit changes is sent early
    assert len(guessed) <= len(set(changed)) + 1  # and few others (a holder that now is not)
    assert all('"description": "edited"' in text for text in guessed)
    # the next run's file: the spans shifted by the edit are those found from scratch
    _keep(path, edited)
    shifted = ahead.read_kept(path)
    assert shifted is not None
    assert (shifted.names, shifted.starts, shifted.ends, shifted.items) == ahead.spans(region)
    assert shifted.parts == [text.encode() for text in after]
    # an edit between schemas (a new component) is no guess, and its spans follow
    added = copy.deepcopy(edited)
    added["components"]["schemas"]["Added"] = {"type": "string"}
    region = ahead.region_of(json.dumps(added).encode())
    assert region is not None
    assert ahead.guess(shifted, region) == []
    _keep(path, added)
    again = ahead.read_kept(path)
    assert again is not None
    assert again.names[-1] == "Added"
    assert (again.names, again.starts, again.ends, again.items) == ahead.spans(region)
    # an operation's edit: inside one path item, whose span and those after it move
    summarised = _summarised(added, "a new summary, longer")
    region = ahead.region_of(json.dumps(summarised).encode())
    assert region is not None
    assert ahead.guess(again, region) == []
    _keep(path, summarised)
    moved = ahead.read_kept(path)
    assert moved is not None
    assert (moved.names, moved.starts, moved.ends, moved.items) == ahead.spans(region)
    assert moved.items != again.items


def test_a_damaged_kept_file_is_no_guess(tmp_path: Path) -> None:
    path = tmp_path / "kept.ahead.json"
    document = _contract()
    _keep(path, document)
    whole = path.read_bytes()
    assert ahead.Kept.from_bytes(whole) is not None
    for damaged in (
        whole[:-1],
        whole + b"x",
        b"[1, 2]\n" + whole,
        b"",
        whole.replace(b"[", b"{", 1),
    ):
        assert ahead.Kept.from_bytes(damaged) is None
    kept = ahead.Kept.from_bytes(whole)
    assert kept is not None
    region = ahead.region_of(json.dumps(_described(document, "Mode", "edited")).encode())
    assert region is not None
    kept.starts = [start + 3 for start in kept.starts]  # spans off: no value there
    assert ahead.guess(kept, region) == []


@pytest.mark.usefixtures("always_split")
def test_guesses_right_wrong_and_refused_give_a_cold_run_s_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "usable_cores", lambda: 4)  # a channel for every guess
    cache = tmp_path / "cache"
    scope = "contract"
    document = _contract()
    path = ahead.kept_path(cache, scope)
    _keep(path, document)
    kept = ahead.read_kept(path)
    assert kept is not None
    # A kept part that will not be this run's (and that datamodel-code-generator refuses):
    # the guess made of it runs, and neither its module nor its error matter.
    holder = next(text for text in map(bytes.decode, kept.parts) if 'Mode": {' in text)
    opening = '"components": {"schemas": {'
    broken = '"Broken": {"type": "string", "enum": 5}, '
    refused = holder.replace(opening, opening + broken, 1)
    kept.parts.append(refused.encode())
    path.write_bytes(kept.to_bytes())
    edited = _described(document, "Mode", "edited")
    pool = models.PrestartedWorker.start()
    assert pool is not None
    threads = threading.active_count()
    ahead.start(pool, json.dumps(edited).encode(), cache, scope)
    assert threading.active_count() == threads  # nothing left running: validation may fork
    assert pool.early is not None
    assert len(pool.early.asked) == len(pool.early.texts) >= 3
    assert any(broken in text for text in pool.early.texts)

    def no_whole_run(document: dict[str, Any]) -> str:
        raise AssertionError("a part failed: the document ran whole")

    builder, after = _planned(edited)
    assert any(text in after for text in pool.early.texts)  # one guess is right
    monkeypatch.setattr(models, "_run_datamodel_codegen", no_whole_run)
    try:
        warm = models.generate_models(builder.build(), "# head", cache_dir=cache, worker=pool)
    finally:
        pool.close()
    monkeypatch.undo()
    monkeypatch.setattr(model_parts, "MIN_BYTES", 0)
    monkeypatch.setattr(model_parts, "PART_BYTES", 1)
    cold = models.generate_models(_planned(edited)[0].build(), "# head", cache_dir=None)
    assert warm == cold


def _summarised(document: dict[str, Any], text: str) -> dict[str, Any]:
    """The first operation's summary set to `text`."""
    edited = copy.deepcopy(document)
    item = next(iter(edited["paths"].values()))
    operation = next(v for v in item.values() if isinstance(v, dict) and "responses" in v)
    operation["summary"] = text
    return edited


def _removed(document: dict[str, Any], name: str) -> dict[str, Any]:
    edited = copy.deepcopy(document)
    del edited["components"]["schemas"][name]
    return edited


def _property(document: dict[str, Any], name: str) -> dict[str, Any]:
    edited = copy.deepcopy(document)
    edited["components"]["schemas"][name].setdefault("properties", {})["added"] = {"type": "string"}
    return edited


def _inserted(
    document: dict[str, Any], new: dict[str, Any], at: int | None = None
) -> dict[str, Any]:
    """New component schemas put in before the `at`-th schema (None: after the last)."""
    edited = copy.deepcopy(document)
    listed = list(edited["components"]["schemas"].items())
    at = len(listed) if at is None else at
    edited["components"]["schemas"] = dict([*listed[:at], *new.items(), *listed[at:]])
    return edited


@pytest.mark.parametrize("indent", [None, 2])
def test_new_schemas_anywhere_give_the_spans_and_texts_found_from_scratch(
    tmp_path: Path, indent: int | None
) -> None:
    """New schemas put in after any schema (one or several, compact or indented JSON, a name
    sharing the next one's first letters): the kept spans move and take them in, as found from
    scratch, and the texts are a fresh dump's; before the first schema, or with anything else
    changed: nothing is reused, and the spans are found again (a name twice:
    `test_the_loader_checks_the_edited_schema_alone_with_the_same_errors`)."""
    path = tmp_path / "kept.ahead.json"
    document = _contract()
    count = len(document["components"]["schemas"])
    new = {"Zoo2": {"type": "object", "properties": {"z": {"type": "string"}}}}
    cases: list[tuple[dict[str, Any], bool]] = [
        (_inserted(document, new), True),
        (_inserted(document, {"Dogs": new["Zoo2"]}, 1), True),  # "Do…" as the next, Dog
        (_inserted(document, {"Z": {"type": "integer"}, "Y": {}}, count - 1), True),
        (_inserted(document, new, 0), False),  # before the first: not after a schema
        (_inserted(_summarised(document, "and a summary"), new), False),
    ]
    for edited, reused in cases:
        _keep_indented(path, document, indent)
        raw = json.dumps(edited, indent=indent).encode()
        region = ahead.region_of(raw)
        kept = ahead.read_kept(path)
        assert region is not None
        assert kept is not None
        found = ahead._edited(kept, region)
        assert isinstance(found, ahead._Added) == reused
        if isinstance(found, ahead._Added):
            assert found.located(kept) == ahead.spans(region)
            texts = ahead.component_texts(json.loads(raw), raw, path)
            assert texts is not None
            assert list(texts.items()) == list(component_texts(json.loads(raw)).items())
        ahead._read.clear()
        _keep_indented(path, edited, indent)
        again = ahead.read_kept(path)
        assert again is not None
        assert (again.names, again.starts, again.ends, again.items) == ahead.spans(region)


def _keep_indented(path: Path, document: dict[str, Any], indent: int | None) -> None:
    builder, parts = _planned(document)
    raw = json.dumps(document, indent=indent).encode()
    texts = component_texts(document)
    ahead.keep(path, raw, builder.plan.class_names, builder.mark, parts, texts)


def test_component_texts_from_the_kept_ones_are_a_fresh_dump_or_none(tmp_path: Path) -> None:
    """Through a sequence of edits (each kept as a run keeps it), the texts read from the kept
    file are `component_texts`' own, or None where the bytes cannot tell."""
    path = tmp_path / "kept.ahead.json"
    current = _contract()
    _keep(path, current)
    reused = 0
    edits: list[Callable[[dict[str, Any]], dict[str, Any]]] = [
        lambda d: _described(d, "Mode", "edited"),
        lambda d: _described(d, "Mode", "edited again, longer than before"),
        lambda d: _property(d, "Zoo"),
        lambda d: d,  # nothing changed
        lambda d: {**d, "info": {**d["info"], "title": "retitled"}},  # before the schemas
        lambda d: _summarised(d, "an operation's summary"),
        lambda d: _summarised(d, "and another"),
        lambda d: _inserted(d, {"Added": {"type": "string"}}),
        lambda d: _inserted(d, {"Between": {"type": "integer"}}, 2),
        lambda d: _removed(d, "Mode"),
        lambda d: _described(d, "Zoo", "é: not ASCII"),
        lambda d: _described(d, "Zoo", "back to ASCII"),
        lambda d: _described(d, "Zoo", "ASCII again"),
    ]
    for edit in edits:
        current = edit(current)
        raw = json.dumps(current).encode()
        texts = ahead.component_texts(json.loads(raw), raw, path)
        if texts is not None:
            reused += 1
            assert list(texts.items()) == list(component_texts(current).items())
        _keep(path, current)
    assert reused >= 5


@pytest.mark.usefixtures("always_split")
def test_a_kept_file_damaged_where_output_reads_it_is_not_read(tmp_path: Path) -> None:
    """Damage in the index, the bytes or the texts: not read (the CRC); in the parts, which
    only a guess reads: the texts still are a fresh dump's."""
    path = tmp_path / "kept.ahead.json"
    document = _contract()
    _keep(path, document)
    whole = path.read_bytes()
    kept = ahead.read_kept(path)
    assert kept is not None
    assert kept.parts
    checked = len(whole) - sum(len(part) for part in kept.parts)
    raw = json.dumps(document).encode()
    assert ahead.component_texts(document, raw, path) == component_texts(document)
    chance = random.Random(3)
    for at in [*chance.sample(range(checked), 40), *chance.sample(range(checked, len(whole)), 5)]:
        damaged = whole[:at] + bytes([whole[at] ^ 0x01]) + whole[at + 1 :]
        path.write_bytes(damaged)
        ahead._read.clear()
        texts = ahead.component_texts(document, raw, path)
        if at < checked:
            assert ahead.read_kept(path) is None
            assert texts is None
        else:
            assert texts == component_texts(document)


def _load_error(raw: bytes, known: tuple[int, int, int] | None) -> str:
    try:
        load_json(raw, Path("c.json"), known)
    except ContractLoadError as exc:
        return str(exc)
    raise AssertionError("loaded")


def test_the_loader_checks_the_edited_schema_alone_with_the_same_errors(tmp_path: Path) -> None:
    path = tmp_path / "kept.ahead.json"
    document = _contract()
    _keep(path, document)
    edited = _described(document, "Zoo", "edited")
    raw = json.dumps(edited).encode()
    known = ahead.known_span(raw, path)
    assert known is not None
    start, end, depth = known
    assert json.loads(raw[start:end]) == edited["components"]["schemas"]["Zoo"]
    assert depth == 3
    assert load_json(raw, Path("c.json"), known) == edited
    assert jsontext._known_json(raw, known) == edited  # the fast path is the one taken
    # one new component: its value, 3 levels down; two of them, or the info object: in full
    added_raw = json.dumps(_inserted(document, {"Added": {"type": "string"}})).encode()
    new_one = ahead.known_span(added_raw, path)
    assert new_one is not None
    assert json.loads(added_raw[new_one[0] : new_one[1]]) == {"type": "string"}
    assert new_one[2] == 3
    assert load_json(added_raw, Path("c.json"), new_one) == json.loads(added_raw)
    assert jsontext._known_json(added_raw, new_one) == json.loads(added_raw)
    two = _inserted(document, {"Added": {"type": "string"}, "Other": {"type": "integer"}}, 2)
    assert ahead.known_span(json.dumps(two).encode(), path) is None
    # a new component named as another (a key twice), or faults in its value: the same errors
    twice = added_raw.replace(b'"Added": {"type"', b'"Zoo": {"type"')
    assert ahead.known_span(twice, path) is None
    assert "Zoo" in _load_error(twice, None)
    for fault in (b'{"type": "string", "type": "object"}', b'{"a": ' * 126 + b"1" + b"}" * 126):
        broken = added_raw.replace(b'"Added": {"type": "string"}', b'"Added": ' + fault)
        assert _load_error(broken, ahead.known_span(broken, path)) == _load_error(broken, None)
    retitled = {**document, "info": {**document["info"], "title": "retitled"}}
    assert ahead.known_span(json.dumps(retitled).encode(), path) is None
    # inside one path item: its value, 2 levels down
    operation_edit = _summarised(document, "edited")
    summarised = json.dumps(operation_edit).encode()
    item = ahead.known_span(summarised, path)
    assert item is not None
    assert json.loads(summarised[item[0] : item[1]]) == next(iter(operation_edit["paths"].values()))
    assert item[2] == 2
    # faults inside the span: the errors of a full check
    zoo = json.dumps(edited["components"]["schemas"]["Zoo"])

    def nested(levels: int) -> str:
        return '{"a": ' * levels + "1" + "}" * levels

    for fault in (
        zoo[:-1] + ', "type": "object"}',  # a duplicate key
        zoo[:-1] + f', "x-deep": {nested(125)}}}',  # 129 levels: 4 above it
        zoo[:-1] + ', "x-bad": }',  # a syntax error
        zoo[:-1] + f', "x-long": {"9" * 4400}}}',  # an integer too long
    ):
        broken = raw[:start] + fault.encode() + raw[end:]
        span = ahead.known_span(broken, path)
        assert span is not None or "x-bad" in fault or "x-long" in fault
        assert _load_error(broken, span) == _load_error(broken, None)
    deep_enough = raw[:start] + f'{zoo[:-1]}, "x-deep": {nested(124)}}}'.encode() + raw[end:]
    assert load_json(deep_enough, Path("c.json"), ahead.known_span(deep_enough, path))
    # nested past what the parser may recurse into (3.11's json does not, 3.13's does): the
    # loader's own error, whatever span is found
    too_deep = raw[:start] + ("[" * 5000 + "]" * 5000).encode() + raw[end:]
    error = _load_error(too_deep, ahead.known_span(too_deep, path))
    assert error == _load_error(too_deep, None)
    assert "nested more than" in error


def test_component_texts_of_a_document_without_a_components_object(tmp_path: Path) -> None:
    path = tmp_path / "kept.ahead.json"
    document = _contract()
    _keep(path, document)
    for components in (None, [], "x"):
        broken = {**document, "components": components}
        assert ahead.component_texts(broken, json.dumps(broken).encode(), path) is None


def test_component_texts_kept_by_other_loader_code_are_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kept.ahead.json"
    document = _contract()
    _keep(path, document)
    raw = json.dumps(document).encode()
    assert ahead.component_texts(document, raw, path) is not None
    ahead._read.clear()
    monkeypatch.setattr(ahead, "loader_checks", lambda: "other loader code")
    assert ahead.component_texts(document, raw, path) is None


def test_a_kept_file_from_other_loader_code_checks_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kept.ahead.json"
    _keep(path, _contract())
    raw = json.dumps(_described(_contract(), "Zoo", "edited")).encode()
    assert ahead.known_span(raw, path) is not None
    monkeypatch.setattr(ahead, "loader_checks", lambda: "other")
    assert ahead.known_span(raw, path) is None


def _keep_planned(path: Path, document: dict[str, Any]) -> None:
    """As a run keeps it: with the plan as `plan_models` made it (`ahead.plan_state`)."""
    builder, parts = _planned(document)
    texts = component_texts(document)
    made = ahead.plan_state(plan_models(document, texts))
    raw = json.dumps(document).encode()
    ahead.keep(path, raw, builder.plan.class_names, builder.mark, parts, texts, made)


def _operation_set(document: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    edited = copy.deepcopy(document)
    edited["paths"]["/pets"]["post"][key] = value
    return edited


def _inline_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "inline", "content": {"application/json": {"schema": schema}}}


def _schema_set(document: dict[str, Any], name: str, key: str, value: Any) -> dict[str, Any]:
    edited = copy.deepcopy(document)
    edited["components"]["schemas"][name][key] = value
    return edited


def test_the_last_run_s_plan_is_taken_where_the_edit_changes_nothing_it_reads(
    tmp_path: Path,
) -> None:
    """Nothing changed, or only the summary or description of an operation or of its path
    item, or a schema in what the plan does not read of it (its prose, a plain property): the
    kept plan, equal to the one `plan_models` makes; an operationId (it names the hoisted
    classes), a parameter, a schema's readOnly property or new `$ref` (the splitting families),
    a new schema: none, the plan is made again."""
    path = tmp_path / "kept.ahead.json"
    inline = {"type": "object", "properties": {"n": {"type": "integer"}}}
    current = _operation_set(_contract(), "responses", {"200": _inline_body(inline)})
    assert plan_models(current).hoisted  # a plan with a hoisted class to keep
    cases: list[tuple[Callable[[dict[str, Any]], dict[str, Any]], bool]] = [
        (lambda d: d, True),
        (lambda d: _operation_set(d, "summary", "a summary"), True),
        (lambda d: _operation_set(d, "description", "and prose"), True),
        (
            lambda d: {
                **d,
                "paths": {**d["paths"], "/pets": {**d["paths"]["/pets"], "summary": "p"}},
            },
            True,
        ),
        (lambda d: _operation_set(d, "operationId", "makePet"), False),
        (
            lambda d: _operation_set(
                d, "parameters", [{"name": "q", "in": "query", "schema": inline}]
            ),
            False,
        ),
        (lambda d: _described(d, "Mode", "schema prose"), True),
        (lambda d: _schema_set(d, "Ticket", "properties", {"price": {"type": "integer"}}), True),
        (
            lambda d: _schema_set(
                d, "Ticket", "properties", {"price": {"type": "number", "readOnly": True}}
            ),
            False,
        ),
        (lambda d: _schema_set(d, "Mode", "description", "again"), True),
        (
            lambda d: _schema_set(
                d, "Ticket", "properties", {"zoo": {"$ref": "#/components/schemas/Zoo"}}
            ),
            False,
        ),
        (lambda d: _inserted(d, {"Added": inline}), False),
    ]
    for edit, reused in cases:
        _keep_planned(path, current)
        edited = edit(current)
        ahead._read.clear()
        plan = ahead.kept_plan(json.dumps(edited).encode(), path)
        assert (plan is not None) == reused
        if plan is not None:
            assert plan == plan_models(edited, component_texts(edited))  # every field
        current = edited
    # a schema an operation's `$ref` leads into (here a request body) is read by the plan:
    # what it holds there decides the hoisting, so its edits make the plan again
    current = _operation_set(current, "requestBody", {"$ref": "#/components/schemas/Ticket"})
    _keep_planned(path, current)
    edited = _schema_set(current, "Ticket", "content", {"application/json": {"schema": inline}})
    assert plan_models(edited).hoisted != plan_models(current).hoisted
    ahead._read.clear()
    assert ahead.kept_plan(json.dumps(edited).encode(), path) is None
    # kept without a plan (an older run's file), or by other code: made again
    ahead.keep(path, json.dumps(current).encode(), {}, "", [], component_texts(current))
    ahead._read.clear()
    assert ahead.kept_plan(json.dumps(current).encode(), path) is None


def test_new_schemas_are_named_in_the_last_plan_where_no_other_name_moves(
    tmp_path: Path,
) -> None:
    """New schemas (the edit `_Added` finds): the last plan with their names, equal to the one
    `plan_models` makes, where their names are free; made again where a name is taken (by a
    class or a variant), two new ones want one name, or something the last plan saw named a
    new schema before it was there (an old schema's `$ref`, which may make it split; an
    operation's `$ref`, which reads it; a hoisted schema's `$ref`, whose class may split)."""
    path = tmp_path / "kept.ahead.json"
    inline = {"type": "object", "properties": {"n": {"type": "integer"}}}
    read_only = {"type": "object", "properties": {"id": {"type": "integer", "readOnly": True}}}
    later = {"$ref": "#/components/schemas/Later"}
    base = _contract()
    hoisting = _operation_set(
        base, "responses", {"200": _inline_body({"type": "object", "properties": {"l": later}})}
    )
    cases: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
        ("a new schema", base, {"Added": inline}, True),
        ("two", base, {"Added": inline, "Other": {"type": "string"}}, True),
        ("a new splitting schema", base, {"Added": read_only}, True),
        ("a class's name", base, {"cat": inline}, False),
        ("a variant's name", base, {"CatRequest": inline}, False),
        ("one name twice", base, {"Added": inline, "added": inline}, False),
        (
            "named by an old schema",
            _schema_set(base, "Ticket", "properties", {"l": later}),
            {"Later": read_only},
            False,
        ),
        (
            "named by an operation",
            _operation_set(base, "requestBody", later),
            {"Later": {"content": {"application/json": {"schema": inline}}}},
            False,
        ),
        ("named by a hoisted schema", hoisting, {"Later": read_only}, False),
    ]
    for what, current, new, reused in cases:
        _keep_planned(path, current)
        edited = _inserted(current, new)
        ahead._read.clear()
        texts = component_texts(edited)
        plan = ahead.kept_plan(json.dumps(edited).encode(), path, texts)
        assert (plan is not None) == reused, what
        if plan is not None:
            assert plan == plan_models(edited, texts), what
    current = _operation_set(base, "requestBody", later)
    edited = _inserted(current, {"Later": {"content": {"application/json": {"schema": inline}}}})
    assert plan_models(edited).hoisted != plan_models(current).hoisted  # why it is made again
