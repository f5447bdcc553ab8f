"""Lines of generated Python per operation: specfirst's packages and datamodel-code-generator's
FastAPI server output for the same contracts, measured in the same run.

    uv run python bench/lines_per_operation.py [API-NAME ...]      (default: every configured API)

For each package: every generated `.py` file counted (`all`), the same without a runtime copied
into the package (`_runtime.py`, `_runtime/`), and the served contract on its own (a module
holding it, or the `openapi.json` package data). The target is `all` ≤ 140 per operation.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from specfirst.loader import load_contract

ROOT = Path(__file__).parents[1]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
TARGET = 140


@dataclass(frozen=True)
class Count:
    python: int  # every generated .py file
    runtime: int  # of which a copied runtime
    contract: int  # the served contract (a .py module holding it, or openapi.json)
    contract_in_python: bool


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def count(package: Path) -> Count:
    python = runtime = contract = 0
    contract_in_python = False
    for path in sorted(package.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(package)
        if path.suffix == ".py":
            n = lines(path)
            python += n
            if relative.parts[0] in ("_runtime.py", "_runtime"):
                runtime += n
            elif relative.name == "contract.py" and "CONTRACT_JSON" in path.read_text("utf-8"):
                contract, contract_in_python = n, True
        elif path.name == "openapi.json":
            contract = lines(path)
    return Count(python, runtime, contract, contract_in_python)


def operation_count(contract: Path) -> int:
    paths = load_contract(contract).document.get("paths") or {}
    return sum(1 for item in paths.values() for m in HTTP_METHODS if m in (item or {}))


def dmcg_package(contract: Path, work: Path) -> Path:
    """datamodel-code-generator's `--generate-server fastapi` package for `contract`."""
    out = work / contract.parent.name / "srv"
    out.parent.mkdir(parents=True)
    command = [
        str(Path(sys.executable).with_name("datamodel-codegen")),
        *("--input", str(contract), "--input-file-type", "openapi"),
        *("--output-model-type", "pydantic_v2.BaseModel", "--output", str(out / "models.py")),
        *("--generate-server", "fastapi", "--server-output", str(out)),
        *("--server-package", "srv", "--server-model-package", "srv.models"),
    ]
    subprocess.run(command, cwd=out.parent, capture_output=True, check=True)
    return out


def row(name: str, operations: int, c: Count) -> str:
    without_runtime = c.python - c.runtime
    without_both = without_runtime - (c.contract if c.contract_in_python else 0)
    with_contract = c.python + (0 if c.contract_in_python else c.contract)
    return (
        f"| {name} | {operations} | {c.python} | {c.python / operations:.0f} | "
        f"{without_runtime / operations:.0f} | {without_both / operations:.0f} | "
        f"{with_contract / operations:.0f} |"
    )


def main(argv: list[str]) -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    apis = [a for a in config["tool"]["specfirst"]["apis"] if not argv or a["name"] in argv]
    print(
        "| package | operations | Python lines | per operation (all Python) | without runtime |"
        " without runtime and contract | with the contract file |"
    )
    print("|---|---|---|---|---|---|---|")
    worst = 0.0
    with tempfile.TemporaryDirectory() as work:
        for api in apis:
            contract = ROOT / api["contract"]
            operations = operation_count(contract)
            package = ROOT / api.get("out", "generated") / api["package"]
            ours = count(package)
            worst = max(worst, ours.python / operations)
            print(row(api["package"], operations, ours))
            if (
                shutil.which("datamodel-codegen")
                or Path(sys.executable).with_name("datamodel-codegen").exists()
            ):
                theirs = count(dmcg_package(contract, Path(work)))
                print(row(f"{api['package']} (datamodel-codegen server)", operations, theirs))
    print(
        f"\nworst specfirst package: {worst:.0f} lines of Python per operation (target ≤ {TARGET})"
    )
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
