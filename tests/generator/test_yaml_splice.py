"""`yaml_splice.reparsed`: a YAML file's data after an edit, from its last load, is the full
load's (data and alias use) wherever it answers, and it answers for the everyday edits; and
`yaml12.loaded_yaml` looks for aliases only where the bytes may hold one."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from specfirst import yaml12
from specfirst.errors import ContractLoadError
from specfirst.jsontext import MAX_DEPTH
from specfirst.yaml12 import loaded_yaml
from specfirst.yaml_splice import Parsed, reparsed, snapshot

ROOT = Path(__file__).resolve().parents[2]
PATH = Path("api.yaml")


def _loads(path: Path) -> bool:
    try:
        loaded_yaml(path.read_bytes(), PATH)
    except ContractLoadError:
        return False  # a fixture of a load error
    return True


# Every YAML document of the repository's own that loads (contracts and fixtures).
FIXTURES = sorted(
    p
    for p in {
        *ROOT.glob("specs/**/*.yaml"),
        *ROOT.glob("tests/**/fixtures/**/*.yaml"),
        *ROOT.glob("examples/**/*.yaml"),
    }
    if _loads(p)
)

API = b"""openapi: 3.0.3
info:
  title: Zoo
  version: 1.0.0
paths:
  /pets:
    get:
      summary: List pets
      parameters:
      - name: limit
        in: query
        schema:
          type: integer
      responses:
        '200':
          description: ok
components:
  schemas:
    Pet:
      type: object
      description: A pet.
      properties:
        name:
          type: string
        tags: {type: array, items: {type: string}}
    Owner:
      type: object
      description: |+
        Keeps its trailing lines.

# a comment, less indented
    Note:
      type: string
"""


def _last(raw: bytes) -> Parsed:
    data, aliased = loaded_yaml(raw, PATH)
    return Parsed(raw, snapshot(data), aliased)


def _spliced(last: Parsed, raw: bytes, path: Path) -> tuple[object, bool] | None:
    """`reparsed`'s data and alias use, as `loaded_yaml` gives them."""
    found = reparsed(last, raw, path)
    return None if found is None else (found.data, found.aliased)


def _full(raw: bytes) -> tuple[object, bool] | None:
    try:
        return loaded_yaml(raw, PATH)
    except ContractLoadError:
        return None


def _mutations(raw: bytes, rng: random.Random, count: int) -> list[bytes]:
    """Line edits of every kind a hand (or a bad merge) makes: a character changed, a line
    copied in from elsewhere, deleted, doubled, lengthened, indented, its colon dropped."""
    lines = raw.split(b"\n")
    found = []
    for _ in range(count):
        edited = list(lines)
        at = rng.randrange(len(edited))
        kind = rng.randrange(7)
        if kind == 0 and edited[at]:
            place = rng.randrange(len(edited[at]))
            char = bytes([rng.choice(b"ab: -#'\"{[|>x1&*")])
            edited[at] = edited[at][:place] + char + edited[at][place + 1 :]
        elif kind == 1:
            edited.insert(at, edited[rng.randrange(len(edited))])
        elif kind == 2:
            del edited[at]
        elif kind == 3:
            edited.insert(at, edited[at])
        elif kind == 4:
            edited[at] += b" edited"
        elif kind == 5:
            edited[at] = b"  " + edited[at]
        else:
            edited[at] = edited[at].replace(b":", b"", 1)
        found.append(b"\n".join(edited))
    return found


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: str(p.relative_to(ROOT)))
def test_random_edits_give_the_full_load_or_nothing(fixture: Path) -> None:
    raw = fixture.read_bytes()
    kept = _last(raw)
    rng = random.Random(fixture.name)
    for new in _mutations(raw, rng, 30):
        got = _spliced(kept, new, PATH)
        if got is not None:
            assert got == _full(new), new.decode()


def test_random_edits_are_mostly_spliced() -> None:
    """The test above could pass with `reparsed` always None: on the repository's contracts,
    most edits that load are taken from the last load."""
    spliced = loadable = 0
    for fixture in (ROOT / "specs").glob("**/*.yaml"):
        raw = fixture.read_bytes()
        kept = _last(raw)
        for new in _mutations(raw, random.Random(fixture.name), 30):
            if _full(new) is not None:
                loadable += 1
                spliced += _spliced(kept, new, PATH) is not None
    assert loadable > 20
    assert spliced >= loadable * 0.6


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"      description: A pet.\n", b"      description: A pet, edited.\n"),  # a schema
        (b"      summary: List pets\n", b"      summary: Every pet\n"),  # an operation
        (b"        in: query\n", b"        in: header\n"),  # inside a sequence item
        (b"          type: integer\n", b"          type: integer\n          minimum: 1\n"),
        (b"items: {type: string}}", b"items: {type: integer}}"),  # a flow collection
        (b"        Keeps its trailing lines.\n", b"        Keeps them.\n"),  # a block scalar
        (b"    Note:\n      type: string\n", b"    Note:\n      type: string\n      x-a: 1\n"),
    ],
)
def test_an_everyday_edit_is_spliced_and_is_the_full_load(old: bytes, new: bytes) -> None:
    edited = API.replace(old, new)
    assert edited != API
    got = _spliced(_last(API), edited, PATH)
    assert got is not None
    assert got == loaded_yaml(edited, PATH)


