"""Time `specfirst generate` against its peers, side by side, on the same machine in one run.

Peers (each installed by this script into its own virtual environment under `.bench/`):
fastapi-code-generator, openapi-generator's `python-fastapi` (the PyPI `openapi-generator-cli`
package bundles the jar; needs Java) and datamodel-code-generator's `--generate-server fastapi`.

For each document: the median wall time of several cold runs per tool (ours with an empty state
folder; one run for a tool whose first run is slow, and no more runs once the time budget is
spent), our time as a ratio to each peer's (below 1 means we are faster), and peers that fail
shown as failing. Then, on the largest document, each target of issue 12 with its goal: the edit
loops (a different schema or operation each run, caches warm as a user's would be), the no-op,
`specfirst check` in a fresh clone with no state, import + `create_app()` of the generated
package, and peak memory. CPU time (user + system, children included) stands beside every wall
time: the machine may be shared.

Usage: uv run --frozen python bench/bench_generate.py [CORPUS_FOLDER] [--runs N] [--budget S]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
BENCH_ENVS = ROOT / ".bench"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "specs"
DEFAULT_DOCUMENTS = ("readme-petstore.json", "asana.json", "github-api.json")
SLOW_RUN = 20.0  # seconds: a tool slower than this on a document gets a single run there
TIMEOUT = 300.0  # seconds before a run counts as failing


@dataclass(frozen=True)
class Peer:
    name: str
    env: str  # folder under .bench/
    requirement: str  # what `pip install` gets
    command: Callable[[Path, Path], list[str]]  # (contract, output folder) → argv


def _bin(env: str, name: str) -> str:
    return str(BENCH_ENVS / env / "bin" / name)


PEERS = (
    Peer(
        "fastapi-code-generator 0.8.1",
        "fcg",
        "fastapi-code-generator==0.8.1",
        lambda c, o: [_bin("fcg", "fastapi-codegen"), "-i", str(c), "-o", str(o)],
    ),
    Peer(
        "openapi-generator 7.26.0",
        "ogc",
        "openapi-generator-cli==7.26.0",
        lambda c, o: [
            _bin("ogc", "openapi-generator-cli"),
            "generate",
            "-i",
            str(c),
            "-g",
            "python-fastapi",
            "-o",
            str(o),
        ],
    ),
    Peer(
        "datamodel-codegen 0.89.0 server",
        "dcg",
        "datamodel-code-generator==0.89.0",
        lambda c, o: [
            _bin("dcg", "datamodel-codegen"),
            "--input",
            str(c),
            "--input-file-type",
            "openapi",
            "--output-model-type",
            "pydantic_v2.BaseModel",
            "--output",
            str(o / "app" / "models.py"),
            "--generate-server",
            "fastapi",
            "--server-output",
            str(o / "app"),
            "--server-package",
            "app",
            "--server-model-package",
            "app.models",
        ],
    ),
)


def specfirst_command(contract: Path, out: Path) -> list[str]:
    """Ours, cold: validate + generate into an empty folder (`--force`: no early exit)."""
    return [
        sys.executable,
        "-m",
        "specfirst.cli",
        "generate",
        str(contract),
        "--out",
        str(out),
        "--package",
        "bench_api",
        "--force",
    ]


# -- environments ------------------------------------------------------------------------------


def ensure_env(peer: Peer) -> str | None:
    """Install the peer into `.bench/<env>` unless it is already there; an error text on failure."""
    folder = BENCH_ENVS / peer.env
    marker = folder / ".installed"
    if marker.exists() and marker.read_text(encoding="utf-8") == peer.requirement:
        return None
    shutil.rmtree(folder, ignore_errors=True)
    uv = shutil.which("uv")
    if uv:
        steps = [
            [uv, "venv", "-q", "--python", "3.11", str(folder)],
            [
                uv,
                "pip",
                "install",
                "-q",
                "--python",
                str(folder / "bin" / "python"),
                peer.requirement,
            ],
        ]
    else:
        steps = [
            [sys.executable, "-m", "venv", str(folder)],
            [str(folder / "bin" / "python"), "-m", "pip", "install", "-q", peer.requirement],
        ]
    print(f"installing {peer.requirement} into {folder.relative_to(ROOT)} ...", flush=True)
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            return lines[-1] if lines else f"exit {done.returncode}"
    compile_bytecode(folder / "bin" / "python")
    marker.write_text(peer.requirement, encoding="utf-8")
    return None


# -- timing ------------------------------------------------------------------------------------


@dataclass
class Timing:
    runs: list[float] = field(default_factory=list)
    error: str = ""
    peak_rss_mib: float = 0.0
    peak_tree_rss_mib: float = 0.0
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs and not self.error else None


@dataclass(frozen=True)
class Run:
    seconds: float  # wall
    error: str  # "" when it worked
    rss_mib: float = 0.0  # peak RSS of the largest single process (it or a child)
    cpu: float = 0.0  # user + system seconds, its waited-for children included
    tree_rss_mib: float = 0.0  # peak of the summed RSS of it and its children (sampled)


def run_once(
    argv: list[str], cwd: Path, timeout: float = TIMEOUT, env: dict[str, str] | None = None
) -> Run:
    """Run a command to its end (or the timeout) and measure it."""
    with tempfile.TemporaryFile() as log:  # not a pipe: a chatty tool would block on a full one
        started = time.perf_counter()
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env or dict(os.environ),
            start_new_session=True,  # a timeout ends its children too (a JVM, workers)
        )
        deadline = started + timeout
        tree_peak = 0.0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            tree_peak = max(tree_peak, tree_rss_mib(process.pid))
            if time.perf_counter() > deadline:
                os.killpg(process.pid, 9)
                os.wait4(process.pid, 0)
                return Run(time.perf_counter() - started, f"timeout after {timeout:.0f} s")
            time.sleep(0.01)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
    process.returncode = os.waitstatus_to_exitcode(status)
    rss, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    if process.returncode != 0:
        lines = [line for line in output.strip().splitlines() if line.strip()]
        error = f"exit {process.returncode}: {lines[-1][:120] if lines else ''}"
        return Run(seconds, error, rss, cpu, tree_peak)
    return Run(seconds, "", rss, cpu, tree_peak)


def tree_rss_mib(pid: int) -> float:
    """Summed resident memory of a process and its descendants, from /proc (0 where absent)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    pending += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue
    return total


