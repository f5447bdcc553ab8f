"""`bench/bench_generate.py`'s cold timing: the tools run in turn, one run each, so each ratio
compares runs made under the same machine load; a tool that fails or is slow stops."""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_generate.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_generate", module)
    spec.loader.exec_module(module)
    return module


bg = _load()
Command = Callable[[Path, Path], list[str]]


def _tool(name: str, log: Path, fail: bool = False) -> Command:
    """A tool that notes its name in `log` and writes a Python file (or fails)."""
    script = (
        "import sys; from pathlib import Path; "
        "open(sys.argv[1], 'a').write(sys.argv[2] + ' '); "
        "Path(sys.argv[3], 'x.py').write_text('') if sys.argv[4] == '0' else sys.exit(3)"
    )

    def command(contract: Path, out: Path) -> list[str]:
        return [sys.executable, "-c", script, str(log), name, str(out), "1" if fail else "0"]

    return command


def test_the_tools_run_in_turn_one_run_each(tmp_path: Path) -> None:
    log = tmp_path / "order.txt"
    contract = tmp_path / "api.json"
    contract.write_text("{}", encoding="utf-8")
    tools = [("ours", _tool("ours", log)), ("peer", _tool("peer", log))]
    row = bg.alternating(tools, contract, 3, time.perf_counter() + 600)
    assert log.read_text(encoding="utf-8").split() == ["ours", "peer"] * 3
    assert [len(row[name].runs) for name in ("ours", "peer")] == [3, 3]
    assert all(len(row[name].cpu) == 3 and not row[name].error for name in row)


def test_a_failing_tool_stops_and_the_others_go_on(tmp_path: Path) -> None:
    log = tmp_path / "order.txt"
    contract = tmp_path / "api.json"
    contract.write_text("{}", encoding="utf-8")
    tools = [("ours", _tool("ours", log)), ("peer", _tool("peer", log, fail=True))]
    row = bg.alternating(tools, contract, 3, time.perf_counter() + 600)
    assert log.read_text(encoding="utf-8").split() == ["ours", "peer", "ours", "ours"]
    assert row["peer"].error.startswith("exit 3")
    assert row["peer"].median is None
    assert len(row["ours"].runs) == 3
