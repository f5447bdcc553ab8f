"""Print findings for people (text), for tools (JSON) and for GitHub Actions (workflow annotations)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from specfirst.lint.model import Finding, Severity

FORMATS = ("text", "json", "github")


def _counts(findings: Sequence[Finding]) -> tuple[int, int]:
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    return errors, len(findings) - errors


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(findings: Sequence[Finding], contracts: Sequence[Path]) -> str:
    lines = []
    for f in findings:
        where = str(f.location) if f.location else f.pointer
        lines.append(f"{where}: {f.severity.value} [{f.rule}] {f.message}")
    errors, warnings = _counts(findings)
    lines.append(
        f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
        f" in {_plural(len(contracts), 'contract')}"
    )
    return "\n".join(lines) + "\n"


def render_json(findings: Sequence[Finding], contracts: Sequence[Path]) -> str:
    errors, warnings = _counts(findings)
    data = {
        "contracts": [str(c) for c in contracts],
        "errors": errors,
        "warnings": warnings,
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity.value,
                "message": f.message,
                "file": str(f.location.file) if f.location else None,
                "line": f.location.line if f.location else None,
                "column": f.location.column if f.location else None,
                "pointer": f.pointer,
            }
            for f in findings
        ],
    }
    return json.dumps(data, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: Sequence[Finding], contracts: Sequence[Path]) -> str:
    """`::error file=F,line=L,col=C,title=T::message`, one per finding (workflow commands)."""
    lines = []
    for f in findings:
        level = "error" if f.severity is Severity.ERROR else "warning"
        props = []
        if f.location:
            props += [
                f"file={_escape_property(f.location.file.as_posix())}",
                f"line={f.location.line}",
                f"col={f.location.column}",
            ]
        props.append(f"title={_escape_property(f'specfirst lint {f.rule}')}")
        lines.append(f"::{level} {','.join(props)}::{_escape_data(f.message)}")
    return "".join(line + "\n" for line in lines)


def render(fmt: str, findings: Sequence[Finding], contracts: Sequence[Path]) -> str:
    if fmt == "json":
        return render_json(findings, contracts)
    if fmt == "github":
        return render_github(findings, contracts)
    return render_text(findings, contracts)
