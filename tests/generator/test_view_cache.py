"""The operation drafts kept between runs (`view_cache`) never change the view model: after any
sequence of edits a build from the cache equals a build without one, and a damaged or foreign
cache file is ignored."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from specfirst.generator import build as build_module
from specfirst.generator import write as write_module
from specfirst.generator.build import ViewBuilder, plan_models
from specfirst.generator.view_cache import DraftStore
from specfirst.generator.viewmodel import ApiView
from specfirst.loader import load_contract
from specfirst.openapi import HTTP_METHODS

ROOT = Path(__file__).parents[2]
CONTRACTS = [
    ROOT / "specs" / "tasks" / "openapi.yaml",
    ROOT / "specs" / "example" / "openapi.yaml",
    *sorted((ROOT / "tests" / "golden" / "fixtures").glob("*.yaml")),
]
Document = dict[str, Any]


def _classes(document: Document) -> set[str]:
    """The classes datamodel-code-generator would write, near enough: each planned name, and
    both variants of every name that may split."""
    plan = plan_models(document)
    variants = {name + kind for name in plan.families for kind in ("Request", "Response")}
    return set(plan.class_names.values()) | set(plan.hoisted.values()) | variants


def _view(document: Document, store: DraftStore | None, classes: set[str] | None = None) -> ApiView:
    api = ViewBuilder(
        document,
        plan_models(document),
        _classes(document) if classes is None else classes,
        package="p",
        contract_path="api.yaml",
        contract_sha256="0" * 64,
        store=store,
    ).build()
    if store is not None:
        store.save()
    return api


def _operations(d: Document) -> list[Document]:
    return [
        op
        for item in d.get("paths", {}).values()
        for method, op in item.items()
        if method in HTTP_METHODS and isinstance(op, dict)
    ]


def edit_summary(d: Document) -> None:
    for op in _operations(d)[:1]:
        op["summary"] = "Edited summary"


def edit_response_components(d: Document) -> None:
    for response in d.get("components", {}).get("responses", {}).values():
        response["description"] = "Edited: " + str(response.get("description", ""))


def edit_parameter_components(d: Document) -> None:
    for parameter in d.get("components", {}).get("parameters", {}).values():
        parameter["description"] = "Edited parameter"
        schema = parameter.get("schema")
        if isinstance(schema, dict) and schema.get("type") == "integer":
            schema["maximum"] = 77


def edit_scalar_schemas(d: Document) -> None:
    """Component schemas that parameters and headers read through `$ref`s."""
    for schema in d.get("components", {}).get("schemas", {}).values():
        if schema.get("type") == "string":
            schema["maxLength"] = 33
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], "edited"]


def inline_parameter_refs(d: Document) -> None:
    """An operation's parameter behind a `$ref` becomes the same parameter written inline, and a
    string component schema changes its type."""
    shared = d.get("components", {}).get("parameters", {})
    for op in _operations(d):
        for index, parameter in enumerate(op.get("parameters", [])):
            ref = parameter.get("$ref", "")
            name = ref.rsplit("/", 1)[-1]
            if name in shared:
                op["parameters"][index] = copy.deepcopy(shared[name])
                op["parameters"][index]["description"] = "inline now"
    for schema in d.get("components", {}).get("schemas", {}).values():
        if schema.get("type") == "string" and "enum" not in schema:
            schema["type"] = "integer"


def split_schemas(d: Document) -> None:
    """Object schemas get a readOnly property: they may split into Request/Response variants."""
    for schema in d.get("components", {}).get("schemas", {}).values():
        if isinstance(schema.get("properties"), dict):
            schema["properties"]["zz_read_only"] = {"type": "string", "readOnly": True}


def remove_schemas(d: Document) -> None:
    """Component schemas go; what named them is then `Any`."""
    schemas = d.get("components", {}).get("schemas", {})
    for name in list(schemas)[::2]:
        del schemas[name]


def edit_document_security(d: Document) -> None:
    if "security" in d:
        del d["security"]
    else:
        d["security"] = [{name: []} for name in d.get("components", {}).get("securitySchemes", {})]


def rename_components(d: Document) -> None:
    """Every schema gets another name, so class names (the plan) change everywhere."""
    schemas = d.get("components", {}).get("schemas", {})
    text = json.dumps(d)
    for name in schemas:
        text = text.replace(f'"#/components/schemas/{name}"', f'"#/components/schemas/{name}Zz"')
    renamed = json.loads(text)
    components = renamed.setdefault("components", {})
    components["schemas"] = {
        f"{name}Zz": schema for name, schema in components.get("schemas", {}).items()
    }
    d.clear()
    d.update(renamed)


def add_operation(d: Document) -> None:
    d.setdefault("paths", {})["/added/{thing}"] = {
        "get": {
            "operationId": "addedOne",
            "parameters": [
                {"name": "thing", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {"200": {"description": "ok", "content": {"text/plain": {}}}},
        }
    }


def remove_first_operation(d: Document) -> None:
    paths = d.get("paths", {})
    if paths:
        del paths[next(iter(paths))]


EDITS: list[Callable[[Document], None]] = [
    edit_summary,
    edit_response_components,
    edit_parameter_components,
    edit_scalar_schemas,
    inline_parameter_refs,
    edit_document_security,
    split_schemas,
    add_operation,
    rename_components,
    remove_first_operation,
    remove_schemas,
]


@pytest.mark.parametrize(
    "contract", CONTRACTS, ids=lambda p: p.stem if p.stem != "openapi" else p.parent.name
)
@pytest.mark.parametrize("order", ["forward", "backward"])
def test_a_build_from_the_cache_after_edits_equals_a_build_without_it(
    contract: Path, order: str, tmp_path: Path
) -> None:
    document = copy.deepcopy(load_contract(contract).document)
    path = tmp_path / "drafts.pickle"
    assert _view(document, DraftStore(path, "ctx")) == _view(document, None)  # cold
    for edit in EDITS if order == "forward" else EDITS[::-1]:
        edit(document)
        assert _view(document, DraftStore(path, "ctx")) == _view(document, None), edit.__name__


def test_an_operation_edit_drafts_that_operation_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = copy.deepcopy(load_contract(CONTRACTS[0]).document)
    path = tmp_path / "drafts.pickle"
    _view(document, DraftStore(path, "ctx"))
    drafted: list[str] = []
    real = ViewBuilder._draft

    def counting(self: ViewBuilder, raw: Any) -> Any:
        drafted.append(raw.pointer)
        return real(self, raw)

    monkeypatch.setattr(ViewBuilder, "_draft", counting)
    _view(document, DraftStore(path, "ctx"))
    assert drafted == []
    edit_summary(document)
    assert _view(document, DraftStore(path, "ctx")) == _view(document, None)
    assert len(drafted) == len(_operations(document)) + 1  # one from the cache's build
    drafted.clear()
    edit_parameter_components(document)  # read by every operation that takes one of them
    _view(document, DraftStore(path, "ctx"))
    assert 0 < len(drafted) < len(_operations(document))


def test_a_class_that_was_not_generated_redrafts_what_named_it(tmp_path: Path) -> None:
    """The generated classes are a question drafts ask: a variant split or dropped counts."""
    document = copy.deepcopy(load_contract(CONTRACTS[0]).document)
    path = tmp_path / "drafts.pickle"
    classes = _classes(document)
    _view(document, DraftStore(path, "ctx"), classes)
    for name in sorted(classes):
        fewer = classes - {name}
        try:
            expected = _view(document, None, fewer)
        except LookupError:  # a component's class is missing: the build fails, cache or not
            with pytest.raises(LookupError):
                _view(document, DraftStore(path, "ctx"), fewer)
            continue
        assert _view(document, DraftStore(path, "ctx"), fewer) == expected, name


def _damaged(data: bytes) -> list[bytes]:
    head, _, payload = data.partition(b"\n\n")
    middle = len(payload) // 2
    flipped = payload[:middle] + bytes([payload[middle] ^ 0x55]) + payload[middle + 1 :]
    return [  # empty, not ours, cut short, one byte changed, a digest that does not match
        b"",
        b"garbage",
        data[: len(data) // 2],
        head + b"\n\n" + flipped,
        b"specfirst-view-cache 1\n" + b"0" * 64 + b"\n\n" + payload,
    ]


def test_a_damaged_cache_file_is_ignored(tmp_path: Path) -> None:
    document = copy.deepcopy(load_contract(CONTRACTS[0]).document)
    path = tmp_path / "drafts.pickle"
    _view(document, DraftStore(path, "ctx"))
    expected = _view(document, None)
    for damaged in _damaged(path.read_bytes()):
        path.write_bytes(damaged)
        store = DraftStore(path, "ctx")
        assert store.entries == {}
        assert _view(document, store) == expected


def test_a_cache_file_that_would_build_anything_else_is_refused(tmp_path: Path) -> None:
    import hashlib
    import os

    payload = pickle.dumps(("ctx", {"k": ((), os.getcwd)}), protocol=5)
    path = tmp_path / "drafts.pickle"
    digest = hashlib.sha256(payload).hexdigest().encode()
    path.write_bytes(b"specfirst-view-cache 1\n" + digest + b"\n\n" + payload)
    assert DraftStore(path, "ctx").entries == {}


def test_another_generator_ignores_the_drafts(tmp_path: Path) -> None:
    document = copy.deepcopy(load_contract(CONTRACTS[0]).document)
    path = tmp_path / "drafts.pickle"
    _view(document, DraftStore(path, "ctx"))
    assert DraftStore(path, "ctx").entries
    assert DraftStore(path, "other generator").entries == {}


def test_questions_are_recorded_for_every_channel(tmp_path: Path) -> None:
    """The kinds of question a draft of the Tasks API asks: a channel left unrecorded would
    let a cached draft outlive what it read."""
    document = copy.deepcopy(load_contract(CONTRACTS[0]).document)
    store = DraftStore(tmp_path / "drafts.pickle", "ctx")
    _view(document, store)
    kinds = {kind for reads, *_ in store.used.values() for kind, _, _ in reads}
    assert kinds >= {"ref", "class", "generated", "family", "schema"}
    builder = ViewBuilder(
        document, plan_models(document), set(), package="p", contract_path="", contract_sha256=""
    )
    assert not isinstance(builder.types, build_module._RecordingTypes)  # records with a store only


def _listed_view(document: Document, path: Path, sha: str, of: str | None) -> ApiView:
    store = DraftStore(path, "ctx")
    api = ViewBuilder(
        document,
        plan_models(document),
        _classes(document),
        package="p",
        contract_path="api.yaml",
        contract_sha256=sha,
        store=store,
        operations_of=of,
    ).build()
    store.save()
    return dataclasses.replace(api, contract_sha256="0" * 64)  # as `_view` builds it


@pytest.mark.parametrize(
    "contract", CONTRACTS, ids=lambda p: p.stem if p.stem != "openapi" else p.parent.name
)
def test_schema_edits_take_the_listed_operations_and_build_what_a_build_without_cache_does(
    contract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an edit inside the component schemas, the operations come from the last run's list
    (no walk over them), those whose answers changed found again by path and method; a list
    made of another contract is not taken."""
    document = copy.deepcopy(load_contract(contract).document)
    path = tmp_path / "drafts.pickle"
    walks: list[int] = []
    real = build_module.iter_operations

    def counted(*args: Any) -> Any:
        caller = sys._getframe(1)
        if caller.f_code.co_name == "drafts" and caller.f_locals["self"].store is not None:
            walks.append(1)  # a build with a store walked the operations (not the plan's walk)
        return real(*args)

    monkeypatch.setattr(build_module, "iter_operations", counted)
    assert _listed_view(document, path, "run0", None) == _view(document, None)
    walks.clear()
    schema_edits = [edit_scalar_schemas, split_schemas, remove_schemas]
    for number, edit in enumerate(schema_edits, 1):
        edit(document)
        built = _listed_view(document, path, f"run{number}", f"run{number - 1}")
        assert built == _view(document, None), edit.__name__
    assert walks == []  # every build took the list
    # A list made of another contract is not this one's: the operations are walked.
    edit_summary(document)
    assert _listed_view(document, path, "run9", "not the last run") == _view(document, None)
    assert walks


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_run_after_a_schema_edit_takes_the_listed_operations(
    suffix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through `generate_package`: a schema edit (YAML spliced, JSON inside one schema's value)
    takes the last run's list of operations; an operation edit does not; the package is the
    one a cold run writes."""
    from specfirst.generator import pipeline

    taken: list[bool] = []
    real = ViewBuilder._listed_drafts

    def recorded(self: ViewBuilder, listed: Any) -> Any:
        found = real(self, listed)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(ViewBuilder, "_listed_drafts", recorded)
    document = load_contract(CONTRACTS[0]).document
    contract = tmp_path / f"api{suffix}"

    def write(data: Document) -> None:
        if suffix == ".json":
            contract.write_text(json.dumps(data), encoding="utf-8")
        else:
            import yaml

            contract.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    write(document)
    out = tmp_path / "out"
    pipeline.generate_package(contract, "api", out)
    schema = next(iter(document["components"]["schemas"].values()))
    schema["description"] = "Edited by the test."
    write(document)
    pipeline.generate_package(contract, "api", out)
    assert taken == [True]
    edit_summary(document)
    write(document)
    pipeline.generate_package(contract, "api", out)
    assert taken == [True]  # an operation edit walks the operations
    cold = tmp_path / "cold"
    monkeypatch.setenv("SPECFIRST_STATE_DIR", str(tmp_path / "no-state"))
    pipeline.generate_package(contract, "api", cold)
    assert write_module.tree_files(cold / "api") == write_module.tree_files(out / "api")
