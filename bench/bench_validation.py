"""The validation child of `specfirst generate` (`pipeline.validation_aside`), timed alone.

    uv run --frozen python bench/bench_validation.py /work/shared/corpus/specs/github-api.json

In a private project (a copy of the contract, a pyproject.toml, its own `.specfirst/`), for a
cold run (no validation cache) and after each of bench_generate's edits (a different schema or
operation each run), the contract is loaded as `generate` loads it and `validation_aside` is
started and awaited at once: the wall time from the fork to the verdict, and the child's CPU time
(`RUSAGE_CHILDREN`). This process imports what the command has imported when it forks, and no
validation module, so the child pays for its imports as it does in a real run. Medians; the
machine may be shared, so CPU is the steadier figure.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_generate import EDITS

from specfirst.generator import pipeline
from specfirst.generator.state import state_dir
from specfirst.loader import load_contract


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(copy: Path, out: Path) -> tuple[float, float, int]:
    contract = load_contract(copy)
    cpu = _children_cpu()
    started = time.perf_counter()
    if "state" in inspect.signature(pipeline.validation_aside).parameters:
        verdict = pipeline.validation_aside(contract, state_dir(out))
    else:  # before the validation cache
        verdict = pipeline.validation_aside(contract)
    issues = verdict()
    return time.perf_counter() - started, _children_cpu() - cpu, len(issues)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contract", type=Path)
    parser.add_argument("--runs", type=int, default=5, help="runs of each edit (default 5)")
    args = parser.parse_args()
    if "specfirst.validation" in sys.modules:
        raise SystemExit("the validation package is imported already: the child would not pay")
    with tempfile.TemporaryDirectory(prefix="specfirst-bench-validation-") as tmp:
        project = Path(tmp)
        (project / "pyproject.toml").write_text('[project]\nname = "b"\nversion = "0"\n')
        copy = project / args.contract.name
        document = json.loads(args.contract.read_text(encoding="utf-8"))
        copy.write_text(json.dumps(document), encoding="utf-8")
        out = project / "generated"
        rows: list[tuple[str, list[float], list[float], int]] = []
        walls, cpus = [], []
        issues = 0
        for _ in range(args.runs):
            for cache in (project / ".specfirst").glob("**/validation-*.json"):
                cache.unlink()
            wall, cpu, issues = one_run(copy, out)
            walls.append(wall)
            cpus.append(cpu)
        rows.append(("cold (no validation cache)", walls, cpus, issues))
        index = 0
        for name, edit in EDITS.items():
            walls, cpus = [], []
            for _ in range(args.runs):
                index += 1
                edit(document, index)
                copy.write_text(json.dumps(document), encoding="utf-8")
                wall, cpu, issues = one_run(copy, out)
                walls.append(wall)
                cpus.append(cpu)
            rows.append((name, walls, cpus, issues))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"validation child on {args.contract.name} (median of {args.runs}; load average {load})")
    for name, walls, cpus, issues in rows:
        print(
            f"  {name:34s} wall {statistics.median(walls):.3f} s  cpu {statistics.median(cpus):.3f}"
            f" s  (min wall {min(walls):.3f}, min cpu {min(cpus):.3f}; {issues} issues)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
