"""The resident models worker (`resident`): one per key, in a private folder, serving loaded
copies to runs that get the modules a fresh worker gives, and leaving no process behind (each
test starts its own in a runtime folder of its own and ends it)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_model_queue import run_in_processes

from specfirst.generator import pipeline
from specfirst.generator.pydantic_models import driver, resident
from specfirst.generator.pydantic_models import parts as model_parts
from specfirst.generator.write import tree_files

CONTRACT = Path(__file__).parent / "fixtures" / "model_parts.yaml"
# Waiting for a process to act is bounded far above what it needs (no timing is tested).
PATIENCE = 60.0


def _eventually(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for its parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    """Every child of `pid`, zombies included."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _residents(runtime: Path) -> list[int]:
    """The residents started under this runtime folder (their environment names it), not
    their copies (which run the same command, as children of one)."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
            parent = _parent(int(proc.name))
        except OSError:
            continue
        if (
            command[1:3] == [b"-m", b"specfirst.generator.pydantic_models.resident"]
            and f"XDG_RUNTIME_DIR={runtime}".encode() in environ
            and _alive(int(proc.name))
        ):
            found[int(proc.name)] = parent
    return [pid for pid, parent in found.items() if parent not in found]


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The resident on, in a runtime folder of this test's (short: a socket's path is at most
    107 bytes), two cores; every resident started here is killed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="sf-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    monkeypatch.setenv(resident.ENV, "1")
    monkeypatch.setattr(driver, "usable_cores", lambda: 2)
    yield folder
    for pid in _residents(folder):
        os.kill(pid, signal.SIGKILL)
    assert _eventually(lambda: not _residents(folder))
    shutil.rmtree(folder)


def _pid(runtime: Path) -> int:
    """The running resident's pid, from its lock file (once it has written it)."""
    _, lock = resident.paths(runtime / "specfirst", resident.key())
    assert _eventually(lambda: lock.exists() and lock.read_text().strip().isdigit())
    return int(lock.read_text())


def _leased() -> driver.PrestartedWorker:
    pool = driver.PrestartedWorker.start()
    assert pool is not None
    assert pool.lease is not None  # the resident's copies
    assert pool.process is None
    return pool


def _document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    return document


