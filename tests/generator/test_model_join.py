"""The parts' modules are linked into one: names that clash are renamed, shared copies merged."""

from __future__ import annotations

from specfirst.generator.pydantic_models.join import join_modules

HEAD = "# header\n\nfrom __future__ import annotations\n\nfrom pydantic import BaseModel\n"


def module(*blocks: str, head: str = HEAD, tail: str = "") -> str:
    return head + "\n\n" + "\n\n\n".join(blocks) + "\n" + tail


def test_identical_classes_are_kept_once_in_first_part_order() -> None:
    a = "class A(BaseModel):\n    x: int"
    b = "class B(BaseModel):\n    a: A"
    c = "class C(BaseModel):\n    a: A"
    joined = join_modules([module(a, b), module(a, c)], [{"A", "B"}, {"A", "C"}])
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
    joined = join_modules([first, second], [{"Box"}, {"Bag"}])
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
    joined = join_modules([first, second], [{"Options"}, {"Address", "Order"}])
    assert joined == module(
        "class Address1(Enum):\n    hidden = 'hidden'",
        "class Options(BaseModel):\n    address: Address1",
        "class Address(BaseModel):\n    city: str",
        "class Order(BaseModel):\n    address: Address",
    )


def test_copies_of_a_component_that_differ_in_inline_names_are_merged() -> None:
    first = module(
        "class Owner(BaseModel):\n    login: str",
        "class Repo(BaseModel):\n    owner: Owner",
    )
    second = module(
        "class Owner(BaseModel):\n    name: str",  # another schema's inline class took `Owner`
        "class Owner1(BaseModel):\n    login: str",
        "class Repo(BaseModel):\n    owner: Owner1",
        "class Team(BaseModel):\n    owner: Owner\n    repo: Repo",
    )
    joined = join_modules([first, second], [{"Repo"}, {"Repo", "Team"}])
    assert joined == module(
        "class Owner(BaseModel):\n    login: str",
        "class Repo(BaseModel):\n    owner: Owner",
        "class Owner2(BaseModel):\n    name: str",
        "class Team(BaseModel):\n    owner: Owner2\n    repo: Repo",
    )


def test_copies_of_a_component_with_different_shapes_are_both_kept() -> None:
    first = module("class Pet(BaseModel):\n    kind: str", "class A(BaseModel):\n    pet: Pet")
    second = module(
        "class Pet(BaseModel):\n    kind: Literal['Pet']", "class B(BaseModel):\n    pet: Pet"
    )
    joined = join_modules([first, second], [{"Pet", "A"}, {"Pet", "B"}])
    assert joined is not None
    assert "class Pet1(BaseModel):\n    kind: Literal['Pet']" in joined
    assert "class B(BaseModel):\n    pet: Pet1" in joined


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
    joined = join_modules([first, second], [{"Node"}, {"Leaf"}])
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
        assert join_modules([plain, bad], [{"A"}, {"A", "B"}]) is None
