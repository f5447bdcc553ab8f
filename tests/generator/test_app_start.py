"""A generated app starts without importing its models or routers (issue 12), and still checks
its services at start; a request imports what it needs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from specfirst.generator.pipeline import generate_package

CONTRACT = {
    "openapi": "3.1.0",
    "info": {"title": "Start", "version": "1"},
    "paths": {
        "/items": {
            "get": {
                "operationId": "listItems",
                "tags": ["items"],
                "parameters": [
                    {
                        "name": "order",
                        "in": "query",
                        "schema": {"$ref": "#/components/schemas/Order"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The items.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Item"},
                                }
                            }
                        },
                    }
                },
            }
        },
        "/users": {
            "get": {
                "operationId": "listUsers",
                "tags": ["users"],
                "responses": {"204": {"description": "Nothing."}},
            }
        },
    },
    "components": {
        "schemas": {
            "Order": {"type": "string", "enum": ["asc", "desc"]},
            "Item": {"type": "object", "properties": {"id": {"type": "integer"}}},
        }
    },
}

PROBE = """
import json, sys
import start_api
app = start_api.create_app()
before = sorted(m for m in sys.modules if m.startswith("start_api."))
from fastapi.testclient import TestClient
status = TestClient(app).get("/users").status_code
after = sorted(m for m in sys.modules if m.startswith("start_api."))

class Wrong:
    async def list_items(self) -> list[object]:
        return []

try:
    start_api.create_app(items=Wrong())
    mismatch = ""
except start_api.ServiceMismatchError as exc:
    mismatch = str(exc)
print(json.dumps({"before": before, "after": after, "status": status, "mismatch": mismatch}))
"""


def _probe(contract: dict[str, object], tmp_path: Path) -> dict[str, object]:
    source = tmp_path / "start.json"
    source.write_text(json.dumps(contract), encoding="utf-8")
    generate_package(source, "start_api", tmp_path / "out")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE)],
        cwd=tmp_path / "out",
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def test_the_app_starts_without_models_or_routers_and_still_checks_services(
    tmp_path: Path,
) -> None:
    found = _probe(CONTRACT, tmp_path)
    assert found["before"] == ["start_api.app", "start_api.routers", "start_api.services"]
    # a request to `/users` imports that tag's router (and the models it names), not `items`
    assert found["status"] == 501
    assert "start_api.routers.users" in found["after"]  # type: ignore[operator]
    assert "start_api.routers.items" not in found["after"]  # type: ignore[operator]
    assert "listItems: Wrong.list_items() does not accept order" in str(found["mismatch"])


def test_services_import_the_models_when_a_default_is_a_model_enum(tmp_path: Path) -> None:
    contract = json.loads(json.dumps(CONTRACT))
    contract["components"]["schemas"]["Order"]["default"] = "desc"
    found = _probe(contract, tmp_path)
    services = (tmp_path / "out" / "start_api" / "services.py").read_text(encoding="utf-8")
    assert 'models.Order("desc")' in services
    assert "start_api.models" in found["before"]  # type: ignore[operator]
    assert found["status"] == 501
