"""A diff report and its three renderings: text for the terminal, Markdown for a pull-request
comment, JSON for tools."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from specfirst.diff.compare import ContractDiff
from specfirst.diff.model import Change, Level
from specfirst.diff.signatures import (
    Method,
    MethodChange,
    method_changes,
    service_methods,
    signature_diff,
)
from specfirst.diff.sources import Version
from specfirst.diff.verdict import Verdict

FORMATS = ("text", "markdown", "json", "github")
_SHOWN_OPERATIONS = 3
# GitHub refuses comments over 65,536 characters: a PR comment shows at most this much per section.
MARKDOWN_LIMIT = 60_000
MARKDOWN_BUDGETS = ((40, 12), (15, 5), (5, 2))  # (table rows, signature diffs) per section
_TITLES = {
    Level.BREAKING: "Breaking",
    Level.WARNING: "Warnings",
    Level.NON_BREAKING: "Non-breaking",
    Level.DOCS: "Documentation only",
}


@dataclass
class DiffReport:
    api: str | None
    base: str
    head: str
    changes: list[Change]
    verdict: Verdict
    methods: list[MethodChange] = field(default_factory=list)
    model_methods: list[tuple[Method, str]] = field(default_factory=list)  # (method, operation)
    methods_error: str | None = None

    def count(self, level: Level) -> int:
        return sum(1 for c in self.changes if c.level is level)


def build_report(
    base: Version, head: Version, *, api: str | None = None, fail_on_warning: bool = False
) -> DiffReport:
    """Compare two loaded versions: changes with locations, methods touched, the verdict."""
    result = ContractDiff(base.contract.document, head.contract.document).run()
    for change in result.changes:
        change.base_location = base.where(change.base)
        change.head_location = head.where(change.head)
    verdict = Verdict(
        result.count(Level.BREAKING),
        result.count(Level.WARNING),
        result.base_version,
        result.head_version,
        fail_on_warning,
    )
    report = DiffReport(api, base.spec, head.spec, result.changes, verdict)
    try:
        base_methods = service_methods(base.contract.document)
        head_methods = service_methods(head.contract.document)
        report.methods = method_changes(
            base.contract.document, head.contract.document, base_methods, head_methods
        )
    except Exception as exc:  # the generator refuses some contracts; the diff still stands
        report.methods_error = f"{type(exc).__name__}: {exc}"
        return report
    by_label = {f"{m.upper()} {p}": method for (m, p), method in head_methods.items()}
    touched = {c.operation for c in report.methods}
    reached = sorted(
        {
            op
            for c in result.changes
            if c.level is not Level.DOCS and c.code.startswith(("request-", "response-"))
            for op in c.operations
        }
        - touched
    )
    report.model_methods = [(by_label[op], op) for op in reached if op in by_label]
    return report


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _counts(report: DiffReport) -> str:
    return (
        f"{report.count(Level.BREAKING)} breaking, {_plural(report.count(Level.WARNING), 'warning')},"
        f" {report.count(Level.NON_BREAKING)} non-breaking,"
        f" {report.count(Level.DOCS)} documentation-only"
    )


def _title(report: DiffReport) -> str:
    name = f"{report.api}: " if report.api else ""
    v = report.verdict
    return f"{name}{report.base} ({v.base_version}) → {report.head} ({v.head_version})"


def _ops(change: Change) -> str:
    ops = sorted(change.operations)
    shown = ", ".join(ops[:_SHOWN_OPERATIONS])
    return shown + (
        f" (+{len(ops) - _SHOWN_OPERATIONS} more)" if len(ops) > _SHOWN_OPERATIONS else ""
    )


# -- text -------------------------------------------------------------------------------------------
def render_text(reports: Sequence[DiffReport], *, verbose: bool = False) -> str:
    out: list[str] = []
    for report in reports:
        out.append(_title(report))
        for level in (Level.BREAKING, Level.WARNING, Level.NON_BREAKING, Level.DOCS):
            changes = [c for c in report.changes if c.level is level]
            if not changes:
                continue
            if level is Level.DOCS and not verbose:
                out.append(
                    f"  ({_plural(len(changes), 'documentation-only change')}; -v lists them)"
                )
                continue
            out.append(f"  {_TITLES[level]}:")
            for change in changes:
                out.append(f"    [{change.code}] {change.message}")
                where = f"base {change.base_location or '-'}  head {change.head_location or '-'}"
                out.append(f"        {where}")
                if change.operations and not change.message.startswith(_ops(change)):
                    out.append(f"        operations: {_ops(change)}")
        out += _text_methods(report)
        out.append(f"  {_counts(report)}. {report.verdict.summary(report.changes)}")
        out.append("")
    return "\n".join(out)


def _text_methods(report: DiffReport) -> list[str]:
    out: list[str] = []
    if report.methods_error:
        out.append(f"  Service methods: not computed ({report.methods_error})")
    if report.methods:
        out.append("  Service methods whose signature changes:")
        for change in report.methods:
            method = change.after or change.before
            assert method is not None
            out.append(f"    {method.qualified} ({change.kind}; {change.operation})")
            out += [f"      {line}" for line in signature_diff(change.before, change.after)]
    if report.model_methods:
        out.append("  Same signature, but what they receive or return changed:")
        out += [f"    {m.qualified} ({op})" for m, op in report.model_methods]
    return out


# -- markdown ---------------------------------------------------------------------------------------
def _cell(text: str | None) -> str:
    if not text:
        return "-"
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str | None) -> str:
    return f"`{_cell(text)}`" if text else "-"


def render_markdown(reports: Sequence[DiffReport]) -> str:
    """The report for a pull-request comment, shortened until it fits GitHub's comment size."""
    text = ""
    for rows, methods in MARKDOWN_BUDGETS:
        text = _markdown(reports, rows, methods)
        if len(text) <= MARKDOWN_LIMIT:
            break
    return text


