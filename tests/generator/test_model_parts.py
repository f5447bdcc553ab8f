"""Large documents are generated in parts, in parallel; the joined module must validate exactly as
the module of one run does."""

from __future__ import annotations

import copy
import importlib
import json
import marshal
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel, PydanticUserError, TypeAdapter

from specfirst.generator.build import plan_models
from specfirst.generator.pydantic_models import driver as models
from specfirst.generator.pydantic_models import parts as model_parts
from specfirst.generator.pydantic_models.join import join_linked
from specfirst.generator.pydantic_models.parts import plan_parts
from specfirst.generator.schemas import COMPONENT_MARK
from specfirst.loader import load_contract

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
PARTS_FIXTURE = HERE / "fixtures" / "model_parts.yaml"
CLASHES_FIXTURE = HERE / "fixtures" / "model_clashes.yaml"
LEAKS_FIXTURE = HERE / "fixtures" / "model_leaks.yaml"
VARIANTS_FIXTURE = HERE / "fixtures" / "model_variants.yaml"
FIXTURES = [
    PARTS_FIXTURE,
    CLASHES_FIXTURE,
    LEAKS_FIXTURE,
    VARIANTS_FIXTURE,
    *sorted((HERE / "fixtures" / "robustness").glob("*.yaml")),
    *sorted((ROOT / "tests" / "golden" / "fixtures").glob("*.yaml")),
    ROOT / "specs" / "tasks" / "openapi.yaml",
]


def models_document(contract: Path) -> dict[str, Any]:
    document = load_contract(contract).document
    return plan_models(document).build(document)


# Fixtures whose schemas can be shared out (in the others, one schema needs all the rest).
SPLITTABLE = [f for f in FIXTURES if plan_parts(models_document(f), min_bytes=0, part_bytes=1)]


def test_most_fixtures_can_be_split() -> None:
    # a fixture with one schema (or none) has nothing to share out
    several = [f for f in FIXTURES if len(models_document(f)["components"]["schemas"]) > 1]
    assert len(SPLITTABLE) >= len(several) - 4


@pytest.fixture
def always_split(monkeypatch: pytest.MonkeyPatch) -> None:
    """As many parts as there can be: one or two schemas each."""
    monkeypatch.setattr(model_parts, "MIN_BYTES", 0)
    monkeypatch.setattr(model_parts, "PART_BYTES", 1)


@pytest.fixture
def importer(tmp_path: Path) -> Iterator[Any]:
    """Imports a models source as `<name>.models` (it imports the installed runtime)."""
    names: list[str] = []

    def load(name: str, source: str) -> ModuleType:
        package = tmp_path / name
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "models.py").write_text(source)
        names.append(name)
        return importlib.import_module(f"{name}.models")

    sys.path.insert(0, str(tmp_path))
    yield load
    sys.path.remove(str(tmp_path))
    for name in names:
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]


def json_schema(cls: Any) -> dict[str, Any]:
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return cls.model_json_schema()
    schema: dict[str, Any] = TypeAdapter(cls).json_schema()
    return schema


def same_schema(
    a: Any, a_defs: dict[str, Any], b: Any, b_defs: dict[str, Any], seen: set[Any]
) -> bool:
    """Equal JSON schemas, whatever the classes behind `$ref`s are called (titles ignored)."""
    if isinstance(a, dict) and isinstance(b, dict):
        a_ref, b_ref = a.get("$ref"), b.get("$ref")
        if isinstance(a_ref, str) and isinstance(b_ref, str):
            rest_a = {k: v for k, v in a.items() if k != "$ref"}
            rest_b = {k: v for k, v in b.items() if k != "$ref"}
            if (a_ref, b_ref) in seen:
                return same_schema(rest_a, a_defs, rest_b, b_defs, seen)
            seen.add((a_ref, b_ref))
            target_a, target_b = a_defs[a_ref.split("/")[-1]], b_defs[b_ref.split("/")[-1]]
            return same_schema(rest_a, a_defs, rest_b, b_defs, seen) and same_schema(
                target_a, a_defs, target_b, b_defs, seen
            )
        keys = {k for k in a if k not in ("title", "$defs")}
        if keys != {k for k in b if k not in ("title", "$defs")}:
            return False
        return all(same_schema(a[k], a_defs, b[k], b_defs, seen) for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            same_schema(x, a_defs, y, b_defs, seen) for x, y in zip(a, b, strict=True)
        )
    return bool(a == b)


def component_classes(module: ModuleType, document: dict[str, Any]) -> dict[str, Any]:
    keys = {key.removeprefix(COMPONENT_MARK) for key in document["components"]["schemas"]}
    found = {}
    for name, value in vars(module).items():
        if (
            isinstance(value, type)
            and value.__module__ == module.__name__
            and (
                name in keys
                or name.removesuffix("Request") in keys
                or name.removesuffix("Response") in keys
            )
        ):
            found[name] = value
    return found


def test_small_documents_are_generated_in_one_run() -> None:
    assert plan_parts(models_document(ROOT / "specs" / "tasks" / "openapi.yaml")) == []


