"""The app under test as a real server: uvicorn on a free port, over a fresh database.

SQLite by default (a file in a temporary folder); when `DATABASE_URL` names PostgreSQL, a new
database is created next to the one named (and dropped afterwards), so a run never sees, nor
leaves, anyone else's data. The server is stopped however the run ends.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx


class ServerError(RuntimeError):
    """The app could not be started or never became ready."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def fresh_database(requested: str | None) -> Iterator[str]:
    """A database URL nobody else uses, removed afterwards."""
    if requested and requested.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres"):
        with _fresh_postgres(requested) as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="specfirst-ct-") as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'contract-test.db'}"


@contextlib.contextmanager
def _fresh_postgres(url: str) -> Iterator[str]:
    import psycopg
    from psycopg import sql

    base, _, query = url.partition("?")
    scheme, rest = base.split("://", 1)
    admin_url = "postgresql://" + rest
    name = f"specfirst_ct_{secrets.token_hex(4)}"
    server, _, _ = rest.rpartition("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{scheme}://{server}/{name}" + (f"?{query}" if query else "")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace `{name}` placeholders that are known; leave other braces alone."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def run_setup(commands: Sequence[Sequence[str]], env: Mapping[str, str], cwd: Path) -> None:
    for command in commands:
        result = subprocess.run(
            list(command), env=dict(env), cwd=cwd, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise ServerError(
                f"set-up command {' '.join(command)} failed ({result.returncode}):\n"
                f"{(result.stderr or result.stdout)[-2000:]}"
            )


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def serve(
    app: str,
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    readiness: str,
    app_dir: Path | None = None,
    port: int | None = None,
    timeout: float = 60.0,
) -> Iterator[Server]:
    """Run `uvicorn --factory app` until the block ends; waits for `readiness` to answer 200."""
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
        server = Server(f"http://127.0.0.1:{port}", process, log)
        try:
            _wait_ready(server, readiness, timeout)
            yield server
        finally:
            _stop(process)


def _wait_ready(server: Server, readiness: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise ServerError(
                    f"the app exited with code {server.process.returncode} before it was ready:\n"
                    f"{server.tail()}"
                )
            try:
                response = client.get(readiness)
            except httpx.TransportError as exc:
                last = type(exc).__name__
            else:
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            time.sleep(0.1)
    raise ServerError(
        f"{readiness} did not answer 200 within {timeout:.0f} s (last: {last}):\n{server.tail()}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT if os.name != "nt" else signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
