from __future__ import annotations

import pytest

from specfirst.names import NameAllocator, pascal_case, safe_identifier, snake_case


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("listPets", "list_pets"),
        ("X-Request-ID", "x_request_id"),
        ("ETag", "etag"),
        ("HTTPError", "http_error"),
        ("put_files_id#add_shared_link", "put_files_id_add_shared_link"),
        ("meta/root", "meta_root"),
        ("getV2Users", "get_v2_users"),
        ("123abc", "value_123abc"),
        ("", "value"),
        ("Café-Menu", "cafe_menu"),
    ],
)
def test_snake_case(text: str, expected: str) -> None:
    assert snake_case(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pet.category", "PetCategory"),
        ("list-pets", "ListPets"),
        ("HTTPError", "HTTPError"),
        ("1st", "Model1st"),
    ],
)
def test_pascal_case(text: str, expected: str) -> None:
    assert pascal_case(text) == expected


def test_safe_identifier_avoids_keywords_builtins_and_reserved() -> None:
    assert safe_identifier("class") == "class_"
    assert safe_identifier("list") == "list_"
    assert safe_identifier("match") == "match_"
    assert safe_identifier("body", {"body"}) == "body_"
    assert safe_identifier("pet") == "pet"


def test_allocator_is_stable_and_unique() -> None:
    names = NameAllocator({"request"})
    assert names.allocate("pet", key="a") == "pet"
    assert names.allocate("pet", key="b") == "pet2"
    assert names.allocate("pet", key="a") == "pet"
    assert names.allocate("request") == "request_"
    assert "pet2" in names
