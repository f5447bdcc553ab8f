"""`/docs` and `/redoc` render in a real browser with no network: every operation appears.

Debian's `chromium`, headless, loads the page from a real server (uvicorn on a free port); host
resolution outside 127.0.0.1 is switched off, so anything fetched from a CDN would fail and the
operations would not render. Skips without chromium, except in CI (`SPECFIRST_REQUIRE_SERVICES`),
where `.ci/run` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from specfirst.loader import load_contract

ROOT = Path(__file__).parents[2]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None:
    if os.environ.get("SPECFIRST_REQUIRE_SERVICES") == "1":
        raise RuntimeError("chromium is required in CI (`apt-get install -y chromium`)")
    pytest.skip("chromium is not installed", allow_module_level=True)


def operations(contract: Path) -> set[tuple[str, str]]:
    document = load_contract(contract).document
    return {
        (method, path)
        for path, item in document["paths"].items()
        for method in HTTP_METHODS
        if method in item
    }


def tasks_app(tmp_path: Path) -> Any:
    from tasks_service.app import create_app
    from tasks_service.core.config import Settings

    return create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"))


def example_app(tmp_path: Path) -> Any:
    from example_service.app import app

    return app


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[Any], str]]:
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: Any) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the app did not start")
            time.sleep(0.05)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)


def rendered_dom(url: str, profile: Path) -> str:
    """The page's DOM after its scripts ran, from headless chromium without network access."""
    done = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            # No name resolves but the server's own address: a CDN or font link cannot load.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


APPS = {
    "tasks": (tasks_app, ROOT / "specs" / "tasks" / "openapi.yaml"),
    "example": (example_app, ROOT / "specs" / "example" / "openapi.yaml"),
}


@pytest.mark.slow
@pytest.mark.parametrize("api", sorted(APPS))
def test_swagger_ui_renders_every_operation_offline(
    api: str, serve: Callable[[Any], str], tmp_path: Path
) -> None:
    factory, contract = APPS[api]
    base = serve(factory(tmp_path))
    dom = rendered_dom(base + "/docs", tmp_path / "profile")
    shown = {
        (method.lower(), html_unescape(path))
        for method, path in re.findall(
            r'opblock-summary-method">(\w+)<.*?class="opblock-summary-path"[^>]*data-path="([^"]+)"',
            dom,
            flags=re.S,
        )
    }
    expected = operations(contract)
    assert expected, "the contract has operations"
    assert shown == expected, (
        f"missing: {sorted(expected - shown)}; extra: {sorted(shown - expected)}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("api", sorted(APPS))
def test_redoc_renders_every_operation_offline(
    api: str, serve: Callable[[Any], str], tmp_path: Path
) -> None:
    factory, contract = APPS[api]
    base = serve(factory(tmp_path))
    dom = rendered_dom(base + "/redoc", tmp_path / "profile")
    document = load_contract(contract).document
    ids = {
        item[method]["operationId"]
        for item in document["paths"].values()
        for method in HTTP_METHODS
        if method in item
    }
    missing = sorted(i for i in ids if f"/operation/{i}" not in dom)
    assert not missing, f"ReDoc did not render {missing}"


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)
