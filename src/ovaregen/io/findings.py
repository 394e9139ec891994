"""Plain-text rendering of a validation report, for a study coordinator to act on.

One line per finding, located as precisely as known::

    participants.csv line 14, column platelets_10e9_l: value "247910" is outside 5–2000 10⁹/L; …

Errors come first, then warnings. A column with many problems shows its first few and one
summary line; each severity shows at most ``max_errors`` / ``max_warnings`` lines and then
says how many more there are. The last line is the verdict: ``valid``,
``valid with N warnings`` or ``invalid: N errors, M warnings``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ovaregen.io.checks import finding_count
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.raw import line_word
from ovaregen.io.reader import ValidationReport

SHOWN_PER_COLUMN = 3
"""Findings shown one by one for a column before its summary line."""
SUMMARISE_ABOVE = 5
"""A column with more problems than this is summarised."""


def render_report(report: ValidationReport, *, max_errors: int = 50, max_warnings: int = 20) -> str:
    """The report as text: errors, warnings, then the one-line verdict."""
    lines: list[str] = []
    sections = (
        (Severity.ERROR, report.errors, max_errors, "Errors (nothing was imported):"),
        (Severity.WARNING, report.warnings, max_warnings, "Warnings (check these values):"),
    )
    for severity, total, limit, heading in sections:
        findings = [f for f in report.findings if f.severity is severity]
        if findings:
            lines.append(heading)
            lines += _section(findings, total, limit, severity)
            lines.append("")
    lines.append(verdict(report))
    return "\n".join(lines)


def verdict(report: ValidationReport) -> str:
    """``valid``, ``valid with N warnings`` or ``invalid: N errors, M warnings``."""
    warnings = _plural(report.warnings, "warning")
    if report.errors:
        return f"invalid: {_plural(report.errors, 'error')}, {warnings}"
    return f"valid with {warnings}" if report.warnings else "valid"


def render_finding(finding: Finding) -> str:
    """One finding with its location: ``file line N, column C: message``."""
    where = finding.file
    if finding.line is not None:
        where += f" {line_word(finding.file)} {finding.line}"
    if finding.column is not None:
        where += f", column {finding.column}"
    return f"{where}: {finding.message}"


def _section(findings: list[Finding], total: int, limit: int, severity: Severity) -> list[str]:
    """At most ``limit`` entries (text, problems it stands for), then the count of the rest."""
    entries: list[tuple[str, int]] = []
    for group in _by_column(findings):
        size = sum(finding_count(f) for f in group)
        located = [f for f in group if f.line is not None and finding_count(f) == 1]
        if size > SUMMARISE_ABOVE and len(located) >= SHOWN_PER_COLUMN:
            shown = located[:SHOWN_PER_COLUMN]
            entries += [(render_finding(f), 1) for f in shown]
            more = size - len(shown)
            entries.append((_summary(group[0], more, located[len(shown) :]), more))
        else:
            entries += [(render_finding(f), finding_count(f)) for f in group]
    lines = ["  " + text for text, _ in entries[:limit]]
    accounted = sum(count for _, count in entries[:limit])
    if total > accounted:
        rest = total - accounted
        lines.append(f"  … and {rest} more {severity.value}{'' if rest == 1 else 's'}")
    return lines


def _by_column(findings: list[Finding]) -> list[list[Finding]]:
    """Findings of one file and column together, in order of first appearance; findings
    without a column stay on their own."""
    groups: dict[object, list[Finding]] = {}
    for index, finding in enumerate(findings):
        key = (finding.file, finding.column) if finding.column is not None else index
        groups.setdefault(key, []).append(finding)
    return list(groups.values())


def _summary(first: Finding, more: int, rest: Sequence[Finding]) -> str:
    word = line_word(first.file)
    examples = ", ".join(str(f.line) for f in rest[:5])
    at = f" ({word}s {examples}{', …' if more > len(rest[:5]) else ''})" if examples else ""
    return f"… and {more} more in {first.file}, column {first.column}{at}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
