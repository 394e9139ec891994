"""Validating one dataset file: text cells in, canonical typed columns and findings out.

For each column of the file (INTERCHANGE.md and the data dictionary): a canonical column is
parsed by its variable's kind; an alternative-unit column likewise, then converted; every
number is checked against its variable's hard limits (error) and soft limits (warning); an
unknown column is a warning and is kept as text after the canonical ones. Then required
columns and values, unique values, and the file's own coherence rules. A variable the file
does not supply is all-null (unknown), except that a default (``status`` → ``completed``)
fills what is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ovaregen.domain.schema import dtype_of
from ovaregen.domain.variables import (
    AlternativeUnit,
    DatasetFile,
    Kind,
    Variable,
    column_aliases,
    variables_of,
)
from ovaregen.io.alternatives import agreement_check, combined
from ovaregen.io.checks import (
    Check,
    Problem,
    Row,
    count_expressions,
    located_findings,
    run_checks,
)
from ovaregen.io.coherence import (
    adverse_event_checks,
    mobilisation_checks,
    pregnancy_checks,
    required_check,
    unique_check,
    unique_together_check,
)
from ovaregen.io.dataset import Finding, Severity
from ovaregen.io.limits import limit_checks
from ovaregen.io.raw import LINE, RawTable, line_word
from ovaregen.io.units import canonical_unit, range_text
from ovaregen.io.values import WORD_KINDS, expected_value, parse, unparseable, what_is_wrong

UNIQUE_TOGETHER = {
    DatasetFile.VISITS: ("participant_id", "visit"),
    DatasetFile.MOBILISATION: ("participant_id", "day"),
}
"""The columns that identify a row of a repeated-measures file (INTERCHANGE.md)."""


@dataclass(frozen=True)
class ValidatedTable:
    """One file in canonical form: ``frame`` has :data:`LINE`, the canonical columns in
    dictionary order, then the unknown columns as text."""

    file: DatasetFile
    label: str
    frame: pl.DataFrame
    supplied: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def canonical(self) -> pl.DataFrame:
        """The frame without line numbers, as a :class:`~ovaregen.io.dataset.Dataset` holds it."""
        return self.frame.drop(LINE)


@dataclass(frozen=True)
class _Source:
    """A column of the file that feeds a variable, in a given unit."""

    variable: Variable
    unit: AlternativeUnit

    @property
    def text(self) -> str:
        return self.unit.column

    @property
    def value(self) -> str:
        return "\x00" + self.unit.column


def validate_table(raw: RawTable) -> ValidatedTable:
    """Parse, convert and check every column of ``raw``; never raises on bad content."""
    file, label = raw.file, raw.label
    sources, unknown = _classify(raw)
    findings = [
        Finding(
            Severity.WARNING,
            label,
            "not in the data dictionary; kept as text",
            column=name,
        )
        for name in unknown
    ]
    if file is DatasetFile.PARTICIPANTS and raw.frame.is_empty():
        findings.append(Finding(Severity.WARNING, label, "the file has a header but no rows"))
    by_variable: dict[str, list[_Source]] = {}
    for source in sources:
        by_variable.setdefault(source.variable.name, []).append(source)
    for variable in variables_of(file):
        if variable.required and variable.name not in by_variable:
            findings.append(
                Finding(
                    Severity.ERROR,
                    label,
                    "this required column is missing",
                    line=1 if line_word(label) == "line" else None,
                    column=variable.name,
                    expected=f"a column named {variable.name}",
                )
            )
    words = _distinct_words(raw.frame, sources)
    typed = raw.frame.lazy().with_columns(
        parse(pl.col(s.text), s.variable, words.get(s.text, ())).alias(s.value) for s in sources
    )
    column_checks: list[Check] = []
    for source in sources:
        column_checks += _column_checks(source)
    for group in by_variable.values():
        column_checks += [
            agreement_check(group[0].variable, _triple(group[0]), _triple(other))
            for other in group[1:]
        ]
    canonical_query = typed.select(
        pl.col(LINE),
        *(_canonical(v, by_variable.get(v.name, [])) for v in variables_of(file)),
        *(pl.col(name) for name in unknown),
    )
    # one pass computes the typed columns for both the counts and the canonical frame
    counts, canonical = pl.collect_all(
        [typed.select(count_expressions(column_checks)), canonical_query]
    )
    hits = counts.row(0) if column_checks else ()
    if any(hits):  # the error path: materialise the typed columns once for every check
        findings += located_findings(typed.collect(), column_checks, hits, label)
    supplied = tuple(v.name for v in variables_of(file) if v.name in by_variable)
    findings += run_checks(canonical, _row_checks(file, set(supplied), label), label)
    return ValidatedTable(file, label, canonical, supplied, tuple(findings))


def _classify(raw: RawTable) -> tuple[list[_Source], list[str]]:
    """The file's columns that feed variables (with their unit), and the unknown ones."""
    canonical = {v.name: v for v in variables_of(raw.file)}
    aliases = {column: (v, unit) for column, v, unit in column_aliases(raw.file)}
    sources: list[_Source] = []
    unknown: list[str] = []
    for name in raw.columns:
        if name in canonical:
            sources.append(_Source(canonical[name], canonical_unit(canonical[name])))
        elif name in aliases:
            sources.append(_Source(*aliases[name]))
        else:
            unknown.append(name)
    # canonical column first within each variable, so it wins when both agree
    sources.sort(key=lambda s: s.unit.column != s.variable.name)
    return sources, unknown


