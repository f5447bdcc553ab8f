"""The pure helpers of bench/bench_service.py: wrk output, /proc CPU time, ratios, targets,
profile grouping. (The benchmark itself is `make bench-service`; no timing here.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_service.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_service", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_service", module)
    spec.loader.exec_module(module)
    return module


bs = _load()

WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:40123/api/x/tasks/y
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    61.30ms   12.02ms 250.11ms   91.00%
    Req/Sec     1.05k   100.00     1.20k    80.00%
  Latency Distribution
     50%   59.00ms
     75%   63.00ms
     90%   70.00ms
     99%    1.12s
  3141 requests in 3.01s, 2.50MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:   1043.52
Transfer/sec:    850.00KB
"""


def test_parse_wrk_reads_counts_p99_and_errors() -> None:
    result = bs.parse_wrk(WRK_OUTPUT)
    assert result.requests == 3141
    assert result.seconds == pytest.approx(3.01)
    assert result.rps == pytest.approx(1043.52)
    assert result.p99_ms == pytest.approx(1120.0)
    assert (result.non_2xx, result.socket_errors, result.errors) == (7, 5, 12)


def test_parse_wrk_without_errors_or_latency_lines() -> None:
    text = "  10 requests in 1.00s, 1.00KB read\nRequests/sec:     10.00\n"
    result = bs.parse_wrk(text)
    assert (result.requests, result.errors, result.p99_ms) == (10, 0, None)


def test_parse_wrk_refuses_output_without_a_count() -> None:
    with pytest.raises(ValueError, match="request count"):
        bs.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


@pytest.mark.parametrize(
    ("text", "ms"),
    [("850.00us", 0.85), ("12.34ms", 12.34), ("1.02s", 1020.0), ("1.50m", 90_000.0)],
)
def test_duration_ms(text: str, ms: float) -> None:
    assert bs.duration_ms(text) == pytest.approx(ms)


def test_duration_ms_refuses_other_text() -> None:
    with pytest.raises(ValueError, match="not a wrk duration"):
        bs.duration_ms("12 parsecs")


def test_cpu_seconds_sums_user_and_system_time_past_a_spaced_name() -> None:
    # pid (comm) state ppid ... field 14 utime, field 15 stime; the name holds a space and ')'.
    fields = ["S", "1"] + ["0"] * 9 + ["250", "50"] + ["0"] * 30
    stat = "1234 (python x) y) " + " ".join(fields)
    assert bs.cpu_seconds(stat, 100) == pytest.approx(3.0)


def test_ratio_and_median_ignore_missing_values() -> None:
    assert bs.ratio(1500.0, 1000.0) == pytest.approx(1.5)
    assert bs.ratio(None, 1000.0) is None
    assert bs.ratio(1.0, 0.0) is None
    assert bs.median([3.0, None, 1.0, 2.0]) == 2.0
    assert bs.median([None]) is None


def _cell(cpu_us: float, p99: float, errors: int = 0) -> Any:
    cell = bs.Cell()
    cell.cpu_us, cell.p99_ms, cell.rps, cell.errors = [cpu_us], [p99], [1.0], errors
    return cell


def test_target_checks_compare_tasks_with_lean_per_database() -> None:
    cells = {
        ("sqlite", "tasks", "get", 16): _cell(1200.0, 10.0),
        ("sqlite", "lean", "get", 16): _cell(1000.0, 10.0),
        ("sqlite", "tasks", "get", 64): _cell(1300.0, 160.0, errors=1),
        ("sqlite", "lean", "get", 64): _cell(1000.0, 100.0),
    }
    checks = {c.what: c for c in bs.target_checks(cells, ["sqlite"], [16, 64])}
    assert checks["sqlite get c=16: CPU/request vs lean"].met  # 1.20x
    assert not checks["sqlite get c=64: CPU/request vs lean"].met  # 1.30x
    assert not checks["sqlite get c=64: p99 vs lean"].met  # 1.60x
    assert not checks["sqlite get c=64: errors"].met
    assert "sqlite get c=16: p99 vs lean" not in checks  # p99 only at the highest count
    assert not any(what.startswith("sqlite list") for what in checks)  # not measured


def test_profile_stacks_group_by_context_then_innermost_layer() -> None:
    raw = (
        "thread (1): MainThread;run (asyncio/runners.py:118);checkout (sqlalchemy/pool/base.py:1);"
        "_do_ping_w_event (sqlalchemy/engine/default.py:2);execute (asyncpg/connection.py:3) 6\n"
        "thread (1): MainThread;app (starlette/routing.py:1);decode (jwt/api_jwt.py:4) 3\n"
        "thread (1): MainThread;app (fastapi/routing.py:1);execute (asyncpg/connection.py:3) 1\n"
        "thread (2): worker;_execute (aiosqlite/core.py:158) 5\n"
    )
    stacks = bs.parse_collapsed(raw)
    assert [thread for thread, _, _ in stacks] == ["MainThread"] * 3 + ["worker"]
    groups = bs.group_samples(stacks)
    assert groups["SQLAlchemy: pre-ping"] == pytest.approx(60.0)
    assert groups["JWT decode"] == pytest.approx(30.0)
    assert groups["SQLAlchemy: execute + fetch, driver"] == pytest.approx(10.0)
    assert groups["(other threads, beside the loop's 100 %)"] == pytest.approx(50.0)
    assert bs.top_frames(stacks, 1) == [("execute (asyncpg/connection.py:3)", pytest.approx(70.0))]
