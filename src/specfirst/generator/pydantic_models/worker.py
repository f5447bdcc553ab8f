"""`python -m specfirst.generator.pydantic_models.worker`: one models run in its own process.

Reads a models document from the JSON file named by its argument and writes
datamodel-code-generator's module on stdout; on failure, the message on stderr and exit status 1. A plain subprocess rather than
multiprocessing, whose spawn start re-runs the caller's main script and whose fork start copies
whatever threads the caller holds.
"""

from __future__ import annotations

import json
import sys

from specfirst.generator.pydantic_models.driver import ModelGenerationError, _run_datamodel_codegen


def main() -> int:
    with open(sys.argv[1], "rb") as source_file:
        document = json.load(source_file)
    try:
        source = _run_datamodel_codegen(document)
    except ModelGenerationError as error:
        sys.stderr.write(str(error))
        return 1
    sys.stdout.buffer.write(source.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
