"""`python -m specfirst.generator.pydantic_models.worker LISTING`: models runs in their own process.

LISTING is a JSON file of `[input, output]` path pairs: each input is a models document (JSON),
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


def main() -> int:
    pairs = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
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
