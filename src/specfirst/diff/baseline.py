"""Released baselines: `contracts/baselines/<api>/`, the default BASE of `specfirst diff`.

A baseline is a verbatim copy of every file of the released contract, at the same path relative to the
project root as in the working tree (so relative `$ref`s keep working and a reviewer can diff the files
with plain git), plus `baseline.json`: which file is the entry, the version, the content hash and the
commit it was recorded from.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from specfirst.config import ApiConfig
from specfirst.diff.sources import BASELINE_MANIFEST, SourceError
from specfirst.loader import load_contract

BASELINES = Path("contracts") / "baselines"


def baseline_dir(root: Path, api: ApiConfig) -> Path:
    return root / BASELINES / api.name


def record_baseline(root: Path, api: ApiConfig) -> Path:
    """Copy the API's current contract into its baseline folder (replacing the previous one)."""
    contract = load_contract(api.contract)
    folder = baseline_dir(root, api)
    relative: dict[Path, Path] = {}
    for file in contract.files:
        try:
            relative[file] = file.resolve().relative_to(root.resolve())
        except ValueError:
            raise SourceError(f"{file} is outside the project {root}: cannot record it") from None
    if folder.exists():
        shutil.rmtree(folder)
    for source, rel in relative.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(contract.sources[source].raw)
    info = contract.document.get("info")
    manifest = {
        "api": api.name,
        "contract": relative[contract.path].as_posix(),
        "version": info.get("version") if isinstance(info, dict) else None,
        "sha256": contract.sha256,
        "files": sorted(rel.as_posix() for rel in relative.values()),
        "commit": _head_commit(root),
        "recorded_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    (folder / BASELINE_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def _head_commit(root: Path) -> str | None:
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else None
