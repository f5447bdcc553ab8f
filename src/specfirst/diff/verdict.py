"""The verdict of a diff: does it fail, and what should `info.version` become?

Breaking changes fail the diff unless `info.version`'s major part went up: a new major version is how a
contract says "clients must change".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from specfirst.diff.model import Change, Level

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def parse_version(version: str | None) -> tuple[int, int, int] | None:
    match = _VERSION.match(version or "")
    if match is None:
        return None
    major, minor, patch = (int(part) if part else 0 for part in match.groups())
    return major, minor, patch


@dataclass(frozen=True)
class Verdict:
    breaking: int
    warnings: int
    base_version: str | None
    head_version: str | None
    fail_on_warning: bool = False

    @property
    def major_bumped(self) -> bool:
        base, head = parse_version(self.base_version), parse_version(self.head_version)
        return base is not None and head is not None and head[0] > base[0]

    @property
    def failed(self) -> bool:
        if self.major_bumped:
            return False
        return self.breaking > 0 or (self.fail_on_warning and self.warnings > 0)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def suggested_version(self, changes: list[Change]) -> str | None:
        """The smallest semver bump over base that the changes call for."""
        base = parse_version(self.base_version)
        if base is None:
            return None
        major, minor, patch = base
        levels = {c.level for c in changes}
        if Level.BREAKING in levels:
            return f"{major + 1}.0.0"
        if levels & {Level.WARNING, Level.NON_BREAKING}:
            return f"{major}.{minor + 1}.0"
        if levels:
            return f"{major}.{minor}.{patch + 1}"
        return None

    def summary(self, changes: list[Change]) -> str:
        """One sentence: the outcome and what to do about it."""
        suggested = self.suggested_version(changes)
        versions = f"{self.base_version} → {self.head_version}"
        if self.breaking and self.major_bumped:
            return (
                f"Breaking changes are allowed: info.version's major part was bumped ({versions})."
            )
        if self.breaking:
            hint = f" to {suggested}" if suggested else ""
            return (
                "Breaking changes without a new major version: keep the old behaviour, or bump"
                f" info.version{hint} (now {self.head_version})."
            )
        if self.fail_on_warning and self.warnings:
            return "Warnings fail this run (--fail-on warning)."
        if not changes:
            return "No changes."
        same = parse_version(self.head_version) == parse_version(self.base_version)
        if same and suggested:
            return f"No breaking changes. info.version is unchanged; suggested: {suggested}."
        return "No breaking changes."
