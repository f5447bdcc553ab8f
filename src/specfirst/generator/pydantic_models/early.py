"""Whether to start a models worker before the contract is loaded: a guess from its bytes.

A schema edit's models need datamodel-code-generator, which a worker process takes 0.4-0.6 s to
load. Started once the contract is loaded and its component schemas dumped
(`driver.early_worker`, 0.28 s into a run on GitHub's contract), the worker is still loading
when this process knows the parts, and the run waits for it. Before loading, only the file's
bytes are known, and they are enough for a guess: `schemas_region` finds where the component
schemas begin (the `schemas` key after the top-level `components` key, in JSON or in block
YAML), and a digest of the bytes from there to the end of the file is compared with the one
the last run kept. An operation edit changes bytes before that point in most contracts (paths
come before components), so it starts nothing; a schema edit changes them.

It is only a guess, and it only decides when a worker starts: a wrong "changed" costs the CPU
of a worker that `driver.early_worker` ends as soon as the component schemas are known to be
the last run's; a wrong "unchanged" (a region found in the wrong place, schemas in another
file) leaves the start to `driver.early_worker`, as before. What is generated never reads it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

# JSON: the first `"components": {` (a top-level key in any contract that has no property or
# example named so before it), then its `"schemas"`.
_JSON_COMPONENTS = re.compile(rb'"components"\s*:\s*\{')
# Block YAML: a top-level key starts a line, and `schemas` is indented under it.
_YAML_SCHEMAS = re.compile(rb"\n[ \t]+[\"']?schemas[\"']?[ \t]*:")


def schemas_region(raw: bytes) -> int | None:
    """Where the component schemas of the contract whose text is `raw` begin (None when no
    such place is found)."""
    if raw.lstrip()[:1] == b"{":
        found = _JSON_COMPONENTS.search(raw)
        if found is None:
            return None
        start = raw.find(b'"schemas"', found.end())
        return start if start >= 0 else None
    at = raw.find(b"\ncomponents:")
    if at < 0:
        return None
    schemas = _YAML_SCHEMAS.search(raw, at + 1)
    return schemas.start() if schemas is not None else None


def region_changed(raw: bytes, hint: Path, min_bytes: int = 0) -> bool:
    """Whether the bytes of `raw` from its component schemas on (`schemas_region`) differ from
    those of the last run that kept their digest in `hint` (which is updated), and are more
    than `min_bytes` long. False when no such region is found."""
    from specfirst.generator.pydantic_models.driver import read_entry, write_entry

    start = schemas_region(raw)
    if start is None or len(raw) - start <= min_bytes:
        return False
    digest = hashlib.sha256(memoryview(raw)[start:]).hexdigest()
    if read_entry(hint) == digest:
        return False
    write_entry(hint, digest)
    return True
