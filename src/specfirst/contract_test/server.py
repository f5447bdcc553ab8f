"""The app under test as a real server: `uvicorn --factory` on a free port of 127.0.0.1.

What the app needs around it (a fresh database, say) comes from the API's own environment hook;
the server is stopped however the run ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx


class ServerError(RuntimeError):
    """The app could not be started or never became ready."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
    out: TextIO = sys.stdout,
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
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, env=dict(env), cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT
        )
        server = Server(f"http://127.0.0.1:{port}", process, log)
        try:
            wait_ready(server.base_url, readiness, timeout, process=server, out=out)
            yield server
        finally:
            _stop(process)


def wait_ready(
    base_url: str,
    readiness: str,
    timeout: float,
    *,
    process: Server | None = None,
    out: TextIO = sys.stdout,
) -> None:
    """Wait until GET `readiness` answers 200, saying what it waits for (every 5 s)."""
    print(
        f"waiting for GET {base_url}{readiness} to answer 200 (up to {timeout:.0f} s)",
        file=out,
        flush=True,
    )
    started = time.monotonic()
    deadline = started + timeout
    next_note = started + 5
    last = "no answer"
    with httpx.Client(base_url=base_url, timeout=5) as client:
        while time.monotonic() < deadline:
            if process is not None and process.process.poll() is not None:
                raise ServerError(
                    f"the app exited with code {process.process.returncode} before it was "
                    f"ready:\n{process.tail()}"
                )
            try:
                response = client.get(readiness)
            except httpx.TransportError as exc:
                last = type(exc).__name__
            else:
                if response.status_code == 200:
                    print(f"ready after {time.monotonic() - started:.1f} s", file=out, flush=True)
                    return
                last = f"{response.status_code} {response.text[:200]}"
            if time.monotonic() > next_note:
                print(
                    f"  still waiting for GET {readiness} ({time.monotonic() - started:.0f} s; "
                    f"last: {last})",
                    file=out,
                    flush=True,
                )
                next_note += 5
            time.sleep(0.1)
    tail = f":\n{process.tail()}" if process is not None else ""
    raise ServerError(
        f"GET {readiness} did not answer 200 within {timeout:.0f} s (last: {last}); set "
        f"`readiness` in the API's contract-test settings if the app serves its contract "
        f"elsewhere{tail}"
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
