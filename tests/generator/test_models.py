"""The models stage's own fixes to datamodel-code-generator's output."""

from __future__ import annotations

from pathlib import Path

import pytest

from specfirst.generator import pipeline, state
from specfirst.generator.pydantic_models.driver import unmark
from specfirst.generator.schemas import COMPONENT_MARK as M
from specfirst.generator.schemas import ModelPlan, TypeNamer

HEAD = (
    "from __future__ import annotations\n\nfrom pydantic import BaseModel\nfrom enum import Enum\n"
)


def test_without_a_mark_nothing_changes() -> None:
    source = HEAD + "\n\nclass Type(Enum):\n    a = 'a'\n"
    assert unmark(source, "") == source


def test_a_component_takes_its_name_back_from_an_inline_class() -> None:
    source = (
        HEAD + "\n\nclass Type(Enum):\n    Type = 'Type'\n\n\n"
        f"class {M}Shape(BaseModel):\n    type: Type\n    Type_: {M}Type\n\n\n"
        f"class {M}Type(BaseModel):\n    '''A Type.'''\n    name: str\n"
    )
    assert unmark(source, M) == (
        HEAD + "\n\nclass Type1(Enum):\n    Type = 'Type'\n\n\n"
        "class Shape(BaseModel):\n    type: Type1\n    Type_: Type\n\n\n"
        "class Type(BaseModel):\n    '''A Type.'''\n    name: str\n"
    )


def test_the_mark_inside_a_name_goes_and_a_clash_yields() -> None:
    source = (
        HEAD + f"\n\nclass BodyPet(BaseModel):\n    a: int\n\n\n"
        f"class Body{M}Pet(BaseModel):\n    b: int\n\n\n"
        f"class {M}Body(BaseModel):\n    x: BodyPet\n    y: Body{M}Pet\n"
    )
    assert unmark(source, M) == (
        HEAD + "\n\nclass BodyPet(BaseModel):\n    a: int\n\n\n"
        "class BodyPet1(BaseModel):\n    b: int\n\n\n"
        "class Body(BaseModel):\n    x: BodyPet\n    y: BodyPet1\n"
    )


def test_a_field_named_as_its_component_is_aliased() -> None:
    source = (
        "from __future__ import annotations\n\nfrom pydantic import BaseModel\n\n\n"
        f"class {M}Mode(Enum):\n    fast = 'fast'\n\n\n"
        f"class {M}Swarm(BaseModel):\n    Mode: {M}Mode | None = {M}Mode.fast\n"
        f"    Other: Annotated[{M}Mode, Field(description='x')]\n"
        f"    Kind: Annotated[{M}Kind, Field(description='a = b')] = {M}Kind.a\n"
    )
    result = unmark(source, M)
    assert "from typing import Annotated\n" in result
    assert "from pydantic import Field\n" in result
    assert result.endswith(
        "class Mode(Enum):\n    fast = 'fast'\n\n\n"
        "class Swarm(BaseModel):\n"
        "    Mode_1: Annotated[Mode | None, Field(alias='Mode')] = Mode.fast\n"
        "    Other: Annotated[Mode, Field(description='x')]\n"
        "    Kind_1: Annotated[Kind, Field(alias='Kind', description='a = b')] = Kind.a\n"
    )
    compile(result, "models.py", "exec")


def test_a_split_component_is_found_by_its_variants_before_an_inline_namesake() -> None:
    plan = ModelPlan()
    plan.name_components({"Region": {"type": "object", "properties": {"id": {"readOnly": True}}}})
    namer = TypeNamer({}, plan, {"Region", "RegionRequest", "RegionResponse"})
    assert namer.class_for("Region", "request") == "RegionRequest"
    assert namer.class_for("Region", "response") == "RegionResponse"
    plain = ModelPlan()
    plain.name_components({"Pet": {"type": "object"}, "PetRequest": {"type": "object"}})
    assert TypeNamer({}, plain, {"Pet", "PetRequest"}).class_for("Pet", "request") == "Pet"


FIELDS_CONTRACT = """\
openapi: 3.1.0
info: {title: fields, version: "1"}
paths: {}
components:
  schemas:
    Pet:
      type: object
      required: [weightKg]
      properties:
        weightKg: {type: number}
        a.b: {type: string}
"""


def test_the_field_names_option_shapes_models_and_the_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contract = tmp_path / "api.yaml"
    contract.write_text(FIELDS_CONTRACT)
    monkeypatch.setenv(state.STATE_ENV, str(tmp_path / "state"))  # one warm models cache
    out = tmp_path / "out"
    models = out / "fields_api" / "models.py"

    pipeline.generate_package(contract, "fields_api", out)
    assert 'weight_kg: Annotated[StrictFloat, Field(alias="weightKg")]' in models.read_text()
    assert pipeline.stale_reason(out / "fields_api", field_names="wire") == (
        "generated with other options"
    )

    assert pipeline.generate_package(contract, "fields_api", out, field_names="wire").changed
    assert "    weightKg: StrictFloat\n" in models.read_text()
    assert 'a_b: Annotated[str | MISSING, Field(alias="a.b")]' in models.read_text()
    assert pipeline.stale_reason(out / "fields_api", field_names="wire") is None
    assert pipeline.stale_reason(out / "fields_api") == "generated with other options"

    assert pipeline.generate_package(contract, "fields_api", out).changed
    assert "weight_kg:" in models.read_text()


