"""`python -m specfirst.generator.pydantic_models.worker LISTING`: models runs in their own process.

LISTING is a JSON file of `[input, output]` path pairs (`-`: first load datamodel-code-generator,
then read LISTING's path from stdin; `driver.PrestartedWorker`): each input is a models document (JSON),
and datamodel-code-generator's module for it is written to its output. On failure, the message
goes to stderr and the exit status is 1. A plain subprocess rather than multiprocessing, whose
spawn start re-runs the caller's main script and whose fork start copies whatever threads the
caller holds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from specfirst.generator.pydantic_models.driver import ModelGenerationError, _run_datamodel_codegen

# A trivial document: running it once loads what datamodel-code-generator loads on first use.
_WARM_UP = {
    "openapi": "3.0.3",
    "info": {"title": "warm-up", "version": "0"},
    "paths": {},
    "components": {"schemas": {"A": {"type": "object", "properties": {"a": {"type": "string"}}}}},
}


def main() -> int:
    listing = sys.argv[1]
    if listing == "-":  # prestarted: load everything first, then read the listing's path
        _run_datamodel_codegen(_WARM_UP)
        listing = sys.stdin.readline().strip()
        if not listing:
            return 0  # not needed after all
    pairs = json.loads(Path(listing).read_text(encoding="utf-8"))
    for source, target in pairs:
        document = json.loads(Path(source).read_text(encoding="utf-8"))
        try:
            module = _run_datamodel_codegen(document)
        except ModelGenerationError as error:
            sys.stderr.write(str(error))
            return 1
        Path(target).write_text(module, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
