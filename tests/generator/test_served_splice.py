"""`served_splice`: the served contract spliced from the last one is the dump of the new one."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

from specfirst.generator import pipeline, render, served_splice
from specfirst.generator.served_splice import splice
from specfirst.loader import load_contract

KEYS = ["a", "b", 'q"uote', "é", "line\nbreak", "200", "paths", "a,", "", "x y", "\\"]
SCALARS: list[Any] = [0, -1, 2.5, 1e300, True, False, None, "", "a,", "x\ny", "é", '"', "},"]


def _value(rng: random.Random, depth: int) -> Any:
    kind = rng.random()
    if depth > 3 or kind < 0.4:
        return rng.choice(SCALARS)
    if kind < 0.55:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    keys = rng.sample(KEYS, rng.randrange(4))
    return {key: _value(rng, depth + 1) for key in keys}


def _document(rng: random.Random) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key in rng.sample(KEYS, 5):
        document[key] = {k: _value(rng, 2) for k in rng.sample(KEYS, rng.randrange(1, 5))}
    return document


def _paths(node: Any, at: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every path of keys to a mapping's member (through mappings only)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*at, key))
            found += _paths(value, (*at, key))
    return found


def _dumped(document: Any) -> bytes:
    return render.render_contract(document)


def _at(document: dict[str, Any], at: tuple[str, ...]) -> Any:
    node: Any = document
    for key in at:
        node = node[key]
    return node


@pytest.mark.parametrize("seed", range(60))
def test_an_entry_replaced_gives_the_dump_of_the_new_document(seed: int) -> None:
    rng = random.Random(seed)
    old = _document(rng)
    served = _dumped(old)
    for at in _paths(old):
        new = copy.deepcopy(old)
        parent = _at(new, at[:-1])
        parent[at[-1]] = _value(rng, len(at))
        assert splice(served, new, at, _at(old, at)) == _dumped(new), at
        # The old value's text is checked where it was found: another `before` is refused.
        other = ["not", "the", "value", _at(old, at)]
        assert splice(served, new, at, other) is None


@pytest.mark.parametrize("seed", range(60))
def test_members_added_to_a_mapping_give_the_dump_of_the_new_document(seed: int) -> None:
    rng = random.Random(seed)
    old = _document(rng)
    served = _dumped(old)
    mappings = [at for at in _paths(old) if isinstance(_at(old, at), dict) and _at(old, at)]
    for at in mappings:
        new = copy.deepcopy(old)
        members = list(_at(new, at).items())
        added = tuple(f"new {n}" for n in range(rng.randrange(1, 4)))
        for key in added:
            members.insert(rng.randrange(len(members) + 1), (key, _value(rng, len(at) + 1)))
        parent = _at(new, at[:-1])
        parent[at[-1]] = dict(members)
        ordered = tuple(key for key in _at(new, at) if key in added)
        assert splice(served, new, at, None, ordered) == _dumped(new), at


def test_what_does_not_read_as_the_printer_wrote_it_is_refused() -> None:
    old = {"paths": {"/a": {"get": {"summary": "one"}}}, "components": {"schemas": {}}}
    new = copy.deepcopy(old)
    new["paths"]["/a"]["get"]["summary"] = "two"
    at = ("paths", "/a", "get", "summary")
    served = _dumped(old)
    assert splice(served, new, at, "one") == _dumped(new)
    assert splice(served.replace(b"  ", b"   "), new, at, "one") is None  # another indentation
    assert splice(b"[]", new, at, "one") is None
    assert splice(served, new, ("paths", "/b"), None) is None  # not in the document
    # Members put into an empty mapping are not placed: dumped instead.
    new["components"]["schemas"]["Pet"] = {"type": "object"}
    assert splice(served, new, ("components", "schemas"), None, ("Pet",)) is None


SPEC = """\
openapi: 3.1.0
info:
  title: Pets
  version: '1'
paths:
  /pets:
    get:
      operationId: listPets
      summary: All pets.
      responses:
        '200':
          description: The pets.
          content:
            application/json:
              schema:
                type: array
                items: {$ref: '#/components/schemas/Pet'}
components:
  schemas:
    Pet:
      type: object
      properties:
        name:
          type: string
    Toy:
      type: object
      properties:
        size:
          type: integer
"""

EDITS = [
    ("      summary: All pets.", "      summary: Every pet, é."),
    (
        "        name:\n          type: string",
        "        name:\n          type: string\n        age:\n          type: integer",
    ),
    ("    Toy:", "    Bowl:\n      type: object\n    Toy:"),
    ("          type: integer\n", "          type: integer\n    Zoo:\n      type: string\n"),
    ("        size:\n          type: integer", "        size:\n          type: number"),
]


def test_a_yaml_project_edited_serves_the_dump_of_each_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through `generate_package`: after each edit the served file is the dump of that contract,
    and it was spliced (not dumped) for the edits the loader spliced."""
    spliced: list[bool] = []
    real = served_splice.spliced_contract

    def recorded(contract: Any, last: Path | None) -> bytes | None:
        found = real(contract, last)
        spliced.append(found is not None)
        return found

    monkeypatch.setattr(served_splice, "spliced_contract", recorded)
    contract = tmp_path / "specs" / "pets.yaml"
    contract.parent.mkdir()
    text = SPEC
    contract.write_text(text, encoding="utf-8")
    out = tmp_path / "generated"
    pipeline.generate_package(contract, "pets_api", out)
    for old, new in EDITS:
        assert old in text
        text = text.replace(old, new, 1)
        contract.write_text(text, encoding="utf-8")
        pipeline.generate_package(contract, "pets_api", out)
        served = (out / "pets_api" / render.CONTRACT_FILE).read_bytes()
        assert served == render.render_contract(load_contract(contract).document)
    assert any(spliced), "no edit was spliced: the test checks nothing"
    # A served file edited by hand is not spliced from (its hash is not the stamp's).
    spliced.clear()
    served_file = out / "pets_api" / render.CONTRACT_FILE
    served_file.write_bytes(served_file.read_bytes().replace(b"Pets", b"Cats", 1))
    text = text.replace("Every pet, é.", "Some pets.")
    contract.write_text(text, encoding="utf-8")
    pipeline.generate_package(contract, "pets_api", out)
    assert served_file.read_bytes() == render.render_contract(load_contract(contract).document)
    assert spliced
    assert not any(spliced)


def test_a_mapping_with_keys_that_print_alike_is_refused() -> None:
    """`1` and `"1"` are two keys of a YAML mapping and one name in JSON: the first line named
    so may be the other's, so nothing on such a path is spliced."""
    old = {"paths": {1: "same", "1": "same"}}
    new = {"paths": {1: "same", "1": "edited"}}
    assert splice(_dumped(old), new, ("paths", "1"), "same") is None
