"""The parts' modules are linked into one: every class from its home part, names that clash
renamed apart."""

from __future__ import annotations

from specfirst.generator.pydantic_models.join import join_modules

HEAD = "# header\n\nfrom __future__ import annotations\n\nfrom pydantic import BaseModel\n"


def module(*blocks: str, head: str = HEAD, tail: str = "") -> str:
    return head + "\n\n" + "\n\n\n".join(blocks) + "\n" + tail


def test_identical_classes_are_kept_once_in_first_part_order() -> None:
    a = "class A(BaseModel):\n    x: int"
    b = "class B(BaseModel):\n    a: A"
    c = "class C(BaseModel):\n    a: A"
    joined = join_modules([module(a, b), module(a, c)], [{"B"}, {"C"}], [{"B"}, {"C"}])
    assert joined == module(a, b, c)


def test_an_inline_class_that_clashes_is_renamed_with_its_references_only() -> None:
    first = module(
        "class Kind(Enum):\n    big = 'big'",
        "class Box(BaseModel):\n    kind: Kind",
    )
    second = module(
        "class Kind(Enum):\n    Kind = 'Kind'\n    small = 'small'",
        "class Bag(BaseModel):\n"
        '    """A Kind of bag."""\n'
        "    Kind: Annotated[Kind, Field(description='Kind', alias='Kind')] = Kind.small\n"
        "    other: Other.Kind | MISSING = MISSING",
    )
    joined = join_modules([first, second], [{"Box"}, {"Bag"}], [{"Box"}, {"Bag"}])
    assert joined is not None
    assert "class Kind1(Enum):\n    Kind = 'Kind'\n    small = 'small'" in joined
    assert (
        "class Bag(BaseModel):\n"
        '    """A Kind of bag."""\n'
        "    Kind: Annotated[Kind1, Field(description='Kind', alias='Kind')] = Kind1.small\n"
        "    other: Other.Kind | MISSING = MISSING"
    ) in joined
    assert "class Box(BaseModel):\n    kind: Kind\n" in joined


def test_a_component_keeps_its_name_over_an_inline_class() -> None:
    # Part 0 has no component `Address`, so an inline enum took the bare name there.
    first = module(
        "class Address(Enum):\n    hidden = 'hidden'",
        "class Options(BaseModel):\n    address: Address",
    )
    second = module(
        "class Address(BaseModel):\n    city: str",
        "class Order(BaseModel):\n    address: Address",
    )
    homes = [{"Options"}, {"Address", "Order"}]
    joined = join_modules([first, second], homes, homes)
    assert joined == module(
        "class Address1(Enum):\n    hidden = 'hidden'",
        "class Options(BaseModel):\n    address: Address1",
        "class Address(BaseModel):\n    city: str",
        "class Order(BaseModel):\n    address: Address",
    )


def test_copies_from_other_homes_are_dropped_with_what_only_they_use() -> None:
    first = module(
        "class Owner(BaseModel):\n    login: str",
        "class Repo(BaseModel):\n    owner: Owner",
    )
    second = module(
        "class Owner(BaseModel):\n    name: str",  # another schema's inline class took `Owner`
        "class Owner1(BaseModel):\n    login: str",
        "class Repo(BaseModel):\n    owner: Owner1",  # held whole, but its home is part 0
        "class Team(BaseModel):\n    owner: Owner\n    repo: Repo",
    )
    joined = join_modules([first, second], [{"Repo"}, {"Team"}], [{"Repo"}, {"Repo", "Team"}])
    assert joined == module(
        "class Owner(BaseModel):\n    login: str",
        "class Repo(BaseModel):\n    owner: Owner",
        "class Owner1(BaseModel):\n    name: str",  # the dropped copy's Owner1 is free
        "class Team(BaseModel):\n    owner: Owner1\n    repo: Repo",
    )


def test_stubs_and_their_variants_are_dropped() -> None:
    first = module(
        "class PetRequest(BaseModel):\n    kind: str",
        "class PetResponse(BaseModel):\n    id: int\n    kind: str",
    )
    second = module(
        "class PetRequest(RootModel[Any]):\n    root: Any",
        "class PetResponse(RootModel[Any]):\n    root: Any",
        "class Shop(BaseModel):\n    pet: PetResponse",
    )
    joined = join_modules([first, second], [{"Pet"}, {"Shop"}], [{"Pet"}, {"Pet", "Shop"}])
    assert joined == module(
        "class PetRequest(BaseModel):\n    kind: str",
        "class PetResponse(BaseModel):\n    id: int\n    kind: str",
        "class Shop(BaseModel):\n    pet: PetResponse",
    )


def test_a_class_comes_after_the_classes_it_derives_from() -> None:
    first = module(
        "class Dog(Pet):\n    bark: bool", "class Dogs(RootModel[list[Dog]]):\n    root: x"
    )
    second = module("class Pet(BaseModel):\n    name: str")
    homes = [{"Dog", "Dogs"}, {"Pet"}]
    joined = join_modules([first, second], homes, [{"Dog", "Dogs", "Pet"}, {"Pet"}])
    assert joined == module(
        "class Pet(BaseModel):\n    name: str",
        "class Dog(Pet):\n    bark: bool",
        "class Dogs(RootModel[list[Dog]]):\n    root: x",
    )


def test_two_homes_for_one_class_are_refused() -> None:
    first = module("class Pet(BaseModel):\n    kind: str")
    second = module("class Pet(BaseModel):\n    kind: Literal['Pet']")
    assert join_modules([first, second], [{"Pet"}, {"Pet"}], [{"Pet"}, {"Pet"}]) is None


def test_imports_rebuilds_and_aliases_are_joined() -> None:
    first = module(
        "class Node(BaseModel):\n    children: list[Node]",
        head="from pydantic import BaseModel\n",
        tail="\n\nNode.model_rebuild()\n",
    )
    second = module(
        'Node = TypeAliasType("Node", Annotated[str, Field(max_length=3)])',
        "class Leaf(BaseModel):\n    node: Node",
        head="from pydantic import BaseModel, Field\nfrom typing_extensions import TypeAliasType\n",
    )
    joined = join_modules([first, second], [{"Node"}, {"Leaf"}], [{"Node"}, {"Leaf"}])
    assert joined == (
        "from pydantic import BaseModel, Field\nfrom typing_extensions import TypeAliasType\n\n\n"
        "class Node(BaseModel):\n    children: list[Node]\n\n\n"
        'Node1 = TypeAliasType("Node1", Annotated[str, Field(max_length=3)])\n\n\n'
        "class Leaf(BaseModel):\n    node: Node1\n\n\nNode.model_rebuild()\n"
    )


def test_unknown_layouts_and_headers_are_refused() -> None:
    plain = module("class A(BaseModel):\n    x: int")
    statement = module("class A(BaseModel):\n    x: int", tail="\n\nprint(A)\n")
    text_after = module(
        "class A(BaseModel):\n    x: int", tail="\n\nA.model_rebuild()\n    y = 1\n"
    )
    other_head = module("class B(BaseModel):\n    x: int", head="# other\n" + HEAD)
    for bad in (statement, text_after, other_head):
        assert join_modules([plain, bad], [{"A"}, {"B"}], [{"A"}, {"B"}]) is None
