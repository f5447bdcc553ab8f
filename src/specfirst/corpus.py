"""Run the whole pipeline over a folder of third-party contracts and report what survives.

Each contract is handled by its own worker process (`python -m specfirst.corpus CONTRACT OUT PKG`)
so generated packages, their imports and memory never leak from one document into the next. The
worker, in a fresh output folder: loads, validates, generates, imports the package, builds
`create_app()` with nothing bound, and compares the operations (method + path) the app routes and
serves as `/openapi.json` with the source's. With fuzzing on, Schemathesis then sends a handful of
requests per operation to that stub app: the only acceptable answers are 501 problems (nothing is
bound) and 4xx problems for input the contract refuses; a 500 or a non-problem error is a finding.

A contract refused with located errors (one that cannot be parsed, at the fault; one that fails
validation, with every error) is reported as `invalid`, not as a failure, provided nothing was
written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CONTRACT_SUFFIXES = (".json", ".yaml", ".yml")
RESULT_MARKER = "@@specfirst-corpus@@"
# Fuzzing sends this many examples per operation, on contracts with at most this many operations.
FUZZ_EXAMPLES = 5
FUZZ_MAX_OPERATIONS = 199


@dataclass
class CorpusResult:
    """One contract's outcome; `stage` is the step that failed (or `done`)."""

    name: str
    result: str  # pass | invalid | fail
    stage: str  # load | validate | generate | import | app | operations | fuzz | done
    operations: int = 0  # in the source contract
    served: int = 0  # routed by the app and present in /openapi.json
    seconds: float = 0.0  # wall time of the whole worker
    generate_seconds: float = 0.0  # load + validate + generate
    error: str = ""  # the first error, one line
    errors: list[str] = field(default_factory=list)  # every error (validation issues, mismatches)
    fuzz_cases: int = 0
    fuzz_findings: int = 0

    @property
    def ok(self) -> bool:
        return self.result in ("pass", "invalid")


def find_contracts(folder: Path) -> list[Path]:
    """Every contract file directly in `folder` (or `folder` itself), sorted by name."""
    if folder.is_file():
        return [folder]
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in CONTRACT_SUFFIXES)


def package_name(contract: Path) -> str:
    from specfirst.names import snake_case

    return snake_case(contract.stem, fallback="api") + "_api"


