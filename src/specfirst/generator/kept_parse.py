"""A YAML contract's bytes and data as the last run parsed them, kept for the next run's load.

Loading GitHub's contract as YAML costs about 1.2 s; after an edit, `yaml_splice.reparsed`
parses the edited entry alone and takes the rest from what is kept here (0.05-0.1 s). One file
per contract under `loads/` in the state folder, named by a hash of the generator's fingerprint
(which covers the loader's code and PyYAML's version: data parsed by other code is never
reused) and the contract's path; written atomically, read only when its CRC-32 holds, and
bounded to the newest `KEPT_FILES`.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from pathlib import Path

from specfirst.generator.state import evict, write_atomically
from specfirst.yaml_splice import Parsed

LOADS_SUBDIR = "loads"
KEPT_FILES = 8
YAML_SUFFIXES = (".yaml", ".yml")


def kept_parse_path(state: Path, contract: Path, fingerprint: str) -> Path | None:
    """Where the parse of `contract` is kept; None when it is no YAML file."""
    if contract.suffix.lower() not in YAML_SUFFIXES:
        return None
    scope = contract.resolve().as_posix()
    name = hashlib.sha256(f"parse\0{fingerprint}\0{scope}".encode()).hexdigest()
    return state / LOADS_SUBDIR / f"{name}.parse"


def read_parse(path: Path) -> Parsed | None:
    """The kept parse, or None when there is none or it is damaged."""
    try:
        data = path.read_bytes()
        os.utime(path)  # last use decides what is evicted
    except OSError:
        return None
    end = data.find(b"\n")
    try:
        if data[8:9] != b" " or int(data[:8], 16) != zlib.crc32(memoryview(data)[9:]):
            return None
        size, aliased = json.loads(data[9:end])
        if not isinstance(size, int) or not isinstance(aliased, bool) or end < 0:
            return None
    except ValueError:
        return None
    raw = data[end + 1 : end + 1 + size]
    return Parsed(raw, data[end + 1 + size :], aliased) if len(raw) == size else None


def keep_parse(path: Path, parsed: Parsed) -> None:
    """Keep `parsed` at `path` (best effort: a run that cannot write only loses speed)."""
    body = [json.dumps([len(parsed.raw), parsed.aliased]).encode(), b"\n"]
    body += [parsed.raw, parsed.snapshot]
    crc = 0
    for chunk in body:
        crc = zlib.crc32(chunk, crc)
    if write_atomically(path, [b"%08x " % crc, *body], unlink_first=True):
        evict(path.parent, max_entries=KEPT_FILES, patterns=("*.parse",))
