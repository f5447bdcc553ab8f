"""Document-level rules."""

from __future__ import annotations

import re
from collections.abc import Iterator

from specfirst.lint.model import Finding, LintContext, Severity, rule
from specfirst.openapi import as_dict

# https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


@rule(
    "info-version-semver",
    Severity.ERROR,
    "info.version is a semantic version (MAJOR.MINOR.PATCH); diff relies on its major part.",
)
def info_version_semver(ctx: LintContext) -> Iterator[Finding]:
    info = as_dict(ctx.document.get("info"))
    version = info.get("version")
    if not isinstance(version, str) or not SEMVER.match(version):
        yield Finding(
            "info-version-semver",
            f"info.version {version!r} is not a semantic version like 1.4.0",
            "/info/version" if "version" in info else "/info",
        )
