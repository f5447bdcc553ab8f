"""The parts run as one queue on a pool of workers (`driver.PartRun`): whatever the cores, the
order of the documents, and the workers that fail or die on the way, every document gets the
module one process gives it, under its own index."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from specfirst.generator.build import plan_models
from specfirst.generator.pydantic_models import driver as models
from specfirst.generator.pydantic_models import parts as model_parts
from specfirst.generator.pydantic_models.parts import plan_parts
from specfirst.loader import load_contract

PARTS_FIXTURE = Path(__file__).parent / "fixtures" / "model_parts.yaml"


def run_in_processes(
    documents: list[dict[str, Any]], prestarted: models.PrestartedWorker | None = None
) -> list[str]:
    """`run_parts` on the documents, their modules in the documents' order (as the driver reads
    them: every result, then `close`)."""
    run = models.run_parts([json.dumps(d) for d in documents], prestarted)
    try:
        modules = dict(run.results())
    finally:
        run.close()
    return [modules[i] for i in range(len(documents))]


def models_document(contract: Path) -> dict[str, Any]:
    document = load_contract(contract).document
    return plan_models(document).build(document)


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    """The parts of the parts fixture, one or two schemas each: more parts than workers, and
    modules that all differ (a module under the wrong index would show)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model_parts, "MIN_BYTES", 0)
        patch.setattr(model_parts, "PART_BYTES", 1)
        texts = dict.fromkeys(p.text for p in plan_parts(models_document(PARTS_FIXTURE)))
    found = [json.loads(text) for text in texts]  # the members of one discriminator: once
    assert len(found) >= 6
    return found


@pytest.fixture(scope="module")
def expected(documents: list[dict[str, Any]]) -> list[str]:
    modules = [models._run_datamodel_codegen(d) for d in documents]
    assert len(set(modules)) == len(modules)
    return modules


def _refused() -> dict[str, Any]:
    """A document datamodel-code-generator refuses (an enum that is not a list)."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "refused", "version": "0"},
        "paths": {},
        "components": {"schemas": {"Broken": {"type": "string", "enum": 5}}},
    }


@pytest.mark.parametrize("cores", [1, 2, 3])
@pytest.mark.parametrize("order", ["forward", "reversed"])
def test_every_document_gets_its_own_module_whatever_the_cores_and_order(
    cores: int,
    order: str,
    documents: list[dict[str, Any]],
    expected: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(models, "usable_cores", lambda: cores)
    given = documents if order == "forward" else documents[::-1]
    wanted = expected if order == "forward" else expected[::-1]
    assert run_in_processes(given) == wanted


def test_one_core_runs_in_this_process(
    documents: list[dict[str, Any]], expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "usable_cores", lambda: 1)
    assert models.PrestartedWorker.start() is None
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")  # no worker could start
    assert run_in_processes(documents) == expected


@pytest.mark.parametrize("count", [1, 3, None], ids=["one part", "three parts", "all parts"])
def test_a_prestarted_pool_gives_the_modules_one_process_gives_and_is_let_go(
    count: int | None,
    documents: list[dict[str, Any]],
    expected: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(models, "usable_cores", lambda: 2)
    pool = models.PrestartedWorker.start()
    assert pool is not None
    assert pool.process is not None  # its own worker: the resident is off (conftest)
    assert pool.folder is not None
    assert len(pool.channels) == 2
    try:
        spread = run_in_processes(documents[:count], pool)
    finally:
        pool.close()
    assert spread == expected[:count]
    assert pool.process.returncode == 0  # it ran its share and exited: it was not killed
    assert not pool.folder.exists()


def test_an_unused_pool_is_killed_and_a_dead_one_leaves_the_work_to_this_process(
    documents: list[dict[str, Any]], expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "usable_cores", lambda: 2)
    unused = models.PrestartedWorker.start()
    assert unused is not None
    assert unused.process is not None
    assert unused.folder is not None
    unused.close()
    assert unused.process.returncode == -signal.SIGKILL
    assert not unused.folder.exists()
    # Every part cached: a run of nothing leaves the pool to be killed, not waited for (it
    # may still be loading).
    idle = models.PrestartedWorker.start()
    assert idle is not None
    assert idle.process is not None  # its own worker: the resident is off (conftest)
    assert run_in_processes([], idle) == []
    idle.close()
    assert idle.process.returncode == -signal.SIGKILL
    monkeypatch.setattr(sys, "executable", "/bin/false")
    dead = models.PrestartedWorker.start()
    assert dead is not None
    assert dead.process is not None  # its own worker: the resident is off (conftest)
    dead.process.wait()
    try:
        assert run_in_processes(documents, dead) == expected
    finally:
        dead.close()
    assert run_in_processes(documents) == expected  # a pool started here: dead too


def test_workers_that_die_mid_run_leave_their_documents_to_the_others(
    documents: list[dict[str, Any]], expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first worker is killed after the first module, the rest of its group after the
    second: the document each held goes back to the queue, and this process runs what is
    left when no worker is."""
    monkeypatch.setattr(models, "usable_cores", lambda: 2)
    pool = models.PrestartedWorker.start()
    assert pool is not None
    assert pool.process is not None  # its own worker: the resident is off (conftest)
    run = models.run_parts([json.dumps(d) for d in documents], pool)
    got: dict[int, str] = {}
    try:
        for index, module in run.results():
            got[index] = module
            if len(got) == 1:
                os.kill(pool.process.pid, signal.SIGKILL)
            elif len(got) == 2:
                os.killpg(pool.process.pid, signal.SIGKILL)
    finally:
        run.close()
        pool.close()
    assert [got[i] for i in range(len(documents))] == expected
    assert pool.process.returncode == -signal.SIGKILL


