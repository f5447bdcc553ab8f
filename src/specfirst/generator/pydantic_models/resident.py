"""A resident models worker: one long-lived process, datamodel-code-generator loaded and warmed
up, that forks a loaded copy per channel when a run asks (a zygote, like Mercurial's chg
command server or mypy's daemon).

A fresh worker (`worker`) spends about 0.6 s of CPU loading datamodel-code-generator before it
runs the one part a schema edit changed, on a core the run itself needs. The resident pays that
once: a run connects to its Unix socket, passes the pipe ends of its channels
(`socket.send_fds`), and the resident forks one copy per channel, each serving it as a worker
does (`worker.serve`), and answers with their pids. The copies are the resident's children (it
reaps them); the run ends them by pid when it stops early (`Lease.kill`), else they exit when
their channel closes.

One resident per key (`key`: the user, the interpreter, the package's location and the
generator's fingerprint, which covers datamodel-code-generator's version): a code change in the
generator names another socket, and the resident also checks each request's key against its
own, so a resident of other code never serves. The socket lives in a private folder
(`runtime_folder`); a lock file, held by the resident for its lifetime, keeps it the only one.
The resident exits after `IDLE_SECONDS` without a request, when its socket file is removed or
replaced, and on SIGTERM.

A run never waits for the resident nor fails for it: when there is none, the run binds the
socket itself, queues its own request on it and starts the resident in the background, which
answers that request once loaded (so even the first run loads datamodel-code-generator once);
anything unexpected gives `None` and the caller starts a worker as before. Off with
`SPECFIRST_RESIDENT_WORKER=0`, and by default when `CI` is set (a CI job should leave no
process behind): see docs/configuration.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import select
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

ENV = "SPECFIRST_RESIDENT_WORKER"
# Edits come seconds to minutes apart; ten idle minutes keep the resident through a pause to
# read or think, and free its memory (about 100 MiB, mostly shared with nothing) soon after.
IDLE_SECONDS = 600.0
# How often an idle resident checks that its socket file is still its own.
CHECK_SECONDS = 5.0
# How long a run waits for a running resident's answer before it starts its own worker (an
# idle resident answers in milliseconds; one still loading would make the run wait).
ANSWER_SECONDS = 0.5
# How long `Lease.kill` waits for pids not yet known: a resident still loading sends them once
# it forks, and copies forked after their channels closed exit at once anyway.
_KILL_SECONDS = 0.05
_SUN_PATH_MAX = 107  # bytes of a Unix socket's path, on Linux
_MAX_FDS = 256  # two per channel: far above any core count a run asks for


class RefusedError(Exception):
    """The runtime folder is not private to this user: no resident is used."""


def enabled() -> bool:
    """`SPECFIRST_RESIDENT_WORKER`: 0 (or off, false, no) turns it off, anything else on;
    unset, on unless `CI` is set. Only where the kernel says who is at the other end of a
    socket and processes fork (Linux)."""
    value = os.environ.get(ENV)
    if value is None:
        wanted = os.environ.get("CI", "").lower() in ("", "0", "false", "no")
    else:
        wanted = value.strip().lower() not in ("0", "off", "false", "no")
    return wanted and hasattr(socket, "SO_PEERCRED") and hasattr(os, "fork")


def key() -> str:
    """What a resident must share with a run to serve it (see the module's docstring).
    `_code_fingerprint` covers datamodel-code-generator's and pydantic's versions, read where
    the kept fingerprint has them: an edit's run does not import `importlib.metadata`."""
    from specfirst.generator.pydantic_models.driver import _code_fingerprint

    package = Path(__file__).resolve().parents[3]
    parts = [
        str(os.getuid()),
        sys.executable,
        sys.version,
        str(package),
        _code_fingerprint(),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def runtime_folder() -> Path:
    """`$XDG_RUNTIME_DIR/specfirst`, else `<temp>/specfirst-<uid>`: made 0700 when missing;
    `RefusedError` when it is not a folder of this user's that only this user can enter."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        folder = Path(runtime) / "specfirst"
    else:
        folder = Path(tempfile.gettempdir()) / f"specfirst-{os.getuid()}"
    try:
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        info = os.lstat(folder)
    except OSError as error:
        raise RefusedError(f"{folder}: {error}") from error
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise RefusedError(f"{folder} is not a folder of this user's")
    if info.st_mode & 0o077:
        raise RefusedError(f"{folder} is open to other users")
    return folder


def paths(folder: Path, name: str) -> tuple[Path, Path]:
    """The socket and the lock file of the resident of key `name`, in `folder`."""
    short = name[:16]
    return folder / f"models-{short}.sock", folder / f"models-{short}.lock"


class Lease:
    """The copies a resident forked for one run: their pids come on the connection (at once
    from a running resident; from one just started, once it has loaded)."""

    def __init__(self, connection: socket.socket, key: str) -> None:
        self.connection = connection
        self.key = key
        self.pids: list[int] | None = None

    def answer(self, timeout: float) -> list[int] | None:
        """The copies' pids, waiting at most `timeout` seconds; None when the resident refused,
        ended or has not answered yet."""
        if self.pids is None:
            try:
                self.connection.settimeout(timeout)
                line = self.connection.makefile("rb").readline()
                answer = json.loads(line) if line.endswith(b"\n") else None
            except (OSError, ValueError):
                return None
            if isinstance(answer, dict) and answer.get("key") == self.key:
                pids = answer.get("pids")
                if isinstance(pids, list) and all(isinstance(p, int) and p > 0 for p in pids):
                    self.pids = pids
        return self.pids

    def kill(self) -> None:
        """End the copies at once (the run stopped before they were through). Called while
        this process still holds their channels, so each copy is alive and its pid still its
        own unless something else killed it."""
        for pid in self.answer(_KILL_SECONDS) or []:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        self.connection.close()


def lease(channel_fds: list[tuple[int, int]]) -> Lease | None:
    """Copies of the resident serving `channel_fds` (each the worker's read and write ends,
    which the caller closes after): from the running resident, or from one started here in the
    background. None when the resident is off, refused or failed: start a worker as before."""
    if not enabled():
        return None
    try:
        folder = runtime_folder()
    except RefusedError as refused:
        print(f"specfirst: no resident models worker: {refused}", file=sys.stderr)
        return None
    name = key()
    path, lock = paths(folder, name)
    if len(os.fsencode(path)) > _SUN_PATH_MAX:
        return None
    request = json.dumps({"key": name}).encode() + b"\n"
    fds = [fd for pair in channel_fds for fd in pair]
    connection = _connect(path)
    if connection is not None:
        try:
            socket.send_fds(connection, [request], fds)
        except OSError:
            connection.close()
            return None
        running = Lease(connection, name)
        if running.answer(ANSWER_SECONDS) is None:  # refused, ended, or still loading
            running.close()
            return None
        return running
    return _start(path, lock, name, request, fds)


def _connect(path: Path) -> socket.socket | None:
    """A connection to the resident listening at `path`, checked to be this user's."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(os.fspath(path))
        if _peer_uid(connection) != os.getuid():
            raise OSError("the resident is another user's")
    except OSError:
        connection.close()
        return None
    return connection


def _peer_uid(connection: socket.socket) -> int:
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    return int(struct.unpack("3i", credentials)[1])


def _start(path: Path, lock: Path, name: str, request: bytes, fds: list[int]) -> Lease | None:
    """No resident listens at `path`: unless another holds the lock (one is starting, or one
    whose socket was removed is leaving), bind the socket here, queue this run's request on it
    and start the resident, which inherits the socket and the lock."""
    from specfirst.generator.pydantic_models.driver import _worker_env

    try:
        lock_fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bound: tuple[int, int] | None = None
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(lock_fd, 0)  # the pid of a resident gone: the new one writes its own
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # stale: the lock was free, so nobody listens there
        listener.bind(os.fspath(path))
        bound = _identity(path)
        if bound is None:
            raise OSError("the socket vanished as it was bound")
        listener.listen(16)
        connection.connect(os.fspath(path))
        socket.send_fds(connection, [request], fds)
        with path.with_suffix(".log").open("ab") as log:
            # Through a shell that starts it in the background and exits (in a millisecond
            # or two): the resident is nobody's child here, so it never lingers as a zombie
            # of a long-lived caller, and this process waits for no process of its own.
            subprocess.run(
                [
                    "/bin/sh",
                    "-c",
                    'exec "$@" &',
                    "sh",
                    *_command(listener.fileno(), lock_fd, name, bound),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                pass_fds=(listener.fileno(), lock_fd),
                start_new_session=True,  # not in the terminal's group: Ctrl-C is the run's
                cwd="/",
                env=_worker_env(),
                check=True,
            )
    except (OSError, subprocess.CalledProcessError):
        connection.close()
        if bound is not None and _identity(path) == bound:
            path.unlink(missing_ok=True)
        return None
    finally:
        listener.close()  # the resident's now (or nobody's: the queued request fails with it)
        os.close(lock_fd)  # the lock stays with the resident's copy of this descriptor
    return Lease(connection, name)


def _command(listen_fd: int, lock_fd: int, name: str, bound: tuple[int, int]) -> list[str]:
    module = "specfirst.generator.pydantic_models.resident"
    numbers = [listen_fd, lock_fd, name, IDLE_SECONDS, *bound]
    return [sys.executable, "-m", module, *map(str, numbers)]


# -- the resident ------------------------------------------------------------------------------


class _StopError(BaseException):
    """SIGTERM: leave the loop (raised by the handler, so a wait in `select` ends too; not an
    `Exception`, which datamodel-code-generator's handlers would take for its own error)."""


def serve(
    listener: socket.socket, lock_fd: int, name: str, idle: float, own: tuple[int, int]
) -> int:
    """Fork copies for each request, until idle for `idle` seconds, the socket file is no
    longer the one the run bound (`own`: a socket's own fstat does not name its file), or
    SIGTERM."""
    from specfirst.generator.pydantic_models import worker

    path = listener.getsockname()

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _StopError

    def reap(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGCHLD, reap)
    os.write(lock_fd, f"{os.getpid()}\n".encode())  # names it: `kill $(cat models-*.lock)`
    with contextlib.suppress(_StopError):
        worker.warm_up()
        last = time.monotonic()
        while (left := idle - (time.monotonic() - last)) > 0:
            if select.select([listener], [], [], min(CHECK_SECONDS, left))[0]:
                _answer(listener, name, lock_fd)
                last = time.monotonic()
            if _identity(path) != own:
                break  # removed, or replaced: another resident's now
    if _identity(path) == own:
        _leave(Path(path))
    return 0


def _identity(path: str | Path) -> tuple[int, int] | None:
    """Which file is at `path` (its inode and change time: an inode number alone is reused
    at once by a file made after one removed); None when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_ctime_ns


def _leave(path: Path) -> None:
    """Remove the socket, the lock file and an empty log (still holding the lock: a run that
    opened the old lock file and takes it after this exit binds a socket that a run taking the
    new one would replace, and a replaced resident leaves: so one remains)."""
    with contextlib.suppress(OSError):
        path.unlink()
        path.with_suffix(".lock").unlink()
        log = path.with_suffix(".log")
        if log.stat().st_size == 0:
            log.unlink()


def _answer(listener: socket.socket, name: str, lock_fd: int) -> None:
    """One request: this user's, of this key, gets a copy per channel and their pids."""
    from specfirst.generator.pydantic_models.worker import fork_serving

    try:
        connection, _ = listener.accept()
    except OSError:
        return
    fds: list[int] = []
    with connection:
        try:
            connection.settimeout(ANSWER_SECONDS)
            data, fds, _flags, _address = socket.recv_fds(connection, 4096, _MAX_FDS)
            request = json.loads(data.split(b"\n", 1)[0])
            if _peer_uid(connection) != os.getuid() or request.get("key") != name:
                return
            if len(fds) % 2:
                return
            channels = [
                (os.fdopen(fds[i], "rb"), os.fdopen(fds[i + 1], "wb"))
                for i in range(0, len(fds), 2)
            ]
            fds = []  # the files own them now
            theirs = (listener.fileno(), connection.fileno(), lock_fd)  # the copies close them
            pids = [fork_serving(channels, index, theirs) for index in range(len(channels))]
            for reader, writer in channels:
                reader.close()
                writer.close()
            answer = json.dumps({"key": name, "pids": pids}).encode() + b"\n"
            connection.sendall(answer)
        except (OSError, ValueError, AttributeError):
            return
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)


def main(argv: list[str]) -> int:
    listen_fd, lock_fd, name, idle = int(argv[0]), int(argv[1]), argv[2], float(argv[3])
    own = (int(argv[4]), int(argv[5]))
    if key() != name:  # the code changed since the run named the socket: serve nobody
        return 1
    return serve(socket.socket(fileno=listen_fd), lock_fd, name, idle, own)


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    os._exit(code)