def source_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation the contract declares."""
    from specfirst.openapi import iter_operations

    return {(op.method.upper(), op.path) for op in iter_operations(document)}


def _template(path: str) -> str:
    """A path with every `{parameter}` blanked, so wire and Python parameter names compare equal."""
    out, depth = [], 0
    for char in path:
        if char == "{":
            depth += 1
            if depth == 1:
                out.append("{}")
        elif char == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(char)
    return "".join(out)


def _one_line(text: object, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# -- the worker: one contract, in its own process ----------------------------------------------


def run_one(contract: Path, out: Path, package: str, *, fuzz: bool) -> CorpusResult:
    """Everything for one contract, in this process. Used by the worker entry point."""
    from specfirst.errors import ContractLoadError, SpecfirstError
    from specfirst.generator.pipeline import InvalidContractError, generate_package

    started = time.perf_counter()
    result = CorpusResult(contract.name, "fail", "load")

    def finish() -> CorpusResult:
        result.seconds = round(time.perf_counter() - started, 3)
        if result.errors and not result.error:
            result.error = _one_line(result.errors[0])
        return result

    try:
        generated = generate_package(contract, package, out, force=True)
    except (ContractLoadError, InvalidContractError) as exc:
        # Refused with located errors (unparsable: at the fault; invalid: every error) is the
        # right answer for a broken contract, provided nothing was written.
        result.generate_seconds = round(time.perf_counter() - started, 3)
        if isinstance(exc, InvalidContractError):
            result.stage = "validate"
            result.errors = [str(issue) for issue in exc.issues]
        else:
            result.errors = [str(exc)]
        written = (out / package).exists()
        if written:
            result.errors.insert(
                0, f"{out / package} was written although the contract was refused"
            )
        result.result = "fail" if written else "invalid"
        return finish()
    except SpecfirstError as exc:
        result.stage = "generate"
        result.errors = [str(exc)]
        return finish()
    except Exception as exc:  # a generator bug: report it, keep going with the next contract
        result.stage = "generate"
        result.errors = [f"{type(exc).__name__}: {exc}"]
        return finish()
    result.generate_seconds = round(generated.seconds, 3)
    return finish_app(result, out, package, fuzz=fuzz, finish=finish)


def finish_app(
    result: CorpusResult,
    out: Path,
    package: str,
    *,
    fuzz: bool,
    finish: Callable[[], CorpusResult],
) -> CorpusResult:
    import importlib
    import traceback

    result.stage = "import"
    sys.path.insert(0, str(out))
    try:
        module = importlib.import_module(package)
    except Exception as exc:
        result.errors = [_last_frame(exc, traceback.format_exc())]
        return finish()
    result.stage = "app"
    try:
        app = module.create_app()
        from fastapi.testclient import TestClient

        with TestClient(app, raise_server_exceptions=True) as client:
            served = client.get("/openapi.json")
            served.raise_for_status()
            document = served.json()
    except Exception as exc:
        result.errors = [_last_frame(exc, traceback.format_exc())]
        return finish()
    result.stage = "operations"
    from specfirst_runtime.app import load_contract

    contract_document = load_contract(package=module.__name__)
    expected = source_operations(contract_document)
    result.operations = len(expected)
    routed = _routed_operations(app)
    in_document = source_operations(document)
    wanted = {(m, _template(p)) for m, p in expected}
    mismatches = [
        f"not routed: {m} {p}" for m, p in sorted(expected) if (m, _template(p)) not in routed
    ]
    mismatches += [f"routed but not in the contract: {m} {p}" for m, p in sorted(routed - wanted)]
    mismatches += [
        f"missing from /openapi.json: {m} {p}" for m, p in sorted(expected - in_document)
    ]
    mismatches += [f"extra in /openapi.json: {m} {p}" for m, p in sorted(in_document - expected)]
    result.served = len({(m, p) for m, p in expected if (m, _template(p)) in routed} & in_document)
    if mismatches:
        result.errors = mismatches
        return finish()
    if fuzz:
        result.stage = "fuzz"
        if result.operations <= FUZZ_MAX_OPERATIONS:
            cases, findings = fuzz_app(app, contract_document)
            result.fuzz_cases = cases
            result.fuzz_findings = len(findings)
            if findings:
                result.errors = findings
                return finish()
    result.stage, result.result = "done", "pass"
    return finish()


def _routed_operations(app: Any) -> set[tuple[str, str]]:
    from fastapi.routing import APIRoute

    routed: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, APIRoute):
            routed.update((method, _template(route.path)) for method in route.methods or ())
    return routed


def _last_frame(exc: BaseException, formatted: str) -> str:
    """The exception and the innermost frame of generated code, which is where the fix starts."""
    lines = [line for line in formatted.splitlines() if line.startswith('  File "')]
    where = lines[-1].strip() if lines else ""
    return f"{type(exc).__name__}: {_one_line(exc, 400)}" + (f" [{where}]" if where else "")


def fuzz_app(app: Any, document: dict[str, Any]) -> tuple[int, list[str]]:
    """Schemathesis against the stub app; (cases sent, findings as one line each)."""
    import warnings

    import schemathesis
    from schemathesis.core.result import Ok

    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    schema.config.update(base_url="http://localhost")  # routes sit at the contract's own paths
    cases = 0
    findings: list[str] = []
    seen: set[str] = set()
    for found in schema.get_all_operations():
        if not isinstance(found, Ok):
            continue  # an operation Schemathesis cannot build requests for: its limit, not ours
        operation = found.ok()
        label = f"{operation.method.upper()} {operation.path}"
        sent: list[int] = []
        probe = _probe(operation, label, sent, findings, seen)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                probe()
            except Exception as exc:
                # Schemathesis/Hypothesis refusing to build or send a request (no serializer for
                # `application/x-tar`, unsatisfiable schema) is their limit, not a finding; an
                # exception from the app itself is one.
                origin = type(exc).__module__.split(".")[0]
                if origin not in ("schemathesis", "hypothesis"):
                    findings.append(f"{label}: {type(exc).__name__}: {_one_line(exc, 200)}")
        cases += len(sent)
    return cases, findings


def _probe(
    operation: Any, label: str, sent: list[int], findings: list[str], seen: set[str]
) -> Callable[[], None]:
    """A Hypothesis test sending a few generated requests for one operation."""
    from hypothesis import HealthCheck, Phase, given, settings

    @given(case=operation.as_strategy())
    @settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def probe(case: Any) -> None:
        response = case.call()
        sent.append(response.status_code)
        problem = _bad_response(response)
        if problem and f"{label}: {problem}" not in seen:
            seen.add(f"{label}: {problem}")
            findings.append(f"{label}: {problem}")

    return probe  # type: ignore[no-any-return]


def _bad_response(response: Any) -> str:
    """Why a stub app's answer is unacceptable ("" when it is fine)."""
    status = int(response.status_code)
    raw = response.headers.get("content-type") or response.headers.get("Content-Type") or ""
    media = str(raw[0] if isinstance(raw, list) and raw else raw).split(";")[0].strip()
    if status == 501 or 400 <= status < 500:
        if media != "application/problem+json":
            return f"{status} is {media or 'no content type'}, not a problem document"
        return ""
    return f"unexpected status {status}"


