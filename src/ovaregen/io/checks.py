"""Rules over the rows of a frame, and the located findings they give.

A :class:`Check` is a Polars mask of the rows that break one rule plus a function that
describes one such row. :func:`run_checks` counts every mask in a single vectorised pass and
looks at rows only where a mask has hits, so a valid file costs one pass per table.

A rule broken by thousands of rows (a whole column in the wrong unit) lists its first
:data:`MAX_LISTED` rows one by one and stands for the rest with one :class:`OmittedFindings`,
which carries how many rows it stands for; counts of errors and warnings stay exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.raw import LINE

MAX_LISTED = 1000
"""Rows listed one by one per rule and column; the rest are counted."""

Row = dict[str, Any]


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row: the finding's text fields."""

    message: str
    value: str | None = None
    expected: str | None = None
    likely_unit: str | None = None


@dataclass(frozen=True)
class Check:
    """The rows of a frame that break one rule, and how to describe one of them.

    ``context`` columns are computed over the whole frame before the offending rows are
    picked (e.g. the first line of a repeated id); only when the rule has hits.
    """

    severity: Severity
    column: str | None
    mask: pl.Expr
    describe: Callable[[Row], Problem]
    context: tuple[pl.Expr, ...] = ()


@dataclass(frozen=True)
class OmittedFindings(Finding):
    """Stands for ``count`` more rows breaking the same rule in the same column, not listed."""

    count: int = 0


def finding_count(finding: Finding) -> int:
    """How many problems a finding stands for."""
    return finding.count if isinstance(finding, OmittedFindings) else 1


def count_of(findings: Iterable[Finding], severity: Severity) -> int:
    """Exact number of problems of one severity."""
    return sum(finding_count(f) for f in findings if f.severity is severity)


def run_checks(
    frame: pl.DataFrame | pl.LazyFrame, checks: Sequence[Check], label: str
) -> list[Finding]:
    """The findings of every check over ``frame`` (which has a :data:`LINE` column)."""
    if not checks:
        return []
    counts = frame.lazy().select(count_expressions(checks)).collect().row(0)
    return located_findings(frame, checks, counts, label)


def count_expressions(checks: Sequence[Check]) -> list[pl.Expr]:
    """One aggregate per check: how many rows break it (one vectorised pass for all)."""
    return [check.mask.fill_null(False).sum().alias(str(i)) for i, check in enumerate(checks)]


def located_findings(
    frame: pl.DataFrame | pl.LazyFrame,
    checks: Sequence[Check],
    counts: Sequence[int],
    label: str,
) -> list[Finding]:
    """The findings of the checks with a non-zero count, looking only at offending rows."""
    findings: list[Finding] = []
    for check, count in zip(checks, counts, strict=True):
        if count:
            findings += _located(frame.lazy(), check, int(count), label)
    return findings


def _located(frame: pl.LazyFrame, check: Check, count: int, label: str) -> list[Finding]:
    mask = check.mask.fill_null(False)
    rows = frame.with_columns(*check.context).filter(mask).head(MAX_LISTED).collect().to_dicts()
    findings: list[Finding] = []
    problem = Problem("")
    for row in rows:
        problem = check.describe(row)
        findings.append(
            Finding(
                check.severity,
                label,
                problem.message,
                line=int(row[LINE]),
                column=check.column,
                value=problem.value,
                expected=problem.expected,
                likely_unit=problem.likely_unit,
            )
        )
    rest = count - len(rows)
    if rest > 0:
        where = f" in column {check.column}" if check.column else ""
        findings.append(
            OmittedFindings(
                check.severity,
                label,
                f"{rest} more rows{where} with the same problem, not listed",
                column=check.column,
                expected=problem.expected,
                count=rest,
            )
        )
    return findings
