"""Verdicts of the `default` checks, kept between runs in the state folder.

openapi-spec-validator checks each `default` against its schema in pure Python (973 of them in
GitHub's contract: about 0.1 s, and 0.3 s of imports before the first). Each verdict is a function
of what the key names, and nothing else:
- the schema's own JSON text, the default's JSON text, the OpenAPI version and `jsonSchemaDialect`;
- for every local `$ref` the schema reaches, transitively, the ref and the JSON text of its target
  (or that it has none);
- this package's validation code (with `openapi/` and `loader.py`, which follow the refs) and the
  versions of the libraries that judge.
A schema whose verdict could depend on anything else is never cached (`SchemaChecks`): a
`discriminator` (its implicit mapping names a component from the default's value), identifiers
(`$id`, `id`, anchors, dynamic or recursive refs: they change what a ref resolves to), a ref that is
not a plain `#/...` pointer, or a value JSON cannot write.

All entries live in one small JSON file, `validation-defaults.json` (≈100 bytes an entry), read
once and, when a run computed something new, rewritten through a temporary file and a rename. At
most `MAX_ENTRIES` are kept, those used by the last run first. A file or an entry that does not
read as expected is ignored (computed again), so deleting or corrupting it only costs speed.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from specfirst.generator.state import write_atomically

FILE_NAME = "validation-defaults.json"
MAX_ENTRIES = 50_000
FORMAT = 1

# The libraries whose code decides a `default`'s verdict (and `regress`, which
# openapi-schema-validator prefers to `re` when it is installed).
_JUDGES = (
    "openapi-spec-validator",
    "openapi-schema-validator",
    "jsonschema",
    "jsonschema-path",
    "referencing",
    "regress",
)

Problem = tuple[str, str, str]


@cache
def fingerprint() -> str:
    """This package's validation code and the judging libraries' versions."""
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    package = Path(__file__).parents[1]
    # this package, and how it follows refs to build keys (`openapi.References`, the pointers)
    sources = [
        *package.glob("validation/*.py"),
        *package.glob("openapi/*.py"),
        package / "loader.py",
    ]
    for source in sorted(sources):
        name = source.relative_to(package).as_posix()
        digest.update(name.encode() + b"\0" + source.read_bytes() + b"\0")
    for dist in _JUDGES:
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{dist}=={version}\n".encode())
    return digest.hexdigest()


def _problems(value: Any) -> list[Problem] | None:
    """A stored verdict, or None when it is not one (a corrupted entry)."""
    if not isinstance(value, list):
        return None
    found: list[Problem] = []
    for item in value:
        if not (
            isinstance(item, list) and len(item) == 3 and all(isinstance(s, str) for s in item)
        ):
            return None
        found.append((item[0], item[1], item[2]))
    return found


class VerdictCache:
    """Keys (hex digests) → problems, for one run; `save()` writes what is new."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE_NAME
        self._stored: dict[str, Any] | None = None
        self._used: dict[str, list[Problem]] = {}
        self._new = False

    def _entries(self) -> dict[str, Any]:
        if self._stored is None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = None
            valid = isinstance(data, dict) and data.get("fingerprint") == fingerprint()
            entries = data.get("entries") if valid and isinstance(data, dict) else None
            self._stored = entries if isinstance(entries, dict) else {}
        return self._stored

    def key(self, parts: list[str]) -> str:
        digest = hashlib.sha256()
        for part in parts:
            data = part.encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "big") + data)
        return digest.hexdigest()

    def get(self, key: str) -> list[Problem] | None:
        found = self._used.get(key)
        if found is None:
            found = _problems(self._entries().get(key))
            if found is not None:
                self._used[key] = found
        return found

    def put(self, key: str, problems: list[Problem]) -> None:
        self._used[key] = list(problems)
        self._new = True

    def save(self) -> None:
        """Write the file (atomically, best effort) when this run computed anything new."""
        if not self._new:
            return
        entries: dict[str, Any] = {k: [list(p) for p in v] for k, v in self._used.items()}
        for key, value in self._entries().items():
            if len(entries) >= MAX_ENTRIES:
                break
            entries.setdefault(key, value)
        if len(entries) > MAX_ENTRIES:  # this run alone used more than the bound
            entries = dict(list(entries.items())[:MAX_ENTRIES])
        data = json.dumps({"fingerprint": fingerprint(), "entries": entries}, separators=(",", ":"))
        write_atomically(self.path, data.encode())
        self._new = False