@pytest.mark.parametrize(
    ("old", "new", "at"),
    [
        (b"A pet.", b"A pet, edited.", ("components", "schemas", "Pet")),
        (b"List pets", b"Every pet", ("paths", "/pets", "get")),
        (b"in: query", b"in: header", ("paths", "/pets", "get")),
    ],
)
def test_it_says_which_entry_it_parsed_again_and_what_it_held(
    old: bytes, new: bytes, at: tuple[str, ...]
) -> None:
    found = reparsed(_last(API), API.replace(old, new), PATH)
    assert found is not None
    assert found.at == at
    node: Any = loaded_yaml(API, PATH)[0]
    for key in at:
        node = node[key]
    assert found.before == node
    same = reparsed(_last(API), API, PATH)
    assert same is not None
    assert same.at == ()


def test_crlf_line_ends() -> None:
    raw = API.replace(b"\n", b"\r\n")
    edited = raw.replace(b"A pet.", b"A pet, edited.")
    got = _spliced(_last(raw), edited, PATH)
    assert got is not None
    assert got == loaded_yaml(edited, PATH)


@pytest.mark.parametrize(
    "edited",
    [
        API.replace(b"openapi: 3.0.3", b"openapi: 3.1.0"),  # a top-level value: no entry
        API.replace(b"      description: A pet.\n", b"      description: A pet.\n    Owner: {}\n"),
        API.replace(b"          type: integer\n", b"          type: integer\n\t  minimum: 1\n"),
        API.replace(b"      summary: List pets\n", b"      summary: [List pets\n"),
        API.replace(b"    Pet:\n", b"    Pet: *nowhere\n    Pets:\n"),
    ],
    ids=["top-level", "duplicate key", "tab", "unclosed", "undefined alias"],
)
def test_an_edit_that_does_not_load_or_reaches_out_is_not_spliced(edited: bytes) -> None:
    assert _spliced(_last(API), edited, PATH) is None


def test_a_quoted_scalar_going_on_below_the_entry_is_not_cut_there() -> None:
    # PyYAML lets a quoted scalar's lines go on less indented than its entry: the entry as
    # cut from the last bytes ("x: \"foo") does not parse alone, so nothing is spliced, even
    # where the edit closes the quote and the cut entry would parse.
    raw = b'a:\n  x: "foo\nbar"\n  y: 1\n'
    assert loaded_yaml(raw, PATH)[0] == {"a": {"x": "foo bar", "y": 1}}
    edited = raw.replace(b'"foo\n', b'"foo"\n')
    assert _full(edited) is None
    assert _spliced(_last(raw), edited, PATH) is None


def test_an_alias_anywhere_in_the_last_load_stops_it() -> None:
    # `Copy` shares `Pet`'s tags: the edit inside them must show in both, as in the full load.
    raw = API.replace(b"tags: {type: array", b"tags: &tags {type: array")
    raw += b"    Copy:\n      x-tags: *tags\n"
    last = _last(raw)
    assert last.aliased
    edited = raw.replace(b"items: {type: string}}", b"items: {type: integer}}")
    assert loaded_yaml(edited, PATH)[0]["components"]["schemas"]["Copy"]["x-tags"]["items"] == {
        "type": "integer"
    }
    assert _spliced(last, edited, PATH) is None


def test_an_entry_inside_a_sequence_item_is_not_taken_for_one_of_the_mapping_above() -> None:
    # The item's `schema` and the operation's own are alike: only the item's may change.
    raw = API.replace(
        b"      summary: List pets\n",
        b"      summary: List pets\n      schema:\n        type: integer\n",
    )
    edited = raw.replace(b"          type: integer\n", b"          type: number\n")
    got = _spliced(_last(raw), edited, PATH)
    assert got is not None
    assert got == loaded_yaml(edited, PATH)


def test_a_kept_value_unlike_what_its_entry_gives_is_not_spliced() -> None:
    # The entry as cut from the last bytes must give the value kept for it: else it was not
    # cut where the parser ended it (or the kept data is not those bytes').
    data = loaded_yaml(API, PATH)[0]
    data["components"]["schemas"]["Pet"]["type"] = "array"
    last = Parsed(API, snapshot(data), False)
    assert _spliced(last, API.replace(b"A pet.", b"A pet, edited."), PATH) is None


def test_an_alias_inside_the_edited_entry_is_the_full_load_and_noted() -> None:
    note = b"    Note:\n      type: string\n"
    edited = API.replace(note, note + b"      x-a: &a [1]\n      x-b: *a\n")
    got = _spliced(_last(API), edited, PATH)
    assert got is not None
    assert got[1]
    assert got == loaded_yaml(edited, PATH)