def test_a_refused_document_stops_the_run_with_datamodel_code_generator_s_message(
    documents: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "usable_cores", lambda: 2)
    with pytest.raises(models.ModelGenerationError) as in_process:
        models._run_datamodel_codegen(_refused())
    pool = models.PrestartedWorker.start()
    assert pool is not None
    assert pool.process is not None  # its own worker: the resident is off (conftest)
    try:
        with pytest.raises(models.ModelGenerationError) as refused:
            run_in_processes([*documents, _refused()], pool)
        assert pool.process.poll() is not None  # the run ended its workers
    finally:
        pool.close()
    assert str(refused.value) == str(in_process.value)


def test_a_guess_left_to_this_process_is_not_run_here(
    documents: list[dict[str, Any]], expected: list[str]
) -> None:
    """A guess (`ahead`: optional) that no worker answered is not needed: this process, which
    would raise on a refused one and so run the document whole, leaves it."""
    run = models.PartRun([json.dumps(_refused()), json.dumps(documents[0])], None, owned=False)
    run.optional = {0}
    try:
        assert list(run.results()) == [(1, expected[0])]
    finally:
        run.close()


def test_messages_carry_any_text_and_a_torn_one_reads_as_the_end() -> None:
    stream = io.BytesIO()
    texts = ["", "two\nlines", "ünïcode \u2028 and 7 digits 1234567"]
    for text in texts:
        models.write_message(stream, "ok", text)
    whole = stream.getvalue()
    stream.seek(0)
    assert [models.read_message(stream) for _ in texts] == [("ok", t) for t in texts]
    assert models.read_message(stream) is None
    assert models.read_message(io.BytesIO(whole[:-1])) == ("ok", "")  # the first is whole
    torn = io.BytesIO(whole[: len(whole) - 1])
    for _ in texts[:-1]:
        assert models.read_message(torn) is not None
    assert models.read_message(torn) is None
    assert models.read_message(io.BytesIO(b"ok 12")) is None


def test_a_refused_part_makes_the_document_run_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """One run says why a part was refused (or, as here, gives the module after all)."""
    document = models_document(PARTS_FIXTURE)
    whole = models.generate_models(document, "# head")

    def refuse(self: models.PartRun) -> Any:
        raise models.ModelGenerationError("refused")
        yield  # a generator, as `results` is

    monkeypatch.setattr(model_parts, "MIN_BYTES", 0)
    monkeypatch.setattr(model_parts, "PART_BYTES", 1)
    monkeypatch.setattr(models.PartRun, "results", refuse)
    ran_whole: list[dict[str, Any]] = []
    real = models._run_datamodel_codegen

    def one_run(doc: dict[str, Any]) -> str:
        ran_whole.append(doc)
        return real(doc)

    monkeypatch.setattr(models, "_run_datamodel_codegen", one_run)
    assert models.generate_models(document, "# head") == whole
    assert ran_whole == [document]