def compile_bytecode(python: Path) -> None:
    """Byte-compile an environment's packages, so no tool pays for compiling its own source on
    every run (where PYTHONDONTWRITEBYTECODE is set, Python never caches it)."""
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if site:
        subprocess.run(
            [str(python), "-m", "compileall", "-q", "-j", "0", site],
            capture_output=True,
            check=False,
        )


def own_state(folder: Path) -> dict[str, str]:
    """Our environment with the generator's state (caches) in `folder`: empty means cold. And
    no resident models worker: a cold run is cold, with no process loaded by an earlier run."""
    return {**os.environ, "SPECFIRST_STATE_DIR": str(folder), "SPECFIRST_RESIDENT_WORKER": "0"}


def with_resident(env: dict[str, str], runtime: Path) -> dict[str, str]:
    """`env` with the resident models worker on, its socket in `runtime` (the bench's own, so
    the edit loops use the one the project's cold run starts, and `stop_resident` ends it)."""
    return {**env, "SPECFIRST_RESIDENT_WORKER": "1", "XDG_RUNTIME_DIR": str(runtime)}


def resident_pids(runtime: Path) -> list[int]:
    """The residents under `runtime` (each names itself in its lock file)."""
    pids = []
    for lock in (runtime / "specfirst").glob("*.lock"):
        text = lock.read_text(encoding="ascii").strip()
        if text.isdigit():
            pids.append(int(text))
    return pids