def _distinct_words(frame: pl.DataFrame, sources: list[_Source]) -> dict[str, list[str]]:
    """The distinct texts of every boolean and choice column, to parse each once."""
    names = [s.text for s in sources if s.variable.kind in WORD_KINDS]
    if not names:
        return {}
    distinct = frame.select(pl.col(name).drop_nulls().unique().implode() for name in names)
    return dict(zip(names, distinct.row(0), strict=True))


def _triple(source: _Source) -> tuple[AlternativeUnit, str, str]:
    return source.unit, source.text, source.value


def _column_checks(source: _Source) -> list[Check]:
    variable, unit = source.variable, source.unit
    if variable.kind is Kind.TEXT:
        return []
    value_range = None if variable.hard is None else range_text(variable.hard, unit)
    expected = expected_value(variable, value_range)

    def describe(row: Row) -> Problem:
        text = str(row[source.text])
        return Problem(f"{what_is_wrong(text, variable)}; expected {expected}", text, expected)

    checks = [
        Check(
            Severity.ERROR,
            source.text,
            unparseable(pl.col(source.text), pl.col(source.value)),
            describe,
        )
    ]
    if variable.kind in (Kind.NUMBER, Kind.INTEGER):
        checks += limit_checks(variable, unit, source.text, source.value)
    return checks


def _canonical(variable: Variable, sources: list[_Source]) -> pl.Expr:
    dtype = dtype_of(variable)
    if sources:
        value = combined([(s.unit, pl.col(s.value)) for s in sources]).cast(dtype, strict=False)
    else:
        value = pl.lit(None, dtype)
    if variable.default is not None:
        value = value.fill_null(pl.lit(variable.default).cast(dtype))  # written canonically
    return value.alias(variable.name)


def _row_checks(file: DatasetFile, supplied: set[str], label: str) -> list[Check]:
    checks: list[Check] = []
    for variable in variables_of(file):
        if variable.name not in supplied:
            continue
        if variable.required:
            checks.append(required_check(variable))
        if variable.unique:
            checks.append(unique_check(variable, line_word(label)))
    together = UNIQUE_TOGETHER.get(file)
    if together is not None and set(together) <= supplied:
        checks.append(unique_together_check(together, line_word(label)))
    if file is DatasetFile.PREGNANCIES:
        checks += pregnancy_checks(supplied)
    elif file is DatasetFile.ADVERSE_EVENTS:
        checks += adverse_event_checks(supplied)
    elif file is DatasetFile.MOBILISATION:
        checks += mobilisation_checks(supplied)
    return checks