def test_part_count_depends_on_size_alone_and_doubles() -> None:
    assert model_parts.part_count(model_parts.MIN_BYTES - 1) == 1
    counts = [model_parts.part_count(size) for size in range(300_000, 9_000_000, 100_000)]
    assert counts == sorted(counts)
    assert set(counts) <= {2**n for n in range(model_parts.MAX_PARTS.bit_length())}
    assert max(counts) == model_parts.MAX_PARTS


@pytest.mark.usefixtures("always_split")
def test_each_part_holds_what_its_classes_depend_on() -> None:
    document = models_document(PARTS_FIXTURE)
    parts = plan_parts(document)
    assert len(parts) >= 4
    names = set(document["components"]["schemas"])
    homes = [set(part.home) for part in parts]
    assert set().union(*homes) == names
    assert sum(len(home) for home in homes) == len(names)  # one home each
    m = COMPONENT_MARK
    for part in parts:
        held = part.document["components"]["schemas"]
        assert part.home <= held.keys()
        schemas = document["components"]["schemas"]
        name_stub = json.loads(model_parts.NAME_STUB)
        for stub in part.stubs:  # a name stub, or what a referring field reads of a leaky schema
            leaky = model_parts._leaks_into_referrers(schemas[stub])
            wanted = model_parts.leak_stub(schemas[stub]) if leaky else name_stub
            assert held[stub] == wanted, stub
        real = held.keys() - part.stubs
        if m + "Dog" in real:  # inheritance (PetBase), and the discriminator naming Dog (Pet)
            assert {m + "PetBase", m + "Pet", m + "Cat"} <= real
        if m + "Event" in part.home:
            assert m + "Pet" in held
        order = list(held)  # document order is kept: it orders the classes
        assert order == [n for n in document["components"]["schemas"] if n in order]


def test_a_schema_s_home_never_moves_when_others_change() -> None:
    document = models_document(PARTS_FIXTURE)
    before = {name: model_parts.home_of(name, 16) for name in document["components"]["schemas"]}
    edited = copy.deepcopy(document)
    edited["components"]["schemas"][COMPONENT_MARK + "Added"] = {"type": "string"}
    del edited["components"]["schemas"][COMPONENT_MARK + "Cat"]
    after = {name: model_parts.home_of(name, 16) for name in edited["components"]["schemas"]}
    assert all(after[n] == home for n, home in before.items() if n in after)


def join_part_sources(
    sources: list[str],
    parts: list[Any],
    cache_dir: Path | None = None,
    keys: list[str] | None = None,
    memo: Path | None = None,
) -> str | None:
    """The parts' modules as one, as `driver._models_source` joins them: each linked
    (`link_cached`, kept under `cache_dir` with the parts' `keys`), then joined (its renames
    kept in `memo`); None where the join refuses."""
    linked = [
        models.link_cached(source, part, cache_dir, keys[index] if keys is not None else None)
        for index, (source, part) in enumerate(zip(sources, parts, strict=True))
    ]
    if any(module is None for module in linked):
        return None
    return join_linked([module for module in linked if module is not None], memo)


def joined_and_whole(document: dict[str, Any]) -> tuple[str, str]:
    """The joined module of the document's parts, and the module of one run."""
    parts = plan_parts(document)
    whole = models.enums_before_defaults(models._run_datamodel_codegen(document))
    joined = join_part_sources([models._run_datamodel_codegen(p.document) for p in parts], parts)
    assert joined is not None, "the join refused the parts"
    return models.enums_before_defaults(joined), whole


def differing_classes(
    document: dict[str, Any], importer: Any, tag: str, texts: tuple[str, ...] = ()
) -> list[str]:
    """The component classes whose Pydantic JSON Schema differs between the joined parts and
    one run (and those of `texts` whose source text differs)."""
    joined, whole = joined_and_whole(document)
    one = component_classes(importer(f"whole_{tag}", whole), document)
    split = component_classes(importer(f"joined_{tag}", joined), document)
    assert one, "no component classes found"
    differing = sorted(set(split) ^ set(one))  # classes only one of them has
    for name, cls in one.items():
        if name not in split:
            continue
        a, b = json_schema(cls), json_schema(split[name])
        if not same_schema(a, a.get("$defs", {}), b, b.get("$defs", {}), set()):
            differing.append(name)
    differing += [name for name in texts if class_text(joined, name) != class_text(whole, name)]
    return differing


def class_text(source: str, name: str) -> str | None:
    found = re.search(rf"^class {name}\(.*?(?=^\S)", source + "\n.", re.MULTILINE | re.DOTALL)
    return found.group(0).strip() if found else None


@pytest.mark.usefixtures("always_split")
@pytest.mark.parametrize("contract", SPLITTABLE, ids=lambda p: p.stem)
def test_joined_parts_validate_as_one_run(contract: Path, importer: Any) -> None:
    assert differing_classes(models_document(contract), importer, contract.stem) == []


