"""CPU time of the generator's stages after an edit, each run in a fresh interpreter.

The stages after the models: the view model and rendering (`_render_stage`, with
`render_package` inside it when something is rendered), writing and formatting
(`_write_and_format`: the first call is models.py, in its background thread, the second the
other files), and the main thread of `stage_package`. Thread CPU time (`time.thread_time`),
steadier than wall time on a shared machine. The project folder needs a `pyproject.toml` and a
cold run first (the state folder `.specfirst/` goes beside it).

Usage: uv run --frozen python bench/stage_times.py PROJECT CONTRACT PACKAGE
           [--edit "edit one operation's summary"] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STAGES = {
    "specfirst.generator.pipeline": ("_render_stage", "stage_package"),
    "specfirst.generator.render": ("render_package",),
    "specfirst.generator.write": ("_write_and_format",),
}


def _timed(module: Any, name: str, times: dict[str, list[float]]) -> None:
    real: Callable[..., Any] = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return real(*args, **kwargs)
        finally:
            times.setdefault(name, []).append(time.thread_time() - started)

    setattr(module, name, wrapper)


def one_run(project: Path, contract: Path, package: str) -> dict[str, list[float]]:
    import importlib

    times: dict[str, list[float]] = {}
    for module_name, names in STAGES.items():
        module = importlib.import_module(module_name)
        for name in names:
            _timed(module, name, times)
    from specfirst.generator.pipeline import generate_package

    generate_package(contract, package, project / "generated")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("contract", type=Path, help="relative to the project")
    parser.add_argument("package")
    parser.add_argument("--edit", default="edit one operation's summary")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--start", type=int, default=0, help="index of the first edit")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    project = args.project.resolve()
    contract = project / args.contract
    if args.one:
        print(json.dumps(one_run(project, contract, args.package)))
        return 0
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_generate import EDITS

    edit = EDITS[args.edit]
    collected: dict[str, list[list[float]]] = {}
    for index in range(args.start, args.start + args.runs):
        document = json.loads(contract.read_text(encoding="utf-8"))
        edit(document, index)
        contract.write_text(json.dumps(document), encoding="utf-8")
        argv = [sys.executable, __file__, str(project), str(args.contract), args.package, "--one"]
        done = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=project)
        for name, values in json.loads(done.stdout.splitlines()[-1]).items():
            collected.setdefault(name, []).append(values)
    print(f"{args.edit}, {args.runs} runs, thread CPU seconds (median per call):")
    for name, runs in collected.items():
        calls = max(len(r) for r in runs)
        medians = [statistics.median(r[i] for r in runs if len(r) > i) for i in range(calls)]
        print(f"  {name:20s} " + "  ".join(f"{m:.3f}" for m in medians))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