def resident_cpu(runtime: Path) -> float:
    """User + system seconds of the residents under `runtime` and of the copies they reaped
    (a run's copies are the resident's children, so the run's own figure misses them)."""
    total = 0.0
    for pid in resident_pids(runtime):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1]
        except OSError:
            continue
        total += sum(int(tick) for tick in fields.split()[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def stop_resident(runtime: Path) -> None:
    for pid in resident_pids(runtime):
        try:
            os.kill(pid, 15)
        except OSError:
            continue


def time_tool(
    command: Callable[[Path, Path], list[str]], contract: Path, runs: int, deadline: float
) -> Timing:
    timing = Timing()
    for index in range(runs):
        with tempfile.TemporaryDirectory(
            prefix="specfirst-bench-", ignore_cleanup_errors=True
        ) as tmp:
            out = Path(tmp) / "out"
            out.mkdir()
            run = run_once(command(contract, out), Path(tmp), env=own_state(Path(tmp) / "state"))
            seconds, error = run.seconds, run.error
            if not error and not any(out.rglob("*.py")):
                error = "wrote no Python files"
        timing.peak_rss_mib = max(timing.peak_rss_mib, run.rss_mib)
        timing.peak_tree_rss_mib = max(timing.peak_tree_rss_mib, run.tree_rss_mib)
        timing.cpu.append(run.cpu)
        if error:
            timing.error = error
            timing.runs.append(seconds)
            return timing
        timing.runs.append(seconds)
        if seconds > SLOW_RUN or time.perf_counter() > deadline or index + 1 >= runs:
            break
    return timing


def alternating(
    tools: list[tuple[str, Callable[[Path, Path], list[str]]]],
    contract: Path,
    runs: int,
    deadline: float,
) -> dict[str, Timing]:
    """`time_tool` of each tool on `contract`, one run of each in turn (ours, then each peer,
    then ours again...): a shared machine's load moves during a run of minutes, and the
    ratios compare runs made under the same load, not ours under one and the peer's under
    another. A tool stops after an error, a run over `SLOW_RUN`, or the deadline."""
    row = {name: Timing() for name, _ in tools}
    for _ in range(runs):
        for name, command in tools:
            timing = row[name]
            if timing.error or (
                timing.runs and (timing.runs[-1] > SLOW_RUN or time.perf_counter() > deadline)
            ):
                continue
            one = time_tool(command, contract, 1, deadline)
            timing.runs += one.runs
            timing.cpu += one.cpu
            timing.error = one.error
            timing.peak_rss_mib = max(timing.peak_rss_mib, one.peak_rss_mib)
            timing.peak_tree_rss_mib = max(timing.peak_tree_rss_mib, one.peak_tree_rss_mib)
    return row


def noop_seconds(runs: int) -> Timing:
    """`specfirst generate` for the configured APIs when nothing changed (the `make generate` case)."""
    argv = [sys.executable, "-m", "specfirst.cli", "generate"]
    run_once(argv, ROOT)  # make sure it is up to date first
    timing = Timing()
    for _ in range(runs):
        run = run_once(argv, ROOT)
        timing.error = timing.error or run.error
        timing.runs.append(run.seconds)
        timing.cpu.append(run.cpu)
    return timing


def _add(timing: Timing, run: Run) -> None:
    timing.runs.append(run.seconds)
    timing.cpu.append(run.cpu)
    timing.error = timing.error or run.error


T = TypeVar("T")


def _pick(items: list[T], index: int) -> T:
    """A different item (a name, a line) for each run, spread over the whole list."""
    return items[(index * 389 + 17) % len(items)]


Edit = Callable[[dict[str, Any], int], None]


def _edit_description(document: dict[str, Any], index: int) -> None:
    schemas = document["components"]["schemas"]
    schemas[_pick(sorted(schemas), index)]["description"] = f"Edited by the benchmark ({index})."


def _edit_new_property(document: dict[str, Any], index: int) -> None:
    schemas = document["components"]["schemas"]
    objects = sorted(n for n, s in schemas.items() if isinstance(s.get("properties"), dict))
    schemas[_pick(objects, index)]["properties"][f"bench_field_{index}"] = {"type": "string"}


def _edit_new_component(document: dict[str, Any], index: int) -> None:
    schemas = document["components"]["schemas"]
    target = _pick(sorted(schemas), index)
    schemas[f"bench-added-{index}"] = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "ref": {"$ref": f"#/components/schemas/{target}"},
        },
    }


def _edit_operation(document: dict[str, Any], index: int) -> None:
    operations = [
        op
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "responses" in op
    ]
    operations[(index * 389 + 17) % len(operations)]["summary"] = f"Edited summary {index}"


EDITS: dict[str, Edit] = {
    "edit one schema's description": _edit_description,
    "add a property to one schema": _edit_new_property,
    "add one component": _edit_new_component,
    "edit one operation's summary": _edit_operation,
}