@pytest.mark.usefixtures("always_split")
def test_leaky_schemas_are_leak_stubs_outside_their_home(importer: Any) -> None:
    """A part that only refers to a leaky schema holds the least of it that its fields read:
    not what it refers to; the fields come out as from one run, to the letter."""
    document = models_document(LEAKS_FIXTURE)
    m = COMPONENT_MARK
    parts = plan_parts(document)
    holder = next(p for p in parts if m + "Holder" in p.home)
    held = holder.document["components"]["schemas"]
    leaky = ["NullableObject", "NullableEnum", "UntypedNullable", "NullableMap", "IntDefault"]
    assert {m + name for name in leaky} <= holder.stubs
    assert held[m + "NullableObject"] == {
        "type": "object",
        "nullable": True,
        "properties": {"id": {}},
    }
    # Where no leak stub is known, or a default beside the `$ref` names a member, the schema is
    # taken whole, with what it refers to.
    whole = ["NullableAllOf", "NullableOneOf", "RefArrayDefault", "DefaultEnum", "Owner"]
    assert {m + name for name in whole} <= held.keys() - holder.stubs
    assert differing_classes(document, importer, "leaks", ("Holder", "HolderList")) == []


@pytest.mark.usefixtures("always_split")
def test_editing_a_leaky_schema_leaves_the_parts_that_only_refer_to_it() -> None:
    """A leak stub holds nothing an edit of a description or a new property changes: the parts
    that only refer to the leaky schema keep their documents (and their cache entries)."""
    contract = load_contract(LEAKS_FIXTURE).document
    before = {p.text for p in plan_parts(plan_models(contract).build(contract))}
    edited = copy.deepcopy(contract)
    leaky = edited["components"]["schemas"]["NullableObject"]
    leaky["description"] = "edited"
    leaky["properties"]["added"] = {"$ref": "#/components/schemas/Owner"}
    parts = plan_parts(plan_models(edited).build(edited))
    rerun = [p for p in parts if p.text not in before]
    name = COMPONENT_MARK + "NullableObject"
    assert any(name in p.home for p in rerun)
    assert all(name in p.held and name not in p.stubs for p in rerun)
    assert sum(name in p.stubs for p in parts) >= 2  # Holder's and HolderList's parts


# What each kept keyword of a leak stub is needed for in `model_leaks.yaml`.
NEEDED = ["nullable", "type", "default", "enum", "properties", "items"]