def _markdown(reports: Sequence[DiffReport], rows: int, methods: int) -> str:
    out: list[str] = []
    for report in reports:
        v = report.verdict
        name = f"`{report.api}` " if report.api else ""
        out.append(f"### API contract diff: {name}{v.base_version} → {v.head_version}")
        out.append("")
        status = "❌" if v.failed else ("⚠️" if v.breaking or v.warnings else "✅")
        out.append(f"{status} **{_counts(report)}.** {v.summary(report.changes)}")
        out.append("")
        out.append(f"Base `{report.base}` · head `{report.head}`")
        out.append("")
        for level in (Level.BREAKING, Level.WARNING):
            changes = [c for c in report.changes if c.level is level]
            if changes:
                out.append(f"#### {_TITLES[level]} ({len(changes)})")
                out.append("")
                out += _table(changes, rows)
                out.append("")
        out += _markdown_methods(report, rows, methods)
        for level in (Level.NON_BREAKING, Level.DOCS):
            changes = [c for c in report.changes if c.level is level]
            if changes:
                out.append(f"<details><summary>{_TITLES[level]} ({len(changes)})</summary>")
                out.append("")
                out += _table(changes, rows)
                out.append("")
                out.append("</details>")
                out.append("")
    return "\n".join(out)


def _table(changes: list[Change], limit: int) -> list[str]:
    rows = ["| Change | Operations | Base | Head |", "|---|---|---|---|"]
    for c in changes[:limit]:
        rows.append(
            f"| {_cell(c.message)} <sub>`{c.code}`</sub> | {_cell(_ops(c))} |"
            f" {_code(c.base_location)} | {_code(c.head_location)} |"
        )
    if len(changes) > limit:
        rows.append(
            f"| _… and {len(changes) - limit} more: `specfirst diff --format text` or"
            " `--format json` lists them all_ | | | |"
        )
    return rows


