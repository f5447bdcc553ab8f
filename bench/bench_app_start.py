"""How fast a generated app starts: `import` of the package plus `create_app()` (issue 12's goal:
1.5 s on GitHub's contract), against the same app with every router built at start, as apps
were built before routers were imported on first use, in the same run.

Each figure is the median of several fresh interpreters (bytecode compiled first, as an
installed package has it), wall time with CPU time (user + system) beside it, since the machine
may be shared:

- `import` + `create_app()`, nothing bound (what `uvicorn --reload` waits for);
- the peer: the same, then every router imported and its routes built (`app.routes`);
- the first request to the tag with the most operations (its router and the models imported),
  and the same once the models are imported (as when services are bound: they import them);
- `import` of the models module alone.

Usage: uv run --frozen python bench/bench_app_start.py [CORPUS_FOLDER] [--document NAME] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "specs"
STATE = ROOT / ".bench" / "app-start-state"  # the generator's cache: reruns regenerate warm
GOAL = 1.5  # seconds, import + create_app()
PACKAGE = "bench_app"

# Runs in a fresh interpreter; prints one JSON object of (wall, cpu) pairs.
PROBE = """
import json, resource, sys, time

def now():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), usage.ru_utime + usage.ru_stime

def since(start):
    wall, cpu = now()
    return [wall - start[0], cpu - start[1]]

mode, path = sys.argv[1], sys.argv[2]
figures = {}
start = now()
if mode == "models":
    import bench_app.models
    figures["models"] = since(start)
else:
    import bench_app
    figures["import"] = since(start)
    step = now()
    app = bench_app.create_app()
    figures["create_app"] = since(step)
    figures["total"] = since(start)
    if mode == "eager":
        step = now()
        routes = app.routes  # every router imported and built
        figures["build every router"] = since(step)
        figures["total"] = since(start)
    if mode in ("first", "first-models"):
        from fastapi.testclient import TestClient
        if mode == "first-models":
            import bench_app.models
        client = TestClient(app)
        step = now()
        status = client.get(path).status_code
        figures["first request"] = since(step)
        assert status in (422, 501), status  # routed (an unbound service, or bad input)
print(json.dumps(figures))
"""


@dataclass
class Figures:
    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def add(self, measured: dict[str, list[float]]) -> None:
        for name, (wall, cpu) in measured.items():
            self.wall.setdefault(name, []).append(wall)
            self.cpu.setdefault(name, []).append(cpu)

    def median(self, name: str) -> tuple[float, float]:
        return statistics.median(self.wall[name]), statistics.median(self.cpu[name])


def generate(contract: Path, out: Path) -> None:
    env = dict(os.environ, SPECFIRST_STATE_DIR=str(STATE))
    argv = [sys.executable, "-m", "specfirst.cli", "generate", str(contract)]
    argv += ["--out", str(out), "--package", PACKAGE, "--force"]
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "compileall", "-q", PACKAGE], cwd=out, check=True)


def largest_tag(package: Path) -> tuple[str, str, int]:
    """The tag with the most operations: its name, a GET path of it, its operation count."""
    sys.path.insert(0, str(package.parent))
    try:
        from bench_app import routers  # the operations table only: cheap

        tag, table = max(routers.OPERATIONS.items(), key=lambda item: len(item[1]))
        operations = list(table.values())
    finally:
        sys.path.remove(str(package.parent))
    gets = [op.path for op in operations if op.method == "GET"] or [operations[0].path]
    path = min(gets, key=lambda p: (p.count("{"), p))
    return tag, path.replace("{", "x").replace("}", ""), len(operations)


def probe(folder: Path, mode: str, path: str, runs: int) -> Figures:
    figures = Figures()
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", PROBE, mode, path],
            cwd=folder,
            check=True,
            capture_output=True,
            text=True,
        )
        figures.add(json.loads(done.stdout.strip().splitlines()[-1]))
    return figures


def _cell(figures: Figures, name: str) -> str:
    wall, cpu = figures.median(name)
    return f"{wall:6.2f} s wall {cpu:6.2f} s CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS), help="corpus folder")
    parser.add_argument("--document", default="github-api.json", help="contract in the corpus")
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per figure")
    args = parser.parse_args()
    contract = Path(args.corpus).resolve() / args.document
    if not contract.exists():
        print(f"bench: missing document: {contract}", file=sys.stderr)
        return 2
    print(f"app start-up on {contract.name}: generating ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="specfirst-app-start-") as tmp:
        out = Path(tmp)
        generate(contract, out)
        tag, path, count = largest_tag(out / PACKAGE)
        lazy = probe(out, "lazy", path, args.runs)
        eager = probe(out, "eager", path, args.runs)
        first = probe(out, "first", path, args.runs)
        warm = probe(out, "first-models", path, args.runs)
        models = probe(out, "models", path, args.runs)
    wall, cpu = lazy.median("total")
    eager_wall, eager_cpu = eager.median("total")
    met = ", ".join(
        f"{'met' if value <= GOAL else 'NOT met'} on {kind}"
        for kind, value in (("wall", wall), ("CPU", cpu))
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\napp start-up on {contract.name}, median of {args.runs} fresh interpreters")
    print(
        f"(load average {load} on {os.cpu_count()} cores: wall above CPU is time waiting for one)"
    )
    print(f"  import the package              {_cell(lazy, 'import')}")
    print(f"  create_app()                    {_cell(lazy, 'create_app')}")
    print(f"  import + create_app()           {_cell(lazy, 'total')}   goal <= {GOAL} s: {met}")
    print(
        f"  peer: all routers built at start {_cell(eager, 'total')}"
        f"   ratio {wall / eager_wall:.2f} wall, {cpu / eager_cpu:.2f} CPU"
    )
    print(f"  first request to tag {tag!r} ({count} operations, GET {path}):")
    print(f"    models not imported yet       {_cell(first, 'first request')}")
    print(f"    models already imported       {_cell(warm, 'first request')}")
    print(f"  import the models module alone  {_cell(models, 'models')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
