"""The coverage summary counts declared responses, ranges and `default` the way OpenAPI means them."""

from __future__ import annotations

from collections import Counter

from specfirst.contract_test.coverage import summarize

CONTRACT = {
    "paths": {
        "/things": {
            "get": {"operationId": "listThings", "responses": {"200": {}, "4XX": {}}},
            "post": {"operationId": "addThing", "responses": {"201": {}, "default": {}}},
        },
        "/health": {"get": {"operationId": "health", "responses": {"200": {}, "503": {}}}},
    }
}


def test_exact_range_and_default_keys() -> None:
    seen = Counter({("listThings", 200): 3, ("listThings", 404): 1, ("addThing", 500): 2})
    coverage = summarize(CONTRACT, seen, {"health 503": "needs the database down"})
    by_key = {(r.operation, r.status): r for r in coverage.declared}
    assert by_key["listThings", "200"].seen == 3
    assert by_key["listThings", "4XX"].seen == 1
    assert by_key["addThing", "default"].seen == 2
    assert by_key["addThing", "201"].seen == 0
    assert coverage.operations_exercised == 2


def test_never_seen_responses_carry_their_reason() -> None:
    coverage = summarize(CONTRACT, Counter({("health", 200): 1}), {"health 503": "database down"})
    missing = {(r.operation, r.status): r.reason for r in coverage.missing}
    assert missing["health", "503"] == "database down"
    assert missing["addThing", "201"] is None
    assert [(r.operation, r.status) for r in coverage.unexplained] == [
        ("listThings", "200"),
        ("listThings", "4XX"),
        ("addThing", "201"),
        ("addThing", "default"),
    ]
    assert "health` 503: database down" in coverage.to_markdown()


def test_undeclared_statuses_are_listed() -> None:
    coverage = summarize(CONTRACT, Counter({("health", 418): 1}))
    health = next(op for op in coverage.operations if op.operation == "health")
    assert health.undeclared == {418: 1}
