"""The served contract (`openapi.json` beside the package, what `/openapi.json` serves): the
source file's own bytes where the contract is one JSON file the runtime reads back as it is;
else the bundled document as JSON. Either way the runtime loads the source's document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from specfirst_runtime.app import load_contract as runtime_load_contract

from specfirst.generator import pipeline
from specfirst.generator.render import CONTRACT_FILE, render_contract
from specfirst.loader import load_contract

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Zoo, café", "version": "1.0.0"},
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}}
    },
}


def _served(tmp_path: Path, name: str, data: bytes, package: str = "zoo_api") -> bytes:
    contract = tmp_path / name
    contract.write_bytes(data)
    pipeline.generate_package(contract, package, tmp_path / "out")
    return (tmp_path / "out" / package / CONTRACT_FILE).read_bytes()


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(DOCUMENT, ensure_ascii=False),  # UTF-8, compact
        json.dumps(DOCUMENT, indent=4),  # ASCII, escaped
        json.dumps(DOCUMENT, separators=(",", ":")) + "\n\n",
    ],
    ids=["utf-8", "ascii-indented", "minified"],
)
def test_one_json_file_is_served_as_its_own_bytes(text: str, tmp_path: Path) -> None:
    raw = text.encode()
    assert _served(tmp_path, "api.json", raw) == raw


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("api.json", b"\xef\xbb\xbf" + json.dumps(DOCUMENT).encode()),  # a byte order mark
        ("api.yaml", yaml.safe_dump(DOCUMENT, allow_unicode=True, sort_keys=False).encode()),
    ],
    ids=["bom", "yaml"],
)
def test_otherwise_the_document_is_served_as_json(name: str, data: bytes, tmp_path: Path) -> None:
    served = _served(tmp_path, name, data)
    assert served == render_contract(DOCUMENT)
    assert json.loads(served) == DOCUMENT


def test_a_bundled_contract_is_served_bundled(tmp_path: Path) -> None:
    (tmp_path / "pet.json").write_text(json.dumps(DOCUMENT["components"]["schemas"]["Pet"]))
    document = json.loads(json.dumps(DOCUMENT))
    document["components"]["schemas"]["Pet"] = {"$ref": "pet.json"}
    served = _served(tmp_path, "api.json", json.dumps(document).encode())
    bundled = load_contract(tmp_path / "api.json").document
    assert served == render_contract(bundled)
    assert "pet.json" not in served.decode()


def test_the_runtime_reads_back_the_source_s_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = json.dumps(DOCUMENT, ensure_ascii=False).encode()
    _served(tmp_path, "api.json", raw, "served_api")
    monkeypatch.syspath_prepend(str(tmp_path / "out"))
    assert runtime_load_contract(package="served_api") == DOCUMENT