def project_loops(
    contract: Path, runs: int, import_runs: int
) -> tuple[dict[str, Timing], Timing, Timing]:
    """In one project (pyproject naming the contract; its state in `.specfirst/` beside it),
    after a cold generate: the edit loops (a different schema or operation each time, caches
    as a user's would be), the no-op, `specfirst check` in fresh clones (the project copied to a
    new folder with no state, as on CI), and import + `create_app()` of the package."""
    edits: dict[str, Timing] = {}
    with tempfile.TemporaryDirectory(prefix="specfirst-bench-", ignore_cleanup_errors=True) as tmp:
        project = Path(tmp) / "project"
        (project / "specs").mkdir(parents=True)
        copy = project / "specs" / contract.name
        document = json.loads(contract.read_text(encoding="utf-8"))
        copy.write_text(json.dumps(document), encoding="utf-8")
        (project / "pyproject.toml").write_text(
            "[[tool.specfirst.apis]]\n"
            'name = "bench"\n'
            f'contract = "specs/{contract.name}"\n'
            'package = "bench_api"\n',
            encoding="utf-8",
        )
        runtime = Path(tmp) / "run"  # short: a socket's path is at most 107 bytes
        runtime.mkdir(mode=0o700)
        state = {k: v for k, v in os.environ.items() if k != "SPECFIRST_STATE_DIR"}
        env = with_resident(state, runtime)
        generate = [sys.executable, "-m", "specfirst.cli", "generate"]
        try:
            cold = run_once(generate, project, env=env)  # starts the resident, as a user's does
            for kind, edit in EDITS.items():
                timing = edits.setdefault(kind, Timing(error=cold.error))
                for index in range(runs):
                    edit(document, index)
                    copy.write_text(json.dumps(document), encoding="utf-8")
                    _add(timing, _with_resident_cpu(generate, project, env, runtime))
            noop = edits.setdefault("no-op (nothing changed)", Timing())
            for _ in range(runs):
                _add(noop, run_once(generate, project, env=env))
        finally:
            stop_resident(runtime)
        check = Timing()
        for index in range(runs):
            clone = Path(tmp) / f"clone-{index}"
            shutil.copytree(project, clone, ignore=shutil.ignore_patterns(".specfirst"))
            argv = [sys.executable, "-m", "specfirst.cli", "check"]
            _add(check, run_once(argv, clone, env=own_state(Path(tmp) / f"none-{index}")))
        started = Timing()
        generated = project / "generated"
        run_once([sys.executable, "-m", "compileall", "-q", "bench_api"], generated)
        start = [sys.executable, "-c", "import bench_api.app as a; a.create_app()"]
        for _ in range(import_runs):
            _add(started, run_once(start, generated))
    return edits, check, started


def _yaml_schema_starts(lines: list[str]) -> list[int]:
    """The lines of the YAML text's component schemas' keys (`    name:` under `  schemas:`)."""
    top = lines.index("  schemas:")
    end = next(n for n in range(top + 1, len(lines)) if not lines[n].startswith("   "))
    return [n for n in range(top + 1, end) if lines[n][:4] == "    " and lines[n][4:5] != " "]


def _yaml_property(lines: list[str], index: int) -> None:
    """Put a property into one schema of the YAML text's lines, after its `properties:` line,
    as a reviewer types it (the schema picked as `_pick` does; the next with a block mapping of
    properties where it has none)."""
    starts = _yaml_schema_starts(lines)
    first = starts.index(_pick(starts, index))
    for step in range(len(starts)):
        at = starts[(first + step) % len(starts)]
        end = next((n for n in range(at + 1, len(lines)) if not lines[n].startswith("     ")), at)
        found = next((n for n in range(at + 1, end) if lines[n] == "      properties:"), None)
        if found is not None:
            lines[found + 1 : found + 1] = [
                f"        bench_field_{index}:",
                "          type: string",
            ]
            return


def _yaml_component(lines: list[str], index: int) -> None:
    """Put a new component schema, referring to one picked as `_pick` does, before it."""
    at = _pick(_yaml_schema_starts(lines), index)
    target = lines[at].strip().rstrip(":").strip("'\"")
    lines[at:at] = [
        f"    bench-added-{index}:",
        "      type: object",
        "      properties:",
        "        name:",
        "          type: string",
        "        ref:",
        f"          $ref: '#/components/schemas/{target}'",
    ]


def _yaml_summary(lines: list[str], index: int) -> None:
    """Change one operation's one-line summary in the YAML text's lines."""
    top = lines.index("paths:")
    end = next(n for n in range(top + 1, len(lines)) if lines[n][:1] not in ("", " "))
    found = [n for n in range(top + 1, end) if lines[n].startswith("      summary: ")]
    lines[_pick(found, index)] = f"      summary: Edited summary {index}"


YAML_EDITS: dict[str, Callable[[list[str], int], None]] = {
    "YAML copy: add a property to one schema": _yaml_property,
    "YAML copy: add one component": _yaml_component,
    "YAML copy: edit one operation's summary": _yaml_summary,
}