def test_runs_get_the_modules_a_run_without_the_resident_gets(
    runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run starts the resident and its parts run on its copies; so do the next
    run's; the package is the one a run with no resident writes."""
    pools: list[driver.PrestartedWorker | None] = []
    start = driver.PrestartedWorker.start.__func__  # type: ignore[attr-defined]

    def recorded(cls: type[driver.PrestartedWorker]) -> driver.PrestartedWorker | None:
        pools.append(start(cls))
        return pools[-1]

    monkeypatch.setattr(driver.PrestartedWorker, "start", classmethod(recorded))
    monkeypatch.setattr(model_parts, "MIN_BYTES", 0)
    monkeypatch.setattr(model_parts, "PART_BYTES", 1)
    contract = tmp_path / "openapi.json"
    document = _document()
    for run in range(2):
        document["components"]["schemas"]["Pet"]["description"] = f"edit {run}"
        contract.write_text(json.dumps(document), encoding="utf-8")
        monkeypatch.setenv("SPECFIRST_STATE_DIR", str(tmp_path / "state"))
        monkeypatch.setenv(resident.ENV, "1")
        pipeline.generate_package(contract, "zoo_api", tmp_path / "out")
        monkeypatch.setenv("SPECFIRST_STATE_DIR", str(tmp_path / f"plain-state-{run}"))
        monkeypatch.setenv(resident.ENV, "0")
        pipeline.generate_package(contract, "zoo_api", tmp_path / f"plain-{run}")
        assert tree_files(tmp_path / "out" / "zoo_api") == tree_files(
            tmp_path / f"plain-{run}" / "zoo_api"
        )
    served = [pool for pool in pools if pool is not None and pool.lease is not None]
    plain = [pool for pool in pools if pool is not None and pool.process is not None]
    assert served
    assert plain
    assert len(_residents(runtime)) == 1
    assert len(served) + len(plain) == len([p for p in pools if p is not None])
    pids = {pid for pool in served for pid in pool.lease.pids or []}  # type: ignore[union-attr]
    assert pids
    assert all(not _alive(pid) for pid in pids)  # the copies ended with their runs


def test_a_pool_from_the_resident_gives_the_modules_one_process_gives(
    runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = [_part(name) for name in ("Pet", "Event", "Visit")]
    expected = [driver._run_datamodel_codegen(d) for d in documents]
    for _ in range(2):  # the first from the resident the start starts, then from it again
        pool = _leased()
        assert pool.lease is not None
        try:
            copies = pool.lease.answer(PATIENCE)
            assert copies is not None
            assert len(copies) == 2
            assert {_parent(pid) for pid in copies} == {_pid(runtime)}  # its children
            assert run_in_processes(documents, pool) == expected
        finally:
            pool.close()
    assert len(_residents(runtime)) == 1


def _part(name: str) -> dict[str, Any]:
    """A one-schema document, as a part is."""
    schemas = _document()["components"]["schemas"]
    schema = {k: v for k, v in schemas[name].items() if k != "properties"}
    return {
        "openapi": "3.0.3",
        "info": {"title": name, "version": "0"},
        "paths": {},
        "components": {"schemas": {name: {**schema, "type": "object"}}},
    }


def test_another_fingerprint_names_another_resident_and_is_refused(
    runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = _leased()
    pool.close()
    ours = resident.key()
    monkeypatch.setattr(driver, "_FINGERPRINT", ["another generator"])
    other = resident.key()
    assert other != ours
    folder = runtime / "specfirst"
    assert resident.paths(folder, other)[0] != resident.paths(folder, ours)[0]
    # A request of another key at our resident's socket gets no copies.
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(os.fspath(resident.paths(folder, ours)[0]))
    read, write = os.pipe()
    socket.send_fds(connection, [json.dumps({"key": other}).encode() + b"\n"], [read, write])
    os.close(read)
    os.close(write)
    connection.settimeout(PATIENCE)
    assert connection.recv(4096) == b""  # closed unanswered: no copies
    connection.close()
    # A resident started for a key its code does not have serves nobody.
    assert resident.main(["-1", "-1", ours, "1", "0", "0"]) == 1


@pytest.mark.parametrize("flaw", ["open to the group", "a symlink", "another user's"])
def test_a_runtime_folder_others_can_reach_is_refused(
    flaw: str, runtime: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = runtime / "specfirst"
    if flaw == "open to the group":
        folder.mkdir(mode=0o700)
        folder.chmod(0o750)
    elif flaw == "a symlink":
        target = tmp_path / "elsewhere"
        target.mkdir(mode=0o700)
        folder.symlink_to(target)
    else:
        if os.getuid() != 0:
            pytest.skip("only root can give a folder to another user")
        folder.mkdir(mode=0o700)
        os.chown(folder, 65534, 65534)
    with pytest.raises(resident.RefusedError):
        resident.runtime_folder()
    pool = driver.PrestartedWorker.start()
    assert pool is not None
    try:
        assert pool.lease is None
        assert pool.process is not None  # a worker of its own, as without the resident
    finally:
        pool.close()
    assert "no resident models worker" in capsys.readouterr().err
    assert not _residents(runtime)


def test_a_stale_socket_is_replaced(runtime: Path) -> None:
    folder = runtime / "specfirst"
    folder.mkdir(mode=0o700)
    path, _ = resident.paths(folder, resident.key())
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(os.fspath(path))  # bound, never listening: as a resident killed leaves it
    dead.close()
    assert not _listening(path)
    pool = _leased()
    pool.close()
    assert _listening(path)
    assert len(_residents(runtime)) == 1


def _listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(os.fspath(path))
        except OSError:
            return False
    return True


def test_concurrent_runs_start_one_resident(runtime: Path) -> None:
    barrier = threading.Barrier(4)
    pools: list[driver.PrestartedWorker | None] = []

    def run() -> None:
        barrier.wait()
        pools.append(driver.PrestartedWorker.start())

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for pool in pools:
        assert pool is not None
        pool.close()
    assert any(pool is not None and pool.lease is not None for pool in pools)
    assert len(_residents(runtime)) == 1


def test_a_run_that_found_no_resident_while_one_starts_starts_none(runtime: Path) -> None:
    """Two runs that looked before either bound the socket: the second finds the lock
    taken and starts no resident (its caller starts a worker of its own)."""
    pool = _leased()
    path, lock = resident.paths(runtime / "specfirst", resident.key())
    read, write = os.pipe()
    try:
        request = json.dumps({"key": resident.key()}).encode() + b"\n"
        assert resident._start(path, lock, resident.key(), request, [read, write]) is None
    finally:
        os.close(read)
        os.close(write)
        pool.close()
    assert len(_residents(runtime)) == 1
    assert _listening(path)


def test_the_resident_leaves_when_idle_its_socket_goes_or_on_sigterm(
    runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, lock = resident.paths(runtime / "specfirst", resident.key())
    monkeypatch.setattr(resident, "IDLE_SECONDS", 0.5)
    _leased().close()
    assert _eventually(lambda: not _residents(runtime))
    assert not path.exists()  # it removed its socket and lock file
    assert not lock.exists()
    monkeypatch.setattr(resident, "IDLE_SECONDS", 600.0)
    _leased().close()
    pid = _pid(runtime)
    path.unlink()
    assert _eventually(lambda: not _alive(pid)), "still there without its socket"
    _leased().close()
    pid = _pid(runtime)
    os.kill(pid, signal.SIGTERM)
    assert _eventually(lambda: not _alive(pid)), "still there after SIGTERM"
    assert not path.exists()


def test_a_resident_killed_mid_run_leaves_the_run_whole_and_is_replaced(runtime: Path) -> None:
    """The resident and then each copy are killed as modules come: the documents the copies
    held go back to the queue, this process runs what is left, and the next run starts a new
    resident."""
    documents = [_part(name) for name in ("Pet", "Event", "Visit", "Ticket", "Zoo")]
    expected = [driver._run_datamodel_codegen(d) for d in documents]
    pool = _leased()
    first = _pid(runtime)
    run = driver.run_parts([json.dumps(d) for d in documents], pool)
    got: dict[int, str] = {}
    try:
        for index, module in run.results():
            got[index] = module
            if len(got) == 1:
                os.kill(first, signal.SIGKILL)
                assert pool.lease is not None
                copies = pool.lease.answer(PATIENCE)
                assert copies is not None
                os.kill(copies[0], signal.SIGKILL)
            elif len(got) == 2:
                os.kill(copies[1], signal.SIGKILL)
    finally:
        run.close()
        pool.close()
    assert [got[i] for i in range(len(documents))] == expected
    assert _eventually(lambda: not _residents(runtime))
    _leased().close()
    assert _pid(runtime) != first


def test_the_resident_reaps_its_copies_and_close_kills_them(runtime: Path) -> None:
    documents = [_part("Pet")]
    for _ in range(3):
        pool = _leased()
        try:
            run_in_processes(documents, pool)
        finally:
            pool.close()
    unused = _leased()
    assert unused.lease is not None
    copies = unused.lease.answer(PATIENCE)
    assert copies is not None
    assert all(_alive(pid) for pid in copies)  # they wait on their channels
    for pid in copies:  # stopped, they would not see their channels close: only a kill ends them
        os.kill(pid, signal.SIGSTOP)
    try:
        unused.close()  # a run cut short
        pid = _pid(runtime)
        assert _eventually(lambda: not _children(pid))  # every copy killed and reaped
    finally:
        for pid in copies:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def test_the_resident_is_off_when_asked_and_in_ci(
    runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    for value, wanted in [("0", False), ("off", False), ("1", True), ("", True)]:
        monkeypatch.setenv(resident.ENV, value)
        assert resident.enabled() is wanted
    monkeypatch.delenv(resident.ENV)
    assert resident.enabled()
    monkeypatch.setenv("CI", "true")
    assert not resident.enabled()
    monkeypatch.setenv(resident.ENV, "1")
    assert resident.enabled()  # asked for, even in CI
    monkeypatch.setenv(resident.ENV, "0")
    pool = driver.PrestartedWorker.start()
    assert pool is not None
    try:
        assert pool.lease is None
        assert pool.process is not None
    finally:
        pool.close()
    assert not (runtime / "specfirst").exists()
    assert not _residents(runtime)