@pytest.mark.usefixtures("always_split")
@pytest.mark.parametrize("keyword", NEEDED)
def test_a_leak_stub_without_what_fields_read_gives_other_classes(
    keyword: str, importer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each keyword a leak stub keeps is read into some referring field: without it, the
    joined parts differ from one run (so the fixture covers what the stub must keep)."""
    stub_of = model_parts.leak_stub

    def without(schema: Any) -> dict[str, Any] | None:
        stub = stub_of(schema)
        return None if stub is None else {k: v for k, v in stub.items() if k != keyword}

    monkeypatch.setattr(model_parts, "leak_stub", without)
    document = models_document(LEAKS_FIXTURE)
    assert differing_classes(document, importer, keyword, ("Holder", "HolderList")) != []


HOLDERS = ["HolderOne", "HolderTwo", "HolderFour", "HolderSix", "HolderEight"]
HOLDER_CLASSES = tuple(f"{h}{v}" for h in HOLDERS for v in ("", "Request", "Response"))


@pytest.mark.usefixtures("always_split")
def test_splitting_schemas_are_variant_stubs_after_their_home(importer: Any) -> None:
    """A part after a splitting schema's home holds the least of it that a referring class
    reads: whether it splits and is flagged itself, not what it refers to; before its home, the
    schema whole where it has inline objects. The referring classes come out as from one run,
    to the letter."""
    document = models_document(VARIANTS_FIXTURE)
    schemas = document["components"]["schemas"]
    parts = plan_parts(document)
    count = model_parts.part_count(sum(len(json.dumps(s)) for s in schemas.values()), 0, 1)
    splitting = model_parts._splitting({n: model_parts.schema_facts(s) for n, s in schemas.items()})
    sketched: set[str] = set()
    for part in parts:
        bucket = model_parts.home_of(next(iter(part.home)).removeprefix(COMPONENT_MARK), count)
        for name in part.held:
            home = model_parts.home_of(name.removeprefix(COMPONENT_MARK), count)
            if name in splitting and name in part.stubs:  # a variant stub
                sketched.add(name)
                assert home < bucket or not model_parts._inline_object(schemas[name], root=True)
            elif name in splitting and name not in part.home:  # whole: its home comes later
                assert home > bucket
    m = COMPONENT_MARK
    targets = ["ReadOnlyEntity", "MyThroughRef", "DeepCase", "ArrayOfSplittingValue"]
    targets += ["MapOfSplittingNode", "NullableSplittingThing", "NullableReadOnlyThing"]
    targets += ["ReadOnlyUrlItem", "WriteOnlySecretNode", "DefaultWriteOnly"]
    assert {m + name for name in targets} <= sketched
    holder = next(p for p in parts if m + "HolderTwo" in p.home)
    held = holder.document["components"]["schemas"]
    assert held[m + "ReadOnlyEntity"] == {
        "type": "object",
        "properties": {"id": {"readOnly": True}},
    }
    assert m + "Plain" not in held  # only ever referred to by properties that cannot split
    assert differing_classes(document, importer, "variants", HOLDER_CLASSES) == []


@pytest.mark.usefixtures("always_split")
def test_variant_stubs_leave_the_joined_module_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Byte for byte the module of parts that hold every splitting schema whole: the unused
    variants of inline classes (`ReadOnlyEntityCweRequest`) stay where the join met them."""
    document = models_document(VARIANTS_FIXTURE)
    joined, _ = joined_and_whole(document)
    monkeypatch.setattr(model_parts, "_variant_stubs", lambda *args: {})
    # The names a line imports may come in another order, and a name stub's class may import
    # what no kept class uses (`Any`): ruff sorts them and drops those (`format_pieces.py`).
    assert sorted_imports(joined_and_whole(document)[0]) == sorted_imports(joined)


def sorted_imports(source: str) -> str:
    """`source` with the names each import line imports sorted, and those unused dropped."""
    body = re.sub(r"^from \S+ import .+$", "", source, flags=re.MULTILINE)
    used = set(re.findall(r"\w+", body))

    def line(match: re.Match[str]) -> str:
        names = sorted(n for n in match.group(2).split(", ") if n in used)
        return f"from {match.group(1)} import {', '.join(names)}" if names else ""

    return re.sub(r"^from (\S+) import ([\w, ]+)$", line, source, flags=re.MULTILINE)


# What each kept keyword of a variant stub is needed for in `model_variants.yaml`.
VARIANT_NEEDED = ["readOnly", "writeOnly", "properties", "items", "additionalProperties"]


@pytest.mark.usefixtures("always_split")
@pytest.mark.parametrize("keyword", [*VARIANT_NEEDED, "nullable"])
def test_a_variant_stub_without_what_classes_read_gives_other_classes(
    keyword: str, importer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each keyword a variant stub keeps is read by some referring class: without it, the
    joined parts differ from one run (so the fixture covers what the stub must keep)."""
    stub_of = model_parts.variant_stub

    def without(schema: Any, splitting: set[str], leaky: bool) -> Any:
        made = stub_of(schema, splitting, leaky)
        if made is None:
            return None
        return {k: v for k, v in made[0].items() if k != keyword}, made[1]

    monkeypatch.setattr(model_parts, "variant_stub", without)
    document = models_document(VARIANTS_FIXTURE)
    try:
        differing = differing_classes(document, importer, f"v_{keyword}", HOLDER_CLASSES)
    except (NameError, PydanticUserError):  # names a variant its home part does not define
        return
    assert differing != []


@pytest.mark.usefixtures("always_split")
def test_clashing_inline_names_are_renamed_apart() -> None:
    document = models_document(CLASHES_FIXTURE)
    parts = plan_parts(document)
    sources = [models._run_datamodel_codegen(part.document) for part in parts]
    joined = join_part_sources(sources, parts)
    assert joined is not None
    types = sorted(re.findall(r"^class (Type\d*)\((\w+)", joined, re.MULTILINE))
    assert ("Type", "ContractModel") in types  # the component keeps its name
    enums = [name for name, base in types if base == "Enum"]
    assert len(set(enums)) == len(enums) == 4  # four inline enums, four names


@pytest.mark.usefixtures("always_split")
def test_generate_models_runs_parts_in_processes_and_caches_each(tmp_path: Path) -> None:
    document = models_document(PARTS_FIXTURE)
    cache = tmp_path / "cache"
    first = models.generate_models(document, "# head", cache_dir=cache)
    assert first == models.generate_models(document, "# head", cache_dir=None)
    parts = plan_parts(document)
    distinct = {models.cache_key(part.document) for part in parts}  # same documents run once
    assert len(list(cache.glob("*.py"))) == 1 + len(distinct)  # the parts and the whole
    # Editing a schema re-runs its home part alone (and the parts that hold it whole).
    name = COMPONENT_MARK + "Mode"
    holding = {
        models.cache_key(p.document)
        for p in parts
        if name in p.document["components"]["schemas"].keys() - p.stubs
    }
    assert 0 < len(holding) < len(distinct)
    edited = copy.deepcopy(document)
    edited["components"]["schemas"][name]["description"] = "edited"
    models.generate_models(edited, "# head", cache_dir=cache)
    assert len(list(cache.glob("*.py"))) == 1 + len(distinct) + 1 + len(holding)


EDITS = [
    ("description", "Mode", lambda s: s.update(description="edited")),
    ("new property", "Zoo", lambda s: s["properties"].update(nickname={"type": "string"})),
    ("new enum value", "Mode", lambda s: s["enum"].append("slow")),
    ("removed property", "Zoo", lambda s: s["properties"].pop("nickname")),
]


@pytest.mark.usefixtures("always_split")
def test_output_after_a_sequence_of_edits_equals_a_cold_run(tmp_path: Path) -> None:
    """Whatever the cache holds and in whatever order the edits came, the result is the bytes
    a cold run of the final document gives."""
    contract = load_contract(PARTS_FIXTURE).document
    cache = tmp_path / "cache"
    states = []
    current = copy.deepcopy(contract)
    for _, component, edit in [*EDITS, ("new component", "", None)]:
        if edit is None:
            current["components"]["schemas"]["Added"] = {
                "type": "object",
                "properties": {"mode": {"$ref": "#/components/schemas/Mode"}},
            }
        else:
            edit(current["components"]["schemas"][component])
        plan = plan_models(current)
        warm = models.generate_models(plan.build(current), "# head", cache_dir=cache)
        states.append((copy.deepcopy(current), warm))
    for document, warm in [states[-1], states[1]]:
        plan = plan_models(document)
        assert warm == models.generate_models(plan.build(document), "# head", cache_dir=None)


@pytest.mark.usefixtures("always_split")
def test_an_edit_keeps_the_names_of_unrelated_classes() -> None:
    contract = load_contract(PARTS_FIXTURE).document
    before = models.generate_models(models_document(PARTS_FIXTURE), "# head")
    edited = copy.deepcopy(contract)
    edited["components"]["schemas"]["Mode"]["description"] = "edited"
    after = models.generate_models(plan_models(edited).build(edited), "# head")
    classes = re.compile(r"^class (\w+)", re.MULTILINE)
    assert classes.findall(before) == classes.findall(after)


@pytest.mark.usefixtures("always_split")
def test_linked_parts_kept_in_the_cache_join_as_freshly_linked_ones(tmp_path: Path) -> None:
    """Each part's linked module is kept beside its module; a join from kept ones (or from a
    damaged entry, relinked) gives the bytes of a join that links every part afresh."""
    document = models_document(CLASHES_FIXTURE)
    parts = plan_parts(document)
    sources = [models._run_datamodel_codegen(part.document) for part in parts]
    keys = [models.cache_key(part.document) for part in parts]
    fresh = join_part_sources(sources, parts)
    assert fresh is not None
    cache = tmp_path / "cache"
    assert join_part_sources(sources, parts, cache, keys) == fresh
    kept = sorted(cache.glob(f"*{models._LINKED_SUFFIX}"))
    assert len(kept) == len(set(zip(keys, (p.home for p in parts), strict=True)))
    # The kept entries are what the second join reads: a wrong one would show in the output.
    stamps = {path: path.stat().st_mtime_ns for path in kept}
    assert join_part_sources(sources, parts, cache, keys) == fresh
    assert all(path.stat().st_mtime_ns >= stamps[path] for path in kept)
    good = kept[0].read_bytes()
    for damaged in (
        b"not marshal",
        good[:-7],
        marshal.dumps([1, 2]),
        marshal.dumps([[1], [], [], []]),
    ):
        kept[0].write_bytes(damaged)
        assert join_part_sources(sources, parts, cache, keys) == fresh
    # The join reads the kept entries (a valid but wrong one shows in its output).
    [head, blocks, rebuilds, components] = marshal.loads(good)
    blocks.append(("Planted", "class Planted(ContractModel):\n    pass"))
    kept[0].write_bytes(marshal.dumps([head, blocks, rebuilds, components]))
    planted = join_part_sources(sources, parts, cache, keys)
    assert planted is not None
    assert "class Planted(" in planted


@pytest.mark.usefixtures("always_split")
def test_renames_kept_between_runs_join_as_fresh_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The join keeps where it renamed (`join.RenameMemo`); a join from the memo (or from a
    damaged one, tokenized again) gives the bytes of a join without it, and the memo keeps
    another contract's places only within its bound."""
    from specfirst.generator.pydantic_models import join

    document = models_document(CLASHES_FIXTURE)
    parts = plan_parts(document)
    sources = [models._run_datamodel_codegen(part.document) for part in parts]
    fresh = join_part_sources(sources, parts)
    assert fresh is not None
    memo = tmp_path / "renames.json"
    assert join_part_sources(sources, parts, memo=memo) == fresh
    places = json.loads(memo.read_text(encoding="utf-8"))
    assert places
    assert any(places.values())
    tokenize = join._places
    monkeypatch.setattr(join, "_places", lambda text, old: pytest.fail("tokenized again"))
    assert join_part_sources(sources, parts, memo=memo) == fresh
    # The join reads it: a place moved shows in its output.
    key, moved = next((k, v) for k, v in places.items() if v)
    memo.write_text(json.dumps({**places, key: [[moved[0][0], moved[0][1] + 1]]}))
    assert join_part_sources(sources, parts, memo=memo) != fresh
    monkeypatch.setattr(join, "_places", tokenize)
    for damaged in ("not json", "[]", json.dumps({key: [[1, "2"]]}), json.dumps({key: [1]})):
        memo.write_text(damaged, encoding="utf-8")
        assert join_part_sources(sources, parts, memo=memo) == fresh
        assert json.loads(memo.read_text(encoding="utf-8")) == places
    other = {"0" * 64: [[1, 0]]}
    memo.write_text(json.dumps(other), encoding="utf-8")
    assert join_part_sources(sources, parts, memo=memo) == fresh
    assert json.loads(memo.read_text(encoding="utf-8")) == {**places, **other}
    monkeypatch.setattr(join, "MEMO_ENTRIES", len(places))
    memo.write_text(json.dumps(other), encoding="utf-8")
    assert join_part_sources(sources, parts, memo=memo) == fresh
    assert json.loads(memo.read_text(encoding="utf-8")) == places


def built_text(document: dict[str, Any], memo: Path | None, keep: set[str] | None = None) -> str:
    """The models document `DocumentBuilder` builds (with the memo at `memo`), as JSON."""
    from specfirst.generator.pydantic_models.document import DocumentBuilder

    return DocumentBuilder(plan_models(document), document, keep, "snake_case", memo).build().text


@pytest.mark.parametrize("contract", FIXTURES, ids=lambda p: p.stem)
def test_the_document_built_per_schema_is_plan_build_s_bytes(
    contract: Path, tmp_path: Path
) -> None:
    document = load_contract(contract).document
    expected = json.dumps(plan_models(document).build(document), ensure_ascii=False)
    memo = tmp_path / "memo.marshal"
    assert built_text(document, None) == expected
    assert built_text(document, memo) == expected  # memo cold
    assert memo.exists() or not document.get("components", {}).get("schemas")
    assert built_text(document, memo) == expected  # memo warm
    keep = set(list(document.get("components", {}).get("schemas") or {})[::2])
    plan = plan_models(document)
    assert built_text(document, memo, keep) == json.dumps(
        plan.build(document, keep), ensure_ascii=False
    )
    # The parts planned from the kept facts are those planned from the built document.
    from specfirst.generator.pydantic_models.document import DocumentBuilder

    built = DocumentBuilder(plan_models(document), document, None, "snake_case", memo).build()
    from_facts = model_parts.plan_parts_of(built.header, built.texts, built.facts, 0, 1)
    assert from_facts == plan_parts(json.loads(expected), 0, 1)
    assert [p.text for p in from_facts] == [
        json.dumps(p.document, ensure_ascii=False) for p in from_facts
    ]


def test_the_memo_follows_edits_renames_and_damage(tmp_path: Path) -> None:
    """After any sequence of edits (one renaming a class other schemas refer to), with the memo
    warm, stale or damaged, the built document is `ModelPlan.build`'s; and the memo is read."""
    current = load_contract(PARTS_FIXTURE).document
    memo = tmp_path / "memo.marshal"
    schemas = current["components"]["schemas"]
    assert "Mode" in schemas
    steps: list[Any] = [
        lambda s: s["Mode"].update(description="edited"),
        lambda s: s["Zoo"]["properties"].update(nickname={"type": "string"}),
        # `-mode` sorts before `Mode` and has its class name: `Mode` becomes `Mode2`, and every
        # schema that refers to `Mode` must be rewritten, though its own JSON did not change.
        lambda s: s.update({"-mode": {"type": "string"}}),
        lambda s: s.pop("-mode"),
        lambda s: s["Zoo"]["properties"].pop("nickname"),
    ]
    renamed = False
    for step in steps:
        step(schemas)
        plan = plan_models(current)
        renamed = renamed or plan.class_names["Mode"] != "Mode"
        assert built_text(current, memo) == json.dumps(plan.build(current), ensure_ascii=False)
    assert renamed, "the fixture no longer renames Mode: the test checks nothing"
    expected = json.dumps(plan_models(current).build(current), ensure_ascii=False)
    entries = marshal.loads(memo.read_bytes())
    key, (lookups, text, facts) = next(iter(entries.items()))
    for damaged in (
        b"not marshal",
        marshal.dumps([1, 2]),
        marshal.dumps({key: "short"}),
        marshal.dumps({key: [lookups, None, facts]}),
        marshal.dumps({key: [lookups, text, ["bad facts"]]}),
        marshal.dumps({key: [[["Mode", "Elsewhere"]], '{"planted": 1}', facts]}),  # stale name
        marshal.dumps(entries)[:-9],  # cut short
    ):
        memo.write_bytes(damaged)
        assert built_text(current, memo) == expected
    memo.write_bytes(marshal.dumps({key: [lookups, '{"planted": 1}', facts]}))
    assert '{"planted": 1}' in built_text(current, memo)  # a valid entry is taken as it is


@pytest.mark.usefixtures("always_split")
def test_edits_through_the_memo_and_kept_links_equal_a_cold_run(tmp_path: Path) -> None:
    """The models stage's own path (`generate_models_module`: the memo of built schemas, the
    part and linked-part caches) after a sequence of edits, in two orders, gives the bytes of a
    cold run of the final contract."""
    from specfirst.generator.pydantic_models.document import DocumentBuilder

    def module(document: dict[str, Any], cache: Path | None) -> str:
        memo = models.memo_path(cache, "contract") if cache is not None else None
        builder = DocumentBuilder(plan_models(document), document, None, "snake_case", memo)
        return models.generate_models_module(builder, "# head", cache).source

    steps = [
        *((component, edit) for _, component, edit in EDITS),
        ("", lambda s: s.update({"-mode": {"type": "string"}})),  # renames `Mode`
        (
            "",
            lambda s: s.update(Added={"properties": {"m": {"$ref": "#/components/schemas/Mode"}}}),
        ),
    ]
    for order in (steps, [steps[i] for i in (4, 5, 0, 2, 1, 3)]):
        current = load_contract(PARTS_FIXTURE).document
        cache = tmp_path / f"cache-{len(list(tmp_path.iterdir()))}"
        for component, edit in order:
            schemas = current["components"]["schemas"]
            edit(schemas[component] if component else schemas)
            warm = module(current, cache)
        assert list(cache.glob(f"*{models._LINKED_SUFFIX}")), "no part was linked through the cache"
        assert list(cache.glob("*.memo.marshal"))
        assert warm == module(copy.deepcopy(current), None)


@pytest.mark.usefixtures("always_split")
def test_a_part_with_a_kept_link_needs_neither_its_module_nor_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm run reads a part's kept linked module and not its module: with every part's
    module gone, nothing runs and the output is the cold run's; a damaged link is linked again
    from its module, and one with no module left runs that part in this process (the same
    bytes)."""
    from specfirst.generator.pydantic_models.document import DocumentBuilder

    document = load_contract(PARTS_FIXTURE).document
    built = DocumentBuilder(plan_models(document), document).build()
    parts = model_parts.plan_parts_of(built.header, built.texts, built.facts)
    part_keys = {models.text_key(part.text) for part in parts}
    assert len(part_keys) > 1

    def module(cache: Path) -> str:
        builder = DocumentBuilder(plan_models(document), document)
        return models.generate_models_module(builder, "# head", cache).source

    def forget(cache: Path, modules: bool) -> None:
        """The whole-document entries (else the run takes its module from them), and the
        parts' modules too where `modules`."""
        for entry in cache.glob("*.py"):
            if modules or entry.stem not in part_keys:
                entry.unlink()

    asked: list[int] = []
    real_run_parts = models.run_parts
    real_whole = models._run_datamodel_codegen
    whole: list[int] = []

    def run_parts(texts: list[str], *rest: Any) -> Any:
        asked.append(len(texts))
        return real_run_parts(texts)

    def run_whole(part: dict[str, Any]) -> str:
        whole.append(len(part["components"]["schemas"]))
        return real_whole(part)

    monkeypatch.setattr(models, "run_parts", run_parts)
    monkeypatch.setattr(models, "_run_datamodel_codegen", run_whole)
    cache = tmp_path / "cache"
    cold = module(cache)
    links = sorted(cache.glob(f"*{models._LINKED_SUFFIX}"))
    assert len(links) == len(parts)
    forget(cache, modules=True)
    asked.clear()
    assert module(cache) == cold
    assert asked == [0]  # nothing to run
    links[0].write_bytes(b"not marshal")
    forget(cache, modules=True)
    whole.clear()
    assert module(cache) == cold  # its module is gone too: that part runs here
    assert len(whole) == 1
    assert whole[0] < len(built.texts)
    fresh = tmp_path / "fresh"
    assert module(fresh) == cold
    sorted(fresh.glob(f"*{models._LINKED_SUFFIX}"))[0].write_bytes(b"not marshal")
    forget(fresh, modules=False)
    asked.clear()
    whole.clear()
    assert module(fresh) == cold  # its module is kept: linked again, nothing runs
    assert asked == [0]
    assert whole == []


def test_a_worker_starts_early_only_when_the_schemas_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "usable_cores", lambda: 2)
    monkeypatch.setattr(model_parts, "MIN_BYTES", 0)
    started: list[object] = []
    monkeypatch.setattr(
        models.PrestartedWorker, "start", classmethod(lambda cls: started.append(1))
    )
    document = load_contract(PARTS_FIXTURE).document
    from specfirst.generator.pydantic_models.document import component_texts

    texts = component_texts(document)
    models.early_worker(texts, tmp_path, "contract")
    models.early_worker(texts, tmp_path, "contract")  # the same schemas: no worker
    assert len(started) == 1
    document["components"]["schemas"]["Mode"]["description"] = "edited"
    models.early_worker(component_texts(document), tmp_path, "contract")
    assert len(started) == 2
    models.early_worker(texts, tmp_path, "another contract")
    assert len(started) == 3
    assert list(tmp_path.glob("*.seen.json"))  # evicted with the rest of the cache