# -- the driver: every contract, a few workers at a time ---------------------------------------


def _worker_command(contract: Path, out: Path, package: str, fuzz: bool) -> list[str]:
    command = [sys.executable, "-m", "specfirst.corpus", str(contract), str(out), package]
    return [*command, "--fuzz"] if fuzz else command


def run_worker(contract: Path, fuzz: bool, timeout: float) -> CorpusResult:
    """One contract in a fresh process and a fresh, temporary output folder."""
    package = package_name(contract)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="specfirst-corpus-") as tmp:
        env = dict(os.environ, PYTHONHASHSEED="0")
        try:
            done = subprocess.run(
                _worker_command(contract.resolve(), Path(tmp), package, fuzz),
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                cwd=tmp,  # a cold run: no local caches (.specfirst/) from earlier runs
                check=False,
            )
        except subprocess.TimeoutExpired:
            return CorpusResult(
                contract.name,
                "fail",
                "timeout",
                seconds=round(time.perf_counter() - started, 3),
                error=f"no result after {timeout:.0f} s",
            )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return CorpusResult(**json.loads(line[len(RESULT_MARKER) :]))
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return CorpusResult(
        contract.name,
        "fail",
        "crash",
        seconds=round(time.perf_counter() - started, 3),
        error=_one_line(f"worker exited {done.returncode}: {' | '.join(tail)}"),
    )


def run_corpus(
    contracts: Iterable[Path], *, jobs: int, fuzz: bool, timeout: float
) -> Iterator[CorpusResult]:
    """Results in the order of `contracts`, each as soon as it and those before it are done."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(run_worker, c, fuzz, timeout) for c in contracts]
        for future in futures:
            yield future.result()


TSV_COLUMNS = (
    "name",
    "result",
    "stage",
    "operations",
    "served",
    "seconds",
    "generate_seconds",
    "fuzz_cases",
    "fuzz_findings",
    "error",
)


def format_line(r: CorpusResult, width: int) -> str:
    fuzz = f"  fuzz {r.fuzz_cases} cases" if r.fuzz_cases else ""
    error = r.error or "-"
    if r.result == "invalid" and r.stage == "validate":
        error = f"{len(r.errors)} validation error(s); first: {error}"
    elif r.result == "invalid":
        error = f"unreadable: {error}"
    return (
        f"{r.result.upper():7} {r.name:<{width}}  ops {r.served:>4}/{r.operations:<4}"
        f"  gen {r.generate_seconds:6.2f} s  total {r.seconds:6.2f} s{fuzz}"
        f"  {error}"
    )


def summary(results: list[CorpusResult]) -> str:
    valid = [r for r in results if r.result != "invalid"]
    passed = sum(r.result == "pass" for r in valid)
    invalid = len(results) - len(valid)
    seconds = sum(r.seconds for r in results)
    return (
        f"total: {passed}/{len(valid)} valid contracts pass; {invalid} invalid refused with "
        f"located errors; {len(valid) - passed} failing ({seconds:.1f} s of work)"
    )


def write_reports(results: list[CorpusResult], folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    tsv, as_json = folder / "corpus.tsv", folder / "corpus.json"
    rows = ["\t".join(TSV_COLUMNS)]
    for r in results:
        values = asdict(r)
        rows.append("\t".join(_one_line(values[c]).replace("\t", " ") for c in TSV_COLUMNS))
    tsv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    as_json.write_text(
        json.dumps([asdict(r) for r in results], indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return tsv, as_json


def _worker_main(argv: list[str]) -> int:
    contract, out, package = Path(argv[0]), Path(argv[1]), argv[2]
    result = run_one(contract, out, package, fuzz="--fuzz" in argv[3:])
    print(RESULT_MARKER + json.dumps(asdict(result), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":  # the worker process
    sys.exit(_worker_main(sys.argv[1:]))