def yaml_loops(contract: Path, runs: int) -> dict[str, Timing]:
    """The edit loops on the contract written as YAML (what reviewers edit), in a project of
    its own: a cold generate, then each edit made to the text as a reviewer makes it."""
    import yaml

    edits: dict[str, Timing] = {}
    document = json.loads(contract.read_text(encoding="utf-8"))
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True, width=1 << 30)
    lines = text.split("\n")
    with tempfile.TemporaryDirectory(prefix="specfirst-bench-", ignore_cleanup_errors=True) as tmp:
        project = Path(tmp) / "project"
        (project / "specs").mkdir(parents=True)
        copy = project / "specs" / (contract.stem + ".yaml")
        copy.write_text(text, encoding="utf-8")
        (project / "pyproject.toml").write_text(
            "[[tool.specfirst.apis]]\n"
            'name = "bench"\n'
            f'contract = "specs/{copy.name}"\n'
            'package = "bench_api"\n',
            encoding="utf-8",
        )
        runtime = Path(tmp) / "run"
        runtime.mkdir(mode=0o700)
        state = {k: v for k, v in os.environ.items() if k != "SPECFIRST_STATE_DIR"}
        env = with_resident(state, runtime)
        generate = [sys.executable, "-m", "specfirst.cli", "generate"]
        try:
            cold = run_once(generate, project, env=env)
            for kind, edit in YAML_EDITS.items():
                timing = edits.setdefault(kind, Timing(error=cold.error))
                for index in range(runs):
                    edit(lines, index)
                    copy.write_text("\n".join(lines), encoding="utf-8")
                    _add(timing, _with_resident_cpu(generate, project, env, runtime))
        finally:
            stop_resident(runtime)
    return edits


def _with_resident_cpu(argv: list[str], cwd: Path, env: dict[str, str], runtime: Path) -> Run:
    """`run_once`, its CPU figure counting what the resident's copies spent for it."""
    before = resident_cpu(runtime)
    run = run_once(argv, cwd, env=env)
    time.sleep(0.05)  # its copies exit as it closes their channels: let the resident reap them
    return replace(run, cpu=run.cpu + resident_cpu(runtime) - before)


# -- report ------------------------------------------------------------------------------------


def _cell(timing: Timing) -> str:
    if timing.error:
        return f"FAIL ({timing.error})"[:44]
    cpu = statistics.median(timing.cpu) if timing.cpu else 0.0
    return f"{timing.median:.2f} s (cpu {cpu:.1f}, n={len(timing.runs)})"


def _ratio(ours: Timing, peer: Timing) -> str:
    if ours.median is None:
        return "-"
    if peer.median is None:
        return "peer fails"
    return f"{ours.median / peer.median:.2f}x"


