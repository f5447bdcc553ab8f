"""How fast the Tasks API serves, against a lean hand-written peer measured in the same run.

Starts the Tasks API (`python -m tasks_service serve`, one uvicorn worker) on PostgreSQL (a
private schema on the server, plus Redis under a private key prefix) and on SQLite (a temporary
file), seeds an account with 1,000 tasks through the API, and loads `GET /api/{user}/tasks/{id}`
and the default page of `GET /api/{user}/tasks` with wrk. Beside it, over the same rows and with
the same token: `bench/lean_app.py` (hand-written FastAPI + async SQLAlchemy doing the same
security work the short way) and `bench/bare_app.py` (constant JSON of the same shapes).

Every server is pinned to one core and wrk to the other (taskset); rounds interleave the apps so
a noisy neighbour hits all of them alike, and the figures are medians over rounds. CPU time per
request is the server process's CPU time (/proc, all threads) over a run divided by the requests
wrk completed: on a shared machine it is the steadier figure; requests/s and p99 are printed
beside it. Then the round trips one request costs (`--count`), optionally a py-spy profile
(`--profile`) and candidate fixes measured as variants of the Tasks API (`--variants`).
Everything it creates (servers, schema, Redis keys, files) is removed at the end.

Usage: uv run --frozen python bench/bench_service.py [--rounds N] [--duration S]
       [--databases postgresql,sqlite] [--connections 16,64] [--variants a,b+c] [--profile]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "bench"
BENCH_ENVS = ROOT / ".bench"
PY_SPY = "py-spy==0.4.3"
TASKS = 1000
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
ENDPOINTS = ("get", "list")

# Targets of issue 15.
CPU_TARGET = 1.25  # CPU per request, Tasks API / lean, get and list, every database
P99_TARGET = 1.5  # p99 at the highest connection count, Tasks API / lean
P99_CONNECTIONS = 64

# Candidate fixes, measured as variants of the Tasks API: environment (settings-level) and
# patches applied by bench/serve_app.py without editing the service. "upper bound" ones remove
# work that must stay (they bound what restructuring can gain) and are never fixes as such.
VARIANT_ENV: dict[str, dict[str, str]] = {
    "pool5": {"TASKS_DATABASE_POOL_SIZE": "5"},
    "pool10": {"TASKS_DATABASE_POOL_SIZE": "10"},
    "pool20": {"TASKS_DATABASE_POOL_SIZE": "20"},
    "pool40": {"TASKS_DATABASE_POOL_SIZE": "40"},
    "plain-log": {"TASKS_JSON_LOGS": "false"},
    "httptools": {"TASKS_HTTP_PARSER": "httptools"},  # upper bound: h11 bounds the request head
    "no-log": {"TASKS_LOG_LEVEL": "WARNING"},  # upper bound: no access log
    "no-redis": {"REDIS_URL": ""},  # upper bound: revocation check in-process
}
VARIANT_PATCHES = (
    "recycle",
    "autocommit-reads",  # upper bound: no BEGIN/ROLLBACK around reads
    "no-access-log",
    "no-middleware",  # upper bound: the whole middleware stack
    "no-gzip",
    "no-account-lookup",  # upper bound: account state without its own session
    "session-per-read",  # contrast: a session per read block, not one per request
    "one-hop-sqlite",  # candidate, not adopted: a SQLite statement in one hop, not four
    "no-read-ahead",  # contrast: GET of a task reads it in a statement of its own
    "unfair-pool",  # contrast: SQLAlchemy's pool (a newcomer may take a returned connection)
    "switch1ms",  # candidate, not adopted: sys.setswitchinterval(0.001)
)


# -- pure helpers (unit-tested in tests/bench) ------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p99_ms: float | None
    non_2xx: int = 0
    socket_errors: int = 0

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def duration_ms(text: str) -> float:
    """wrk's latency text (`850.00us`, `12.34ms`, `1.02s`, `1.50m`) in milliseconds."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*(us|ms|s|m|h)\s*", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(text: str) -> WrkResult:
    """The figures of one `wrk --latency` run from its output."""
    done = re.search(r"^\s*(\d+) requests in ([0-9.]+\w+)", text, re.MULTILINE)
    rps = re.search(r"^Requests/sec:\s*([0-9.]+)", text, re.MULTILINE)
    if not done or not rps:
        raise ValueError("wrk output without a request count:\n" + text)
    p99 = re.search(r"^\s*99(?:\.0+)?%\s+(\S+)", text, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    return WrkResult(
        requests=int(done.group(1)),
        seconds=duration_ms(done.group(2)) / 1000,
        rps=float(rps.group(1)),
        p99_ms=duration_ms(p99.group(1)) if p99 else None,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def cpu_seconds(stat: str, ticks_per_second: int) -> float:
    """User + system CPU time of a process (all its threads) from `/proc/<pid>/stat`."""
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of the whole line
    return (utime + stime) / ticks_per_second


MIN_REQUESTS_PER_CONNECTION = 10  # fewer in a run and the cut-off requests skew CPU/request


def run_seconds(rps: float, connections: int, base: int, cap: int) -> int:
    """How long to load an app so a run completes MIN_REQUESTS_PER_CONNECTION per connection at
    the rate it showed while warming up: at least `base`, at most `cap` seconds."""
    wanted = MIN_REQUESTS_PER_CONNECTION * connections / max(rps, 0.1)
    return max(base, min(cap, math.ceil(wanted)))


def ratio(value: float | None, base: float | None) -> float | None:
    if value is None or base is None or base <= 0:
        return None
    return value / base


def median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


@dataclass
class Cell:
    """The runs of one app on one endpoint at one connection count."""

    cpu_us: list[float] = field(default_factory=list)
    rps: list[float] = field(default_factory=list)
    p99_ms: list[float | None] = field(default_factory=list)
    errors: int = 0
    requests: int = 0
    short_runs: int = 0  # runs under MIN_REQUESTS_PER_CONNECTION per connection

    def add(self, result: WrkResult, cpu: float, connections: int) -> None:
        if result.requests < MIN_REQUESTS_PER_CONNECTION * connections:
            self.short_runs += 1
        self.cpu_us.append(cpu * 1e6 / max(result.requests, 1))
        self.rps.append(result.rps)
        self.p99_ms.append(result.p99_ms if result.requests else None)
        self.errors += result.errors
        self.requests += result.requests


@dataclass(frozen=True)
class Check:
    what: str
    value: float | None
    limit: float

    @property
    def met(self) -> bool:
        return self.value is not None and self.value <= self.limit


def target_checks(
    cells: dict[tuple[str, str, str, int], Cell],
    databases: Sequence[str],
    connections: Sequence[int],
) -> list[Check]:
    """The issue's targets for the Tasks API (`tasks`) against `lean`, per database."""
    checks: list[Check] = []
    for db in databases:
        for endpoint in ENDPOINTS:
            for conns in connections:
                ours, lean = (
                    cells.get((db, "tasks", endpoint, conns)),
                    cells.get((db, "lean", endpoint, conns)),
                )
                if ours is None or lean is None:
                    continue
                checks.append(
                    Check(
                        f"{db} {endpoint} c={conns}: CPU/request vs lean",
                        ratio(median(ours.cpu_us), median(lean.cpu_us)),
                        CPU_TARGET,
                    )
                )
                if conns == max(connections):
                    checks.append(
                        Check(
                            f"{db} {endpoint} c={conns}: p99 vs lean",
                            ratio(median(ours.p99_ms), median(lean.p99_ms)),
                            P99_TARGET,
                        )
                    )
                checks.append(Check(f"{db} {endpoint} c={conns}: errors", ours.errors, 0))
    return checks


# -- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (apt-get install -y wrk) ...", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: wrk is not installed and apt-get could not install it")
    return found


def ensure_py_spy() -> str:
    folder = BENCH_ENVS / "py-spy"
    binary = folder / "bin" / "py-spy"
    if binary.exists():
        return str(binary)
    uv = shutil.which("uv")
    print(f"installing {PY_SPY} into {folder.relative_to(ROOT)} ...", flush=True)
    if uv:
        subprocess.run([uv, "venv", "-q", str(folder)], check=True)
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(folder / "bin" / "python"), PY_SPY],
            check=True,
        )
    else:
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(folder / "bin" / "pip"), "install", "-q", PY_SPY], check=True)
    return str(binary)


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        return cpu_seconds(stat, os.sysconf("SC_CLK_TCK"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_server(
    name: str, argv: list[str], env: dict[str, str], workdir: Path, port: int, cpu: str
) -> Server:
    log = workdir / f"{name}.log"
    process = subprocess.Popen(
        ["taskset", "-c", cpu, *argv],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    server = Server(name, port, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start:\n{log.read_text()[-3000:]}")
        try:
            request(port, "GET", "/healthz")
            return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not start in 60 s:\n{log.read_text()[-3000:]}")


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: Any = None,
    form: dict[str, str] | None = None,
    token: str | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, Any]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers: dict[str, str] = {}
    payload: bytes | None = None
    if body is not None:
        payload, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        payload = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
    finally:
        if own:
            conn.close()
    try:
        return response.status, json.loads(data) if data else None
    except ValueError:
        return response.status, data


def run_wrk(
    wrk: str, cpu: str, url: str, token: str | None, connections: int, seconds: float
) -> WrkResult:
    argv = ["taskset", "-c", cpu, wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    argv += ["--latency", "--timeout", "10s"]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    done = subprocess.run([*argv, url], capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


# -- set-up per database ------------------------------------------------------------------------


@dataclass
class Database:
    name: str  # postgresql | sqlite
    tasks_env: dict[str, str]
    lean_env: dict[str, str]
    cleanup: list[Any] = field(default_factory=list)


def private_postgres(folder: Path) -> tuple[str, list[Any]]:
    """A throw-away PostgreSQL server of our own on a free port (fsync off, room for the many
    pools a run opens), so the benchmark never eats the shared server's connection slots. Its DSN
    and the steps that stop and remove it; ("", []) when no PostgreSQL binaries are installed."""
    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    pg_config = shutil.which("pg_config")
    if not bindirs and pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        bindirs = [Path(out.stdout.strip())]
    if not bindirs or not (bindirs[-1] / "initdb").exists():
        return "", []
    bindir = bindirs[-1]
    data = folder / "pgdata"
    data.mkdir()
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        import pwd

        user = pwd.getpwnam("postgres")
        os.chmod(folder, 0o711)
        os.chown(data, user.pw_uid, user.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data} "
        "-c max_connections=500 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        [
            *as_postgres,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_postgres,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(data / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ],
        check=True,
        capture_output=True,
    )

    def stop() -> None:
        subprocess.run(
            [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )

    return f"postgresql://postgres@127.0.0.1:{port}/postgres", [stop]


def postgres_database(dsn: str, redis_url: str | None, tag: str) -> Database:
    import psycopg

    schema = f"bench_{tag}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    prefix = f"bench:{tag}:"
    db = Database(
        "postgresql",
        tasks_env={"DATABASE_URL": dsn, "TASKS_DATABASE_SCHEMA": schema},
        lean_env={
            "BENCH_DATABASE_URL": "postgresql+asyncpg://" + dsn.split("://", 1)[1],
            "BENCH_DATABASE_SCHEMA": schema,
        },
        cleanup=[drop],
    )
    if redis_url:
        from redis import Redis

        db.tasks_env |= {"REDIS_URL": redis_url, "TASKS_REDIS_KEY_PREFIX": prefix}
        db.lean_env |= {"BENCH_REDIS_URL": redis_url, "BENCH_REDIS_PREFIX": prefix}

        def forget() -> None:
            client = Redis.from_url(redis_url)
            keys = list(client.scan_iter(match=prefix + "*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()

        db.cleanup.append(forget)
    return db


def sqlite_database(folder: Path) -> Database:
    path = folder / "tasks.db"
    return Database(
        "sqlite",
        tasks_env={"DATABASE_URL": f"sqlite+aiosqlite:///{path}"},
        lean_env={"BENCH_DATABASE_URL": f"sqlite+aiosqlite:///{path}"},
    )


def common_env(secret: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TASKS_", "BENCH_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    return env | {
        "TASKS_ENVIRONMENT": "production",
        "TASKS_JWT_SECRET": secret,
        "TASKS_ACCESS_TOKEN_TTL_SECONDS": "7200",
        # Cheap password hashing: only registration and login use it, never the loaded path.
        "TASKS_ARGON2_TIME_COST": "1",
        "TASKS_ARGON2_MEMORY_COST_KIB": "1024",
        "TASKS_ARGON2_PARALLELISM": "1",
        "BENCH_JWT_SECRET": secret,
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@dataclass(frozen=True)
class Account:
    user_id: str
    token: str
    task_id: str


def seed(port: int) -> Account:
    """An account with TASKS tasks, made through the API; its token and one task to GET."""
    email, password = f"bench-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(16)
    status, user = request(
        port, "POST", "/api/auth/register", body={"email": email, "password": password}
    )
    if status != 201 and status != 200:
        raise RuntimeError(f"register: {status} {user}")
    status, tokens = request(
        port,
        "POST",
        "/api/auth/token",
        form={"grant_type": "password", "username": email, "password": password},
    )
    if status != 200:
        raise RuntimeError(f"login: {status} {tokens}")
    token, user_id = tokens["access_token"], user["id"]

    def make(batch: range) -> str:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        last = ""
        for i in batch:
            body = {
                "title": f"bench task {i}",
                "description": "A task the service benchmark made.",
                "due_at": f"2027-01-{1 + i % 28:02d}T17:00:00Z",
            }
            status, task = request(
                port, "POST", f"/api/{user_id}/tasks", body=body, token=token, conn=conn
            )
            if status != 201:
                raise RuntimeError(f"create task: {status} {task}")
            last = task["id"]
        conn.close()
        return last

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(make, [range(i, TASKS, 8) for i in range(8)]))
    return Account(user_id=user_id, token=token, task_id=ids[0])


def paths(account: Account) -> dict[str, str]:
    return {
        "get": f"/api/{account.user_id}/tasks/{account.task_id}",
        "list": f"/api/{account.user_id}/tasks",
    }


# -- phases ------------------------------------------------------------------------------------


@dataclass
class Bench:
    args: argparse.Namespace
    wrk: str
    workdir: Path
    secret: str
    servers: dict[tuple[str, str], Server] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)

    @property
    def python(self) -> str:
        return sys.executable

    def serve(self, db: Database, app: str, *, count: bool = False) -> Server:
        """Start `app` ("tasks", "lean", "bare" or "tasks+variant+...") over `db`."""
        base, *variant = app.split("+")
        env = common_env(self.secret)
        env |= db.tasks_env if base == "tasks" else db.lean_env
        patches: list[str] = []
        for name in variant:
            if name in VARIANT_ENV:
                env |= VARIANT_ENV[name]
            elif name in VARIANT_PATCHES:
                patches.append(name)
            else:
                raise SystemExit(f"bench: unknown variant {name!r}")
        port = free_port()
        if base == "tasks" and not patches and not count:
            argv = [self.python, "-m", "tasks_service", "serve", "--port", str(port)]
        else:
            argv = [self.python, str(HERE / "serve_app.py"), base, "--port", str(port)]
            argv += [f"--patch={p}" for p in patches] + (["--count"] if count else [])
        label = f"{db.name}-{app}{'-count' if count else ''}".replace("+", "_")
        return start_server(label, argv, env, self.workdir, port, self.args.server_cpu)

    def load(
        self, server: Server, path: str, token: str | None, conns: int, seconds: float
    ) -> tuple[WrkResult, float]:
        before = server.cpu()
        result = run_wrk(
            self.wrk,
            self.args.wrk_cpu,
            f"http://127.0.0.1:{server.port}{path}",
            token,
            conns,
            seconds,
        )
        cpu = server.cpu() - before
        time.sleep(0.3)  # requests cut off at the end finish before the next run starts
        return result, cpu


def measure(bench: Bench, apps: dict[str, list[str]]) -> dict[tuple[str, str, str, int], Cell]:
    """Interleaved rounds over every (database, app, endpoint, connections)."""
    args = bench.args
    cells: dict[tuple[str, str, str, int], Cell] = collections.defaultdict(Cell)
    if args.rounds < 1:
        return cells
    plan = [
        (db, app, endpoint, conns)
        for endpoint in ENDPOINTS
        for conns in args.connections
        for db, names in apps.items()
        for app in names
    ]
    print(f"warming up {len(bench.servers)} servers ...", flush=True)
    warm_rps: dict[tuple[str, str, str], float] = {}
    for (db, app), server in bench.servers.items():
        account = (
            bench.accounts[db] if db in bench.accounts else next(iter(bench.accounts.values()))
        )
        for endpoint in ENDPOINTS:
            warm, _cpu = bench.load(
                server, paths(account)[endpoint], account.token, max(args.connections), args.warmup
            )
            warm_rps[(db, app, endpoint)] = warm.rps
    seconds = {
        (db, app, endpoint, conns): run_seconds(
            warm_rps[(db, app, endpoint)], conns, args.duration, args.max_duration
        )
        for db, app, endpoint, conns in plan
    }
    total = len(plan) * args.rounds
    print(
        f"{total} runs of {min(seconds.values())}-{max(seconds.values())} s ({args.rounds} rounds, "
        f"interleaved; longer runs for slow apps, up to --max-duration {args.max_duration}) ...",
        flush=True,
    )
    for round_index in range(args.rounds):
        shift = round_index % len(plan)
        order = plan[shift:] + plan[:shift]
        if round_index % 2:
            order.reverse()
        for db, app, endpoint, conns in order:
            account = (
                bench.accounts[db] if db in bench.accounts else next(iter(bench.accounts.values()))
            )
            server = bench.servers[(db, app)]
            key = (db, app, endpoint, conns)
            result, cpu = bench.load(
                server, paths(account)[endpoint], account.token, conns, seconds[key]
            )
            cells[key].add(result, cpu, conns)
        print(f"  round {round_index + 1}/{args.rounds} done", flush=True)
    return cells


def count_round_trips(
    bench: Bench, db: Database, apps: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Per-request counters of sequential GETs, and pool connections opened under load."""
    account = bench.accounts[db.name]
    columns: dict[str, dict[str, float]] = {}
    for app in apps:
        server = bench.serve(db, app, count=True)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            for endpoint, path in paths(account).items():
                for _ in range(20):  # warm: pool filled, statements prepared
                    request(server.port, "GET", path, token=account.token, conn=conn)
                request(server.port, "GET", "/__counts?reset=1", conn=conn)
                n = 50
                for _ in range(n):
                    status, _body = request(
                        server.port, "GET", path, token=account.token, conn=conn
                    )
                    if status != 200:
                        raise RuntimeError(f"{app} {endpoint}: {status}")
                _, counts = request(server.port, "GET", "/__counts?reset=1", conn=conn)
                columns[f"{app} {endpoint}"] = {
                    k: v / n for k, v in counts.items() if k != "http: request"
                }
            conn.close()
            result, _cpu = bench.load(server, paths(account)["get"], account.token, 64, 3)
            _, counts = request(server.port, "GET", "/__counts?reset=1")
            per_k = 1000 / max(result.requests, 1)
            columns[f"{app} get c=64"] = {
                k: v * per_k for k, v in counts.items() if k.startswith("pool:")
            }
        finally:
            server.stop()
    return columns


def profile(bench: Bench, db: Database, app: str, seconds: float) -> dict[str, Any]:
    """py-spy of one worker under get and list load: samples grouped as issue 15 groups them."""
    py_spy = ensure_py_spy()
    account = bench.accounts[db.name]
    server = bench.servers.get((db.name, app)) or bench.serve(db, app)
    out: dict[str, Any] = {}
    try:
        for endpoint, path in paths(account).items():
            raw = bench.workdir / f"profile-{db.name}-{app}-{endpoint}.txt"
            bench.load(server, path, account.token, 64, 2)  # warm: pools filled, caches built
            spy = subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(server.pid),
                    "--duration",
                    f"{seconds:g}",
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--threads",
                    "--nonblocking",
                    "--output",
                    str(raw),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            time.sleep(0.5)
            bench.load(server, path, account.token, 64, seconds + 1)
            _, err = spy.communicate(timeout=60)
            if not raw.exists():
                raise RuntimeError(f"py-spy wrote nothing: {err.decode()[-2000:]}")
            stacks = parse_collapsed(raw.read_text())
            out[endpoint] = {"groups": group_samples(stacks), "top": top_frames(stacks, 15)}
            if bench.args.keep_profiles:
                keep = Path(bench.args.keep_profiles)
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copy(raw, keep / raw.name)
    finally:
        if (db.name, app) not in bench.servers:
            server.stop()
    return out


# -- profile grouping --------------------------------------------------------------------------


def parse_collapsed(text: str) -> list[tuple[str, list[str], int]]:
    """py-spy's raw stacks (`--threads`): `thread (tid): Name;frame;... count`, root first, as
    (thread name, frames, samples)."""
    stacks = []
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        thread = ""
        if frames[0].startswith("thread ("):
            thread = frames.pop(0).partition("): ")[2]
        stacks.append((thread, frames, int(count)))
    return stacks


# A sample goes to the first context group found anywhere on its stack (the work it serves),
# else to the layer of its innermost recognised frame. py-spy names files relative to their
# package folder (`sqlalchemy/pool/base.py`).
CONTEXT_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SQLAlchemy: pre-ping", ("_do_ping_w_event", "_async_ping", "do_ping (")),
    (
        "SQLAlchemy: new connections",
        ("__connect (", "connect_utils", "_connect_addr", "on_connect ("),
    ),
    (
        "SQLAlchemy: pool checkout/return, BEGIN/ROLLBACK",
        (
            "sqlalchemy/pool/",
            "_start_transaction",
            "do_rollback",
            "_call_and_discard",
            "transaction.py",
            "Session.close",
            "AsyncSession.close",
            "_connection_for_bind",
        ),
    ),
    ("JWT decode", ("jwt/",)),
    ("Redis", ("redis/",)),
    ("logging (access log)", ("logging/", "tasks_service/logs.py", "logs.py")),
)
LAYER_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "SQLAlchemy: ORM rows to objects",
        (
            "sqlalchemy/orm/loading.py",
            "sqlalchemy/orm/instrumentation.py",
            "sqlalchemy/orm/state.py",
            "sqlalchemy/orm/identity.py",
            "sqlalchemy/engine/result.py",
            "sqlalchemy/engine/row.py",
            "result_processor",
            "process (",
        ),
    ),
    (
        "SQLAlchemy: statement build + cache key",
        ("sqlalchemy/sql/", "_compile_w_cache", "cache_key"),
    ),
    (
        "SQLAlchemy: execute + fetch, driver",
        (
            "asyncpg/",
            "aiosqlite/",
            "sqlite3",
            "sqlalchemy/dialects/",
            "sqlalchemy/engine/",
            "sqlalchemy/util/concurrency.py",
            "greenlet",
        ),
    ),
    ("SQLAlchemy: session/ORM other", ("sqlalchemy/",)),
    ("ORM row -> API model", ("services/convert.py", "lean_app.py:1", "_task (")),
    (
        "response encoding",
        (
            "pydantic_core",
            "respond (",
            "_encode (",
            "jsonable_encoder",
            "serialize_response",
            "json/encoder",
            "render (",
        ),
    ),
    (
        "request validation",
        ("_validate_value", "request_params_to_args", "fastapi/_compat", "pydantic/"),
    ),
    (
        "routing + dependency solving",
        (
            "starlette/routing.py",
            "fastapi/routing.py",
            "fastapi/dependencies",
            "solve_dependencies",
            "_runtime.py",
        ),
    ),
    (
        "middleware",
        (
            "tasks_service/middleware.py",
            "middleware.py",
            "starlette/middleware",
            "starlette/datastructures",
        ),
    ),
    ("service code", ("tasks_service/", "tasks_api/", "lean_app.py", "bare_app.py")),
    ("uvicorn + HTTP parsing", ("uvicorn/", "httptools", "h11")),
    ("event loop (asyncio/uvloop/anyio)", ("asyncio/", "uvloop", "anyio/", "<module>")),
)


def classify(stack: Sequence[str]) -> str:
    if not stack:
        return "(no Python frame: native code)"
    for name, needles in CONTEXT_GROUPS:
        if any(needle in frame for frame in stack for needle in needles):
            return name
    for frame in reversed(stack):
        for name, needles in LAYER_GROUPS:
            if any(needle in frame for needle in needles):
                return name
    return "other"


def group_samples(stacks: Sequence[tuple[str, list[str], int]]) -> dict[str, float]:
    """Share of the event-loop thread's busy samples in each group, plus the other threads'
    samples (SQLite's worker thread, anyio's) as a share of the same total."""
    totals: collections.Counter[str] = collections.Counter()
    others = 0
    for thread, stack, count in stacks:
        if thread in ("", "MainThread"):
            totals[classify(stack)] += count
        else:
            others += count
    whole = sum(totals.values()) or 1
    shares = {name: 100 * n / whole for name, n in totals.most_common()}
    if others:
        shares["(other threads, beside the loop's 100 %)"] = 100 * others / whole
    return shares


def top_frames(stacks: Sequence[tuple[str, list[str], int]], n: int) -> list[tuple[str, float]]:
    """The event-loop thread's leaf frames by share of its samples (self time)."""
    leaves: collections.Counter[str] = collections.Counter()
    for thread, stack, count in stacks:
        if thread in ("", "MainThread") and stack:
            leaves[stack[-1]] += count
    whole = sum(leaves.values()) or 1
    return [(frame, 100 * k / whole) for frame, k in leaves.most_common(n)]


# -- report ------------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def report(
    cells: dict[tuple[str, str, str, int], Cell],
    apps: dict[str, list[str]],
    args: argparse.Namespace,
) -> list[str]:
    lines = []
    header = f"{'database':<10} {'endpoint':<8} {'c':>3} {'app':<34} {'CPU us/req':>10} {'xlean':>6} {'req/s':>8} {'p99 ms':>8} {'xlean':>6} {'errors':>6} {'short':>5}"
    lines += [header, "-" * len(header)]
    for endpoint in ENDPOINTS:
        for conns in args.connections:
            for db, names in apps.items():
                lean = cells.get((db, "lean", endpoint, conns))
                for app in names:
                    cell = cells[(db, app, endpoint, conns)]
                    base = lean
                    if db == "none":  # bare: compare with the first database's lean
                        base = next(
                            (cells.get((d, "lean", endpoint, conns)) for d in apps if d != "none"),
                            None,
                        )
                    cpu, p99 = median(cell.cpu_us), median(cell.p99_ms)
                    lines.append(
                        f"{db:<10} {endpoint:<8} {conns:>3} {app:<34} {_fmt(cpu, '.0f'):>10} "
                        f"{_fmt(ratio(cpu, median(base.cpu_us)) if base else None, '.2f'):>6} "
                        f"{_fmt(median(cell.rps), '.0f'):>8} {_fmt(p99, '.1f'):>8} "
                        f"{_fmt(ratio(p99, median(base.p99_ms)) if base else None, '.2f'):>6} "
                        f"{cell.errors:>6} {cell.short_runs or '':>5}"
                    )
            lines.append("")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds per server and endpoint")
    parser.add_argument(
        "--max-duration", type=int, default=12, help="longest run for an app slow to serve"
    )
    parser.add_argument(
        "--variants", default="", help="comma-separated, `+` combines: pool40+no-log"
    )
    parser.add_argument(
        "--no-lean", action="store_true", help="(with --variants) skip lean and bare"
    )
    parser.add_argument(
        "--count",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="count round trips per request",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy the Tasks API under load")
    parser.add_argument("--profile-apps", default="tasks", help="apps to profile (comma-separated)")
    parser.add_argument("--profile-seconds", type=int, default=6)
    parser.add_argument("--keep-profiles", help="copy py-spy's raw stacks into this folder")
    parser.add_argument(
        "--pg-dsn",
        default=os.environ.get("BENCH_POSTGRES_DSN", "private"),
        help="`private` (default): start a PostgreSQL of our own on a free port; or a server's "
        f"DSN (e.g. {DEFAULT_PG}), where a private schema is used and dropped",
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--wrk-cpu", default="1")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    args.connections = [int(c) for c in args.connections.split(",") if c]
    databases = [d for d in args.databases.split(",") if d]
    variants = [f"tasks+{v}" for v in args.variants.split(",") if v]
    started = time.monotonic()

    wrk = ensure_wrk()
    tag = secrets.token_hex(4)
    with contextlib.ExitStack() as stack:
        workdir = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="specfirst-servebench-"))
        )
        bench = Bench(args, wrk, workdir, secrets.token_urlsafe(48))

        def stop_servers() -> None:
            for server in bench.servers.values():
                server.stop()

        stack.callback(stop_servers)
        dbs: dict[str, Database] = {}
        if "postgresql" in databases and args.pg_dsn == "private":
            print("starting a private PostgreSQL server ...", flush=True)
            args.pg_dsn, stop_pg = private_postgres(workdir)
            if not args.pg_dsn:
                raise SystemExit(
                    "bench: no PostgreSQL binaries for a private server; pass --pg-dsn"
                )
            for step in stop_pg:
                stack.callback(step)
        for name in databases:
            db = (
                postgres_database(args.pg_dsn, args.redis_url, tag)
                if name == "postgresql"
                else sqlite_database(workdir)
            )
            for step in reversed(db.cleanup):
                stack.callback(step)
            dbs[name] = db
            env = common_env(bench.secret) | db.tasks_env
            subprocess.run(
                [sys.executable, "-m", "tasks_service", "migrate"],
                env=env,
                cwd=workdir,
                check=True,
                capture_output=True,
            )
        apps: dict[str, list[str]] = {}
        for name, db in dbs.items():
            print(f"{name}: starting the Tasks API and seeding {TASKS} tasks ...", flush=True)
            bench.servers[(name, "tasks")] = bench.serve(db, "tasks")
            bench.accounts[name] = seed(bench.servers[(name, "tasks")].port)
            names = ["tasks", *variants] + ([] if args.no_lean else ["lean"])
            for app in names[1:]:
                bench.servers[(name, app)] = bench.serve(db, app)
            apps[name] = names
        if not args.no_lean:
            bench.servers[("none", "bare")] = bench.serve(next(iter(dbs.values())), "bare")
            apps["none"] = ["bare"]
        for name in dbs:  # every server answers before anything is timed
            account = bench.accounts[name]
            for app in apps[name]:
                status, body = request(
                    bench.servers[(name, app)].port,
                    "GET",
                    paths(account)["get"],
                    token=account.token,
                )
                if status != 200 or body.get("id") != account.task_id:
                    raise RuntimeError(f"{name} {app}: GET answered {status} {body}")

        cells = measure(bench, apps)
        checks = target_checks(cells, list(dbs), args.connections)
        if cells:
            print_results(cells, apps, checks, args)

        counts: dict[str, Any] = {}
        if args.count:
            for name, db in dbs.items():
                print(f"\ncounting round trips per request on {name} ...", flush=True)
                counts[name] = count_round_trips(bench, db, ["tasks", *variants, "lean"])
                print_counts(name, counts[name])
        profiles: dict[str, Any] = {}
        if args.profile:
            for name, db in dbs.items():
                for app in args.profile_apps.split(","):
                    print(
                        f"\nprofiling {app} on {name} (py-spy, {args.profile_seconds:g} s per endpoint) ...",
                        flush=True,
                    )
                    profiles[f"{name} {app}"] = profile(bench, db, app, args.profile_seconds)
                    print_profile(f"{name} {app}", profiles[f"{name} {app}"])
        for (db_name, app_name), server in sorted(bench.servers.items()):
            problems = log_problems(server.log)
            if problems:
                print(f"\nwarnings and errors logged by {app_name} on {db_name}:")
                for line, n in problems.most_common(8):
                    print(f"  {n:>6} x {line}")
        print(f"\nbench-service took {time.monotonic() - started:.0f} s")
        if args.json:
            figures = {
                "cells": {" ".join(map(str, k)): v.__dict__ for k, v in cells.items()},
                "checks": [c.__dict__ | {"met": c.met} for c in checks],
                "counts": counts,
                "profiles": profiles,
            }
            Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 1 if args.strict and not all(c.met for c in checks) else 0


def log_problems(log: Path) -> collections.Counter[str]:
    """The warnings and errors a server logged (JSON lines or plain text), counted by message."""
    found: collections.Counter[str] = collections.Counter()
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return found
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            if "Traceback" in line or "ERROR" in line or "WARNING" in line:
                found[line.strip()[:160]] += 1
            continue
        if isinstance(entry, dict) and entry.get("level") in ("warning", "error", "critical"):
            detail = " ".join(str(entry[k]) for k in ("dependency", "error") if entry.get(k))
            found[f"{entry['level']}: {entry.get('msg')} {detail[:140]}".strip()] += 1
    return found


def print_results(
    cells: dict[tuple[str, str, str, int], Cell],
    apps: dict[str, list[str]],
    checks: list[Check],
    args: argparse.Namespace,
) -> None:
    print()
    print(
        "Tasks API vs lean hand-written FastAPI (bench/lean_app.py) and bare FastAPI constant "
        f"JSON; {TASKS} tasks, list = default page (20); server on cpu {args.server_cpu}, wrk on "
        f"cpu {args.wrk_cpu}; medians of {args.rounds} interleaved rounds x {args.duration} s; "
        "CPU us/req = server process CPU time / requests"
    )
    print(
        f"(`short`: runs that completed under {MIN_REQUESTS_PER_CONNECTION} requests per "
        "connection, where cut-off requests skew CPU/request: the machine was too busy for them)"
    )
    print()
    for line in report(cells, apps, args):
        print(line)
    print("targets (issue 15):")
    for check in checks:
        limit = "0" if check.limit == 0 else f"<= {check.limit:.2f}x"
        shown = f"{check.value:.0f}" if check.limit == 0 else _fmt(check.value, ".2f") + "x"
        print(f"  {'MET   ' if check.met else 'MISSED'} {check.what}: {shown} (target {limit})")


COUNT_COLUMNS = (
    ("checkouts", ("pool: checkout",)),
    ("pre-pings", ("pool: pre-ping",)),
    ("new conns", ("pool: new connection",)),
    ("BEGIN", ("sqlalchemy: begin",)),
    ("ROLLBACK", ("sqlalchemy: rollback",)),
    ("statements", ("sqlalchemy: statement",)),
    ("PG trips", ("pg: ",)),
    ("Redis cmds", ("redis: ",)),
)


def count_row(counts: dict[str, float]) -> list[float]:
    """The counters summed into COUNT_COLUMNS (a prefix ending in ': ' sums its kinds)."""
    row = []
    for _title, keys in COUNT_COLUMNS:
        row.append(
            sum(
                v
                for k, v in counts.items()
                if any(k == key or (key.endswith(": ") and k.startswith(key)) for key in keys)
            )
        )
    return row


def print_counts(db: str, columns: dict[str, dict[str, float]]) -> None:
    print(f"{'round trips per request, ' + db:<44}" + "".join(f"{t:>11}" for t, _ in COUNT_COLUMNS))
    for name, counts in columns.items():
        print(f"{name:<44}" + "".join(f"{v:>11.2f}" for v in count_row(counts)))
    print(
        "(`... c=64` rows: pool events per 1,000 requests under wrk load at 64 connections; PG "
        "round trips = asyncpg calls: BEGIN, pre-ping `;`, statements, ROLLBACK)"
    )


def print_profile(label: str, result: dict[str, Any]) -> None:
    for endpoint, data in result.items():
        print(f"{label} {endpoint}: share of busy samples by group")
        for group, share in data["groups"].items():
            print(f"  {share:5.1f} %  {group}")
        print(f"{label} {endpoint}: top leaf frames (self time)")
        for frame, share in data["top"]:
            print(f"  {share:5.1f} %  {frame}")


if __name__ == "__main__":
    sys.exit(main())