# A schema far above `parts.ALONE_BYTES`, as GitHub's webhook payloads are (up to 89 kB).
BIG = COMPONENT_MARK + "Big"


def with_big_schema(document: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        f"field_{i}": {"type": "string", "description": f"Field {i} of a large payload."}
        for i in range(600)
    }
    properties["ticket"] = {"$ref": f"#/components/schemas/{COMPONENT_MARK}Ticket"}
    document["components"]["schemas"][BIG] = {"type": "object", "properties": properties}
    assert (
        model_parts.schema_facts(document["components"]["schemas"][BIG]).size
        > model_parts.ALONE_BYTES
    )
    return document


def schema_bytes(document: dict[str, Any]) -> int:
    schemas = document["components"]["schemas"].values()
    return sum(model_parts.schema_facts(schema).size for schema in schemas)


def test_a_large_schema_is_a_part_of_its_own() -> None:
    """An edit of a small schema that shares the large one's bucket re-runs the small schemas'
    part alone, never the large one."""
    document = with_big_schema(models_document(PARTS_FIXTURE))
    two = schema_bytes(document) // 3  # two buckets
    parts = plan_parts(document, min_bytes=0, part_bytes=two)
    alone = [p for p in parts if BIG in p.home]
    assert [set(p.home) for p in alone] == [{BIG}]
    assert all(BIG not in set(p.held) - p.stubs for p in parts if p is not alone[0])
    mates = [
        name
        for name in document["components"]["schemas"]
        if name != BIG
        and model_parts.home_of(name.removeprefix(COMPONENT_MARK), 2)
        == model_parts.home_of(BIG.removeprefix(COMPONENT_MARK), 2)
    ]
    assert len(mates) >= 3
    before = {p.text for p in parts}
    for name in mates:
        edited = copy.deepcopy(document)
        edited["components"]["schemas"][name]["description"] = "edited"
        rerun = [p for p in plan_parts(edited, 0, two) if p.text not in before]
        assert rerun, name
        assert all(BIG not in set(p.held) - p.stubs for p in rerun), name


