"""Which operation answered which status: the raw material of the coverage summary.

Every response Schemathesis receives is recorded (operationId, status) by an `after_call` hook,
into a JSON-lines file when the run is a separate process, or in memory in-process.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path


class Observations:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.seen: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()

    def record(self, operation: str, status: int) -> None:
        with self._lock:
            self.seen[(operation, status)] += 1
            if self.path is not None:
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(json.dumps({"op": operation, "status": status}) + "\n")

    @classmethod
    def read(cls, path: Path) -> Observations:
        found = cls()
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    item = json.loads(line)
                    found.seen[(str(item["op"]), int(item["status"]))] += 1
        return found


ACTIVE: list[Observations] = []


def record(operation: str, status: int) -> None:
    """Record into the run's active observations, if any."""
    for observations in ACTIVE:
        observations.record(operation, status)