def operations(contract: Path) -> int:
    try:
        document = json.loads(contract.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return sum(
        1
        for item in (document.get("paths") or {}).values()
        if isinstance(item, dict)
        for method in item
        if method in methods
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS), help="corpus folder")
    parser.add_argument(
        "--documents",
        default=",".join(DEFAULT_DOCUMENTS),
        help=f"comma-separated file names (default: {','.join(DEFAULT_DOCUMENTS)})",
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per fast tool (default: 5)")
    parser.add_argument(
        "--budget", type=float, default=1500.0, help="seconds after which tools get one run only"
    )
    parser.add_argument("--skip-peers", action="store_true", help="time specfirst only")
    parser.add_argument(
        "--peers", help="comma-separated peer environments to time (fcg,ogc,dcg; default: all)"
    )
    parser.add_argument(
        "--edit-runs", type=int, default=3, help="runs of each kind of edit (default: 3)"
    )
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()

    corpus = Path(args.corpus).resolve()  # tools run in their own temporary folders
    documents = [corpus / name for name in args.documents.split(",") if name]
    missing = [str(d) for d in documents if not d.exists()]
    if missing:
        print(f"bench: missing documents: {', '.join(missing)}", file=sys.stderr)
        return 2
    deadline = time.perf_counter() + args.budget
    wanted = set(args.peers.split(",")) if args.peers else {p.env for p in PEERS}
    peers = [] if args.skip_peers else [p for p in PEERS if p.env in wanted]
    install_errors = {peer.name: ensure_env(peer) for peer in peers}
    compile_bytecode(Path(sys.executable))  # ours, on the same footing
    # specfirst and its runtime are installed editable (their source is not in site-packages):
    # compile them too, or every run where PYTHONDONTWRITEBYTECODE is set compiles them again.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            str(ROOT / "src"),
            str(ROOT / "runtime" / "src"),
        ],
        capture_output=True,
        check=False,
    )

    results: dict[str, dict[str, Timing]] = {}
    for document in documents:
        print(f"timing {document.name} ...", flush=True)
        tools: list[tuple[str, Callable[[Path, Path], list[str]]]] = [
            ("specfirst", specfirst_command)
        ]
        tools += [(p.name, p.command) for p in peers if not install_errors[p.name]]
        row = alternating(tools, document, args.runs, deadline)
        for peer in peers:
            if install_errors[peer.name]:
                row[peer.name] = Timing(error=f"install failed: {install_errors[peer.name]}")
        results[document.name] = row

    largest = max(documents, key=lambda d: d.stat().st_size)
    print(f"edit loops, check and import on {largest.name} ...", flush=True)
    edits, check, started = project_loops(largest, args.edit_runs, 3)
    print(f"edit loops on {largest.name} as YAML ...", flush=True)
    yaml_edits = yaml_loops(largest, args.edit_runs)
    noop = noop_seconds(args.runs)

    headers = ["document", "ops", "specfirst"]
    for peer in peers:
        headers += [peer.name, "ours/peer"]
    table = [headers]
    for document in documents:
        row = results[document.name]
        line = [document.name, str(operations(document)), _cell(row["specfirst"])]
        for peer in peers:
            line += [_cell(row[peer.name]), _ratio(row["specfirst"], row[peer.name])]
        table.append(line)
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    print()
    print("cold validate + generate (empty caches), wall time:")
    for index, line in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))
    print()
    ours_big = results[largest.name]["specfirst"]
    peer_ratios = [
        _ratio(ours_big, results[largest.name][p.name]) for p in peers if not install_errors[p.name]
    ]
    print(f"targets on {largest.name} (goal; figure; met?):")
    goals: list[tuple[str, float, Timing]] = [
        *[(f"{kind}, then generate", 1.0, t) for kind, t in edits.items() if "no-op" not in kind],
        *[(kind, 1.0, t) for kind, t in yaml_edits.items()],
        ("no-op generate (nothing changed)", 0.2, edits["no-op (nothing changed)"]),
        ("`specfirst check` in a fresh clone, no cache", 1.0, check),
        ("import the package + create_app()", 1.5, started),
    ]
    for label, goal, timing in goals:
        met = "-" if timing.median is None else ("met" if timing.median <= goal else "NOT met")
        print(f"  {label:<48} <= {goal:.1f} s   {_cell(timing):<34} {met}")
    memory = ours_big.peak_tree_rss_mib
    print(
        f"  {'peak memory of a cold generate':<48} < 1024 MiB  {ours_big.peak_rss_mib:.0f} MiB "
        f"largest process, {memory:.0f} MiB summed over its processes (sampled every 10 ms)   "
        f"{'met' if memory < 1024 else 'NOT met'}"
    )
    print(f"  {'cold generate, ratio to each peer':<48} < 1.00x   {', '.join(peer_ratios)}")
    print(f"no-op `specfirst generate` (this repository's configured APIs): {_cell(noop)}")
    print(
        f"cpus: {os.cpu_count()}; load average at the end: {os.getloadavg()[0]:.1f}; medians of up "
        f"to {args.runs} cold runs (one run when a run takes over {SLOW_RUN:.0f} s; the tools "
        f"in turn, one run each) and of "
        f"{args.edit_runs} edit runs (a different schema or operation each); cpu = user + system "
        "seconds of the process and its children; ours/peer < 1 means specfirst is faster"
    )
    print(
        "cold runs: the resident models worker off (no process loaded by an earlier run); edit "
        "loops and no-op: on, as a user gets it (started by the project's cold generate; the CPU "
        "its copies spent is counted in each edit's cpu), and stopped at the end"
    )
    if args.json:
        figures = {
            document: {tool: t.__dict__ for tool, t in row.items()}
            for document, row in results.items()
        }
        figures["noop"] = {"configured": noop.__dict__}
        figures["edit"] = {kind: t.__dict__ for kind, t in {**edits, **yaml_edits}.items()}
        figures["check"] = {largest.name: check.__dict__}
        figures["import"] = {largest.name: started.__dict__}
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
