"""specfirst.openapi.pointers: building JSON pointers and finding the node one names."""

from __future__ import annotations

import pytest

from specfirst.loader import join_pointer, split_pointer
from specfirst.openapi import as_dict, as_list, child, components, find, node_at, pointer_to

DOCUMENT = {"paths": {"/a/{b}": {"get": {"tags": ["x", None]}}}, "components": {"schemas": []}}


def test_pointers_escape_their_tokens() -> None:
    assert pointer_to("paths", "/a/{b}", "get") == "/paths/~1a~1{b}/get"
    assert child("/paths", "/a~b", 0) == "/paths/~1a~0b/0"
    assert pointer_to() == ""


def test_find_tells_missing_from_null() -> None:
    assert find(DOCUMENT, "/paths/~1a~1{b}/get/tags/0") == (True, "x")
    assert find(DOCUMENT, "/paths/~1a~1{b}/get/tags/1") == (True, None)
    assert find(DOCUMENT, "/paths/~1a~1{b}/get/tags/2") == (False, None)
    assert find(DOCUMENT, "/paths/~1a~1{b}/get/tags/-") == (False, None)
    assert find(DOCUMENT, "/paths/nowhere") == (False, None)
    assert find(DOCUMENT, "") == (True, DOCUMENT)
    assert node_at(DOCUMENT, "/paths/~1a~1{b}/get/tags/0") == "x"


def test_components_and_tolerant_accessors() -> None:
    assert components(DOCUMENT, "schemas") == {}  # a list where a mapping belongs
    assert components(DOCUMENT, "responses") == {}
    assert components({"components": {"responses": {"E": {}}}}, "responses") == {"E": {}}
    assert components("junk", "schemas") == {}
    assert as_dict([1]) == {}
    assert as_list({"a": 1}) == []


@pytest.mark.parametrize(
    "tokens",
    [
        [],
        [""],
        ["", ""],
        ["paths", "/pets/{id}", "get"],
        ["components", "schemas", "a~b"],
        ["x", "~1", "/~0/", "plain"],
        ["a/b"],
        ["a", "b/c", "d"],
        ["caf\u00e9", "0", "1"],
        ["a/b", "\0", "~/\0"],
        ["/x", "\0"],
    ],
)
def test_pointers_join_and_split_back_token_for_token(tokens: list[str]) -> None:
    pointer = join_pointer(tokens)
    assert pointer == "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)
    if tokens[:1] != [""]:  # split_pointer reads leading slashes as the root (as it always did)
        assert split_pointer(pointer) == tokens