def _markdown_methods(report: DiffReport, rows: int, limit: int) -> list[str]:
    out: list[str] = []
    if report.methods_error:
        out += [f"_Service methods not computed: {_cell(report.methods_error)}_", ""]
    if report.methods:
        out += [f"#### Service methods whose signature changes ({len(report.methods)})", ""]
        out.append("```diff")
        for change in report.methods[:limit]:
            method = change.after or change.before
            assert method is not None
            out.append(f"# {method.qualified} ({change.kind}; {change.operation})")
            context = None if len(report.methods) <= 3 else 1
            out += signature_diff(change.before, change.after, context=context)
        out += ["```", ""]
        rest = report.methods[limit:]
        if rest:
            names = ", ".join(f"`{_qualified(m)}` ({m.kind})" for m in rest[:rows])
            more = len(rest) - rows
            out += [f"And {len(rest)} more: {names}" + (f" … (+{more})" if more > 0 else ""), ""]
    if report.model_methods:
        names = ", ".join(f"`{m.qualified}`" for m, _ in report.model_methods)
        out += [f"Same signature, but what they receive or return changed: {names}", ""]
    return out


# -- json -------------------------------------------------------------------------------------------
def render_json(reports: Sequence[DiffReport]) -> str:
    data = [
        {
            "api": r.api,
            "base": r.base,
            "head": r.head,
            "base_version": r.verdict.base_version,
            "head_version": r.verdict.head_version,
            "major_bumped": r.verdict.major_bumped,
            "failed": r.verdict.failed,
            "summary": r.verdict.summary(r.changes),
            "suggested_version": r.verdict.suggested_version(r.changes),
            "changes": [
                {
                    "level": c.level.value,
                    "code": c.code,
                    "message": c.message,
                    "operations": sorted(c.operations),
                    "base": {"pointer": c.base, "location": c.base_location},
                    "head": {"pointer": c.head, "location": c.head_location},
                }
                for c in r.changes
            ],
            "methods": [
                {
                    "operation": m.operation,
                    "kind": m.kind,
                    "before": m.before.signature if m.before else None,
                    "after": m.after.signature if m.after else None,
                    "method": _qualified(m),
                }
                for m in r.methods
            ],
            "model_methods": [m.qualified for m, _ in r.model_methods],
            "methods_error": r.methods_error,
        }
        for r in reports
    ]
    document = {"failed": any(r.verdict.failed for r in reports), "reports": data}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _qualified(change: MethodChange) -> str | None:
    method = change.after or change.before
    return method.qualified if method is not None else None


# -- github -----------------------------------------------------------------------------------------
def _escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def render_github(reports: Sequence[DiffReport]) -> str:
    """GitHub Actions annotations: breaking changes as errors (warnings once the major version was
    bumped), warnings as warnings, at the head location (or the base one for removals)."""
    lines: list[str] = []
    for report in reports:
        for change in report.changes:
            if change.level not in (Level.BREAKING, Level.WARNING):
                continue
            allowed = report.verdict.major_bumped
            level = "error" if change.level is Level.BREAKING and not allowed else "warning"
            where = change.head_location or change.base_location or ""
            file, _, line = where.rpartition(":")
            props = (
                [f"file={_escape(file, prop=True)}", f"line={line}"]
                if file and ":" not in file
                else []
            )
            props.append(f"title={_escape(f'specfirst diff {change.code}', prop=True)}")
            lines.append(f"::{level} {','.join(props)}::{_escape(change.message)}")
        summary = f"{report.api or 'contract'}: {_counts(report)}. {report.verdict.summary(report.changes)}"
        lines.append(f"::notice title=specfirst diff::{_escape(summary)}")
    return "".join(line + "\n" for line in lines)


def render(fmt: str, reports: Sequence[DiffReport], *, verbose: bool = False) -> str:
    if fmt == "markdown":
        return render_markdown(reports)
    if fmt == "json":
        return render_json(reports)
    if fmt == "github":
        return render_github(reports)
    return render_text(reports, verbose=verbose)