def test_inline_constrained_items_are_written_in_place() -> None:
    from specfirst.generator.pydantic_models.scalar_items import inline_scalar_items

    source = (
        HEAD + "\n\nclass Note(BaseModel):\n"
        "    text: Annotated[str, Field(description='Text of the note')]\n"
        "    Text: list[Text] | MISSING = MISSING\n"
        "    tags: dict[str, Tag] | list[Text]\n\n\n"
        "class Text(RootModel[str]):\n    root: Annotated[str, Field(max_length=5)]\n\n\n"
        "class Tag(RootModel[str]):\n    root: Annotated[str, Field(min_length=1)]\n\n\n"
        "class Kept(RootModel[str]):\n    root: Annotated[str, Field(min_length=1)]\n\n"
        "    def __str__(self) -> str:\n        return self.root\n"
    )
    result = inline_scalar_items(source, components={"Tag", "Note"})
    assert "class Text(" not in result  # inline, scalar: written where it was named
    assert "    Text: list[Annotated[str, Field(max_length=5)]] | MISSING = MISSING\n" in result
    assert "description='Text of the note'" in result  # not inside strings
    assert "dict[str, Tag] | list[Annotated[str, Field(max_length=5)]]" in result
    assert "class Tag(RootModel[str])" in result  # a component keeps its class
    assert "class Kept(RootModel[str])" in result  # more than its root in the body


def test_variants_keep_their_components_spelling() -> None:
    from specfirst.generator.pydantic_models.variant_names import restore_variant_names

    source = (
        HEAD + f"\n\nclass {M}MongoDbThingRequest(BaseModel):\n    name: str\n\n\n"
        f"class {M}Box(BaseModel):\n    thing: {M}MongoDbThingRequest\n"
    )
    result = restore_variant_names(source, {f"{M}MongoDBThing", f"{M}Box"})
    assert f"class {M}MongoDBThingRequest(BaseModel):" in result
    assert f"thing: {M}MongoDBThingRequest\n" in result
    assert restore_variant_names(result, {f"{M}MongoDBThing", f"{M}Box"}) == result


def test_the_models_module_names_exactly_the_top_level_definitions() -> None:
    """`ModelsModule.classes` (a scan of datamodel-code-generator's layout, used by the view
    builder and the join) names what the module's syntax tree defines at top level: every class
    and every type alias, on each committed models.py."""
    import ast
    from pathlib import Path

    from specfirst.generator.pydantic_models import ModelsModule

    root = Path(__file__).parents[2]
    modules = sorted(
        [*root.glob("tests/golden/expected/*/models.py"), *root.glob("generated/*/models.py")]
    )
    assert len(modules) >= 4
    for path in modules:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        defined = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
        defined |= {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        assert ModelsModule.from_source(source).classes == defined, path


def test_models_module_reads_the_definitions_as_the_join_does() -> None:
    """`ModelsModule.from_source` finds what `join.DEFINITION` finds at every line's start,
    the first line included."""
    from specfirst.generator.pydantic_models.join import DEFINITION
    from specfirst.generator.pydantic_models.result import ModelsModule

    source = (
        "class First(X):\n    inner = 1\nAlias = int\nclass Second:\n  pass\n"
        "class  Spaced: ...\nB=1\nC = 2\n\nclass Über(Y): ...\n  D = 3\nLast = str"
    )
    expected = {a or b for a, b in DEFINITION.findall(source)}
    assert ModelsModule.from_source(source).classes == expected
    assert {"First", "Alias", "Second", "C", "Über", "Last"} == expected
    assert ModelsModule.from_source("X = 1").classes == {"X"}


def test_an_enum_a_default_names_moves_above_the_first_class_only_at_the_top_level() -> None:
    """A top-level enum that a field default names later moves up (the module's first line
    too); an enum class indented inside another, or a name that only ends in `class`, stays."""
    from specfirst.generator.pydantic_models.driver import enums_before_defaults

    user = "class User(BaseModel):\n    mode: Mode = Mode.vip\n    kind: Kind = Kind.a\n\n\n"
    inner = "class Outer(BaseModel):\n    class Kind(Enum):\n        a = 'a'\n\n\n"
    late = "class Mode(Enum):\n    vip = 'vip'\n"
    subclass = "Subclass = 1\nsubclass Kind(Enum):\n"
    source = HEAD + "\n\n" + user + inner + late + subclass
    assert enums_before_defaults(source) == (
        HEAD + "\n\n" + late + "\n\n" + user + inner + subclass
    )
    first = late + "\n\n" + user
    assert enums_before_defaults(first) == first  # already above its user
    assert enums_before_defaults(user + late) == late + "\n\n" + user