def test_a_schema_crossing_the_size_threshold_moves_only_itself() -> None:
    """Whether a schema is alone depends on its own size: on either side of the threshold
    every other schema keeps its part, and the part of its own comes after its bucket's."""
    document = models_document(PARTS_FIXTURE)
    name = COMPONENT_MARK + "Event"  # the largest schema
    size = model_parts.schema_facts(document["components"]["schemas"][name]).size
    two = schema_bytes(document) // 3

    def homes(alone: int) -> list[set[str]]:
        return [set(p.home) for p in plan_parts(document, 0, two, alone)]

    shared, alone = homes(size + 1), homes(size)
    assert {name} in alone
    assert {name} not in shared
    bucket = next(index for index, home in enumerate(shared) if name in home)
    assert alone[bucket + 1] == {name}
    assert [home - {name} for home in shared] == [home for home in alone if home != {name}]


@pytest.mark.parametrize(
    "contract",
    [PARTS_FIXTURE, CLASHES_FIXTURE, LEAKS_FIXTURE, VARIANTS_FIXTURE],
    ids=lambda p: p.stem,
)
def test_joined_parts_with_schemas_alone_validate_as_one_run(
    contract: Path, importer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two buckets, and every schema at least the median size in a part of its own."""
    document = models_document(contract)
    sizes = sorted(
        model_parts.schema_facts(s).size for s in document["components"]["schemas"].values()
    )
    monkeypatch.setattr(model_parts, "MIN_BYTES", 0)
    monkeypatch.setattr(model_parts, "PART_BYTES", sum(sizes) // 3)  # two buckets
    monkeypatch.setattr(model_parts, "ALONE_BYTES", sizes[len(sizes) // 2])
    parts = plan_parts(document)
    assert sum(len(p.home) == 1 for p in parts) >= len(sizes) // 2
    assert differing_classes(document, importer, f"alone_{contract.stem}") == []


EMPTY_SCHEMAS_CONTRACT = """\
openapi: 3.1.0
info: {title: Empty schemas, version: "1"}
paths: {}
components:
  schemas:
    Anything: {}
    Described: {description: Whatever the client sends.}
    Bag: {type: object}
    OpenBag: {type: object, additionalProperties: true}
    Count: {type: integer}
    Holder:
      type: object
      required: [anything]
      properties:
        anything: {$ref: "#/components/schemas/Anything"}
        described: {$ref: "#/components/schemas/Described"}
        bag: {$ref: "#/components/schemas/Bag"}
        bags: {type: array, items: {$ref: "#/components/schemas/OpenBag"}}
        count: {$ref: "#/components/schemas/Count"}
        byName: {type: object, additionalProperties: {$ref: "#/components/schemas/Anything"}}
    Other:
      type: object
      properties:
        either: {anyOf: [{$ref: "#/components/schemas/Anything"}, {$ref: "#/components/schemas/Bag"}]}
"""


@pytest.mark.usefixtures("always_split")
def test_a_name_stub_gives_the_referring_classes_of_an_empty_schema(tmp_path: Path) -> None:
    """A schema a part only refers to goes in as `NAME_STUB`, whatever it is (here `{}`, an
    object without properties, an integer): the referring classes read its name alone, so
    each comes out of the parts to the letter as from one run."""
    contract = tmp_path / "empty.yaml"
    contract.write_text(EMPTY_SCHEMAS_CONTRACT)
    document = models_document(contract)
    parts = plan_parts(document)
    referring = [p for p in parts if p.home & {COMPONENT_MARK + "Holder", COMPONENT_MARK + "Other"}]
    assert referring, "no part is home to the referring classes"
    referred = {COMPONENT_MARK + n for n in ("Anything", "Described", "Bag", "OpenBag", "Count")}
    name_stub = json.loads(model_parts.NAME_STUB)
    stubbed = {
        name
        for part in referring
        for name, held in part.document["components"]["schemas"].items()
        if name in referred - part.home and held == name_stub
    }
    assert stubbed == referred - set().union(*(p.home for p in referring))
    assert stubbed, "the referred schemas are held whole"
    joined, whole = joined_and_whole(document)
    for name in ("Holder", "Other"):
        assert class_text(whole, name) is not None
        assert class_text(joined, name) == class_text(whole, name), name
