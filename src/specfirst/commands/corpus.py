"""`specfirst corpus FOLDER`: every contract of a folder through the whole pipeline, one line each."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from specfirst.commands._common import error


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "corpus",
        help="run the pipeline over a folder of third-party contracts",
        description="For each contract, in a fresh folder and process: validate, generate, "
        "import, build create_app() with nothing bound and compare the served operations with "
        "the source's. Prints one line per contract and writes TSV and JSON reports.",
    )
    parser.add_argument("folder", help="folder of contracts (*.json, *.yaml, *.yml) or one file")
    parser.add_argument(
        "--out", default="reports/corpus", help="report folder (default: reports/corpus)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="contracts processed at once (default: 2)",
    )
    parser.add_argument(
        "--fuzz",
        action="store_true",
        help="also send Schemathesis requests to each small and medium stub app (no 500s allowed)",
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds allowed per contract (default: 900)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from specfirst.corpus import find_contracts, format_line, run_corpus, summary, write_reports

    folder = Path(args.folder)
    if not folder.exists():
        error(f"{folder}: no such file or folder")
        return 2
    contracts = find_contracts(folder)
    if not contracts:
        error(f"{folder}: no contracts (*.json, *.yaml, *.yml)")
        return 2
    width = max(len(c.name) for c in contracts)
    results = []
    for result in run_corpus(contracts, jobs=args.jobs, fuzz=args.fuzz, timeout=args.timeout):
        print(format_line(result, width), flush=True)
        results.append(result)
    print(summary(results))
    tsv, as_json = write_reports(results, Path(args.out))
    print(f"reports: {tsv} {as_json}")
    return 0 if all(r.ok for r in results) else 1