def test_an_entry_nested_too_deep_where_it_stands_is_not_spliced() -> None:
    # Alone, `Note` holds MAX_DEPTH - 1 levels below it: under the four above it, too many.
    deep = b"".join(b"  " * (3 + level) + b"k:\n" for level in range(MAX_DEPTH - 2))
    deep += b"  " * (MAX_DEPTH + 1) + b"v: 1\n"
    edited = API.replace(b"    Note:\n      type: string\n", b"    Note:\n" + deep)
    assert _full(edited) is None
    assert _spliced(_last(API), edited, PATH) is None


def test_a_damaged_snapshot_gives_nothing() -> None:
    last = Parsed(API, b"\xff damaged", False)
    assert _spliced(last, API.replace(b"A pet.", b"A pet, edited."), PATH) is None


def test_markdown_stars_and_ampersands_do_not_cost_the_alias_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counted: list[bytes] = []
    real = yaml12._check_alias_expansion
    monkeypatch.setattr(yaml12, "_check_alias_expansion", lambda r, p: counted.append(r))
    text = b"a: Some **bold** text, R &D\nb:\n- Also *this* and **that**\n"
    assert loaded_yaml(text, PATH) == (
        {"a": "Some **bold** text, R &D", "b": ["Also *this* and **that**"]},
        False,
    )
    assert counted == []
    aliased = b"a: &x [1, 2]\nb: *x\n"
    assert loaded_yaml(aliased, PATH) == ({"a": [1, 2], "b": [1, 2]}, True)
    assert counted == [aliased]
    monkeypatch.setattr(yaml12, "_check_alias_expansion", real)


def test_nested_merges_are_refused_before_anything_expands() -> None:
    # Each level merges the one below twice: 2^60 pairs if expanded.
    levels = [b"  m0: &m0 {a: 1}\n"]
    levels += [b"  m%d: &m%d {<<: [*m%d, *m%d]}\n" % (n, n, n - 1, n - 1) for n in range(1, 61)]
    text = b"x:\n" + b"".join(levels)
    with pytest.raises(ContractLoadError, match="past the limit"):
        loaded_yaml(text, PATH)


OWNER = b"    Owner:\n"
NEW_PET = b"    Cat:\n      type: object\n      x-a: [1]\n"


@pytest.mark.parametrize(
    ("edited", "at", "added"),
    [
        (API.replace(OWNER, NEW_PET + OWNER), ("components", "schemas"), ("Cat",)),
        (API + NEW_PET, ("components", "schemas"), ("Cat",)),  # after the last
        # before an entry whose key begins as its own: the bytes in common go into that line
        (
            API.replace(OWNER, b"    Own:\n      type: string\n" + OWNER),
            ("components", "schemas"),
            ("Own",),
        ),
        (API + b"tags:\n- name: pets\n", (), ("tags",)),  # a top-level key
        (
            API.replace(
                b"      summary: List pets\n", b"      summary: List pets\n      deprecated: true\n"
            ),
            ("paths", "/pets", "get"),
            ("deprecated",),
        ),
    ],
    ids=[
        "between two",
        "after the last",
        "a key's first letters",
        "top level",
        "into an operation",
    ],
)
def test_new_entries_are_put_into_their_mapping_in_order(
    edited: bytes, at: tuple[str, ...], added: tuple[str, ...]
) -> None:
    found = reparsed(_last(API), edited, PATH)
    assert found is not None
    assert (found.at, found.added) == (at, added)
    assert (found.data, found.aliased) == loaded_yaml(edited, PATH)
    assert list(found.data["components"]["schemas"]) == list(
        loaded_yaml(edited, PATH)[0]["components"]["schemas"]
    )


@pytest.mark.parametrize(
    "edited",
    [
        API.replace(OWNER, b"    Pet:\n      type: string\n" + OWNER),  # a key there already
        API.replace(OWNER, b"          Cat: 1\n" + OWNER),  # below a flow mapping's line
        API.replace(
            b"      parameters:\n", b"      parameters:\n        x-a: 1\n"
        ),  # before an item
        API.replace(b"        tags:", b"            x-a: 1\n        tags:"),  # more indented
    ],
    ids=["duplicate", "after a flow mapping", "before a sequence item", "more indented"],
)
def test_lines_put_in_that_do_not_load_are_not_put_in(edited: bytes) -> None:
    assert _full(edited) is None
    assert reparsed(_last(API), edited, PATH) is None


def test_an_entry_put_in_after_a_kept_blank_line_is_the_full_load_or_nothing() -> None:
    # `Owner`'s `|+` scalar keeps the blank line before the comment: a new entry put in after
    # that line would take it from `Owner`, one put in before it would give it to itself.
    for at in (b"\n# a comment", b"# a comment"):
        edited = API.replace(at, b"\n    Cat: {}" + at, 1)
        got = _spliced(_last(API), edited, PATH)
        assert got is None or got == _full(edited)


def test_entries_put_in_after_one_unlike_its_kept_value_are_not_put_in() -> None:
    data = loaded_yaml(API, PATH)[0]
    data["components"]["schemas"]["Pet"]["type"] = "array"  # not what its lines give
    last = Parsed(API, snapshot(data), False)
    assert reparsed(last, API.replace(OWNER, NEW_PET + OWNER), PATH) is None
