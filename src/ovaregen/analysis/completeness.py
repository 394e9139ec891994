"""How complete the data a plan uses are: each variable's known n of the analysis population.

STROBE item 13b/12c ("number of participants with missing data for each variable of interest")
and CONSORT 2010 items 13 and 16 ask for it; the report shows it under data quality. A plan
declares what it uses (:class:`PlanVariables`); the table lists, for the women of its analysis
population:

1. the protocol's primary endpoint (``Protocol.primary_outcome``) first, at its visit when the
   visit records it (visits.csv, else participants.csv's column of that visit: ``at_visit``);
2. the baseline value it is adjusted for, if any;
3. every declared variable in the plan's order (primary endpoint components, outcomes, safety,
   predictors, baseline), each once; a follow-up measurement of a dataset with visits.csv once
   per follow-up visit that has any value of it.

A value is known when it is not empty. One Polars ``select`` counts every row of the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from ovaregen.analysis.cohort import Cohort
from ovaregen.analysis.left_out import readable
from ovaregen.analysis.populations import PopulationRule
from ovaregen.analysis.result import Table
from ovaregen.analysis.visits import at_visit
from ovaregen.domain.protocols import Visit

TABLE_ID = "completeness"
COLUMNS = ("variable", "label", "known", "total", "percent", "role")

PRIMARY = "primary endpoint"
PRIMARY_BASELINE = "baseline of the primary endpoint (adjusted for)"
PRIMARY_PART = "primary endpoint component"
OUTCOME = "outcome"
SAFETY = "safety outcome"
PREDICTOR = "predictor"
SUBGROUP = "subgroup"
FOLLOW_UP = "follow-up time"
BASELINE = "baseline"


@dataclass(frozen=True)
class Used:
    """A column of the derived cohort table a plan uses, its role, and its label when the
    dictionary's words (``left_out.readable``) do not suit a table row. ``if_recorded``: used
    only when the dataset records it (a checklist column, e.g. the complications)."""

    column: str
    role: str
    label: str = ""
    if_recorded: bool = False

    @property
    def words(self) -> str:
        return self.label or readable(self.column)


@dataclass(frozen=True)
class PlanVariables:
    """What a plan uses: its analysis population and its variables, in the order shown.

    ``endpoints`` maps a protocol endpoint id that is not itself a column (``pregnancy``) to
    the column holding it (``pregnant``)."""

    population: PopulationRule
    used: tuple[Used, ...]
    endpoints: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels of columns for the primary endpoint rows (column → words)."""


@dataclass(frozen=True)
class _Row:
    variable: str
    label: str
    role: str
    source: str
    """The column of the counted frame: the cohort column, or ``column@visit``."""


def completeness_table(cohort: Cohort, plan: PlanVariables) -> Table:
    """The ``completeness`` table of ``plan`` on ``cohort`` (module docstring)."""
    frame, population = plan.population.select(cohort.derived)
    rows, visits = _rows(cohort, plan, frame)
    counted = _with_visit_values(frame, cohort, visits)
    known = counted.select(
        pl.col(row.source).is_not_null().sum().cast(pl.Int64).alias(row.variable) for row in rows
    ).row(0)
    total = population.n
    table = pl.DataFrame(
        {
            "variable": [row.variable for row in rows],
            "label": [row.label for row in rows],
            "known": list(known),
            "total": [total] * len(rows),
            "percent": [round(100 * k / total, 1) if total else None for k in known],
            "role": [row.role for row in rows],
        },
        schema={
            "variable": pl.String,
            "label": pl.String,
            "known": pl.Int64,
            "total": pl.Int64,
            "percent": pl.Float64,
            "role": pl.String,
        },
    )
    return Table(
        TABLE_ID,
        f"Completeness of the variables analysed ({population.id}, n = {total})",
        table,
        (
            f"known: women of the population ({population.id}) with the value recorded, of "
            "total; percent = known / total, to one decimal",
            "the primary endpoint first (the protocol's primary_outcome), then the variables "
            "of the analysis plan; a follow-up measurement once per visit with any value",
        ),
    )


def _rows(
    cohort: Cohort, plan: PlanVariables, frame: pl.DataFrame
) -> tuple[list[_Row], dict[str, set[str]]]:
    """The table's rows, and per follow-up visit id the columns read at that visit."""
    protocol = cohort.protocol
    rows: list[_Row] = []
    visits: dict[str, set[str]] = {}
    listed: set[str] = set()

    def add(variable: str, label: str, role: str, source: str) -> None:
        if variable not in listed:
            listed.add(variable)
            rows.append(_Row(variable, label, role, source))

    def add_at(visit: Visit, column: str, label: str, role: str) -> None:
        variable = f"{column}@{visit.id}"
        visits.setdefault(visit.id, set()).add(column)
        add(variable, f"{label} ({visit.label[:1].lower()}{visit.label[1:]})", role, variable)

    primary = protocol.primary_outcome
    if primary is not None:
        column = plan.endpoints.get(primary.measure, primary.measure)
        label = plan.labels.get(column) or readable(column)
        visit = next((v for v in protocol.followup_visits if v.id == primary.visit), None)
        if visit is not None and column in visit.records:
            add_at(visit, column, label, PRIMARY)
            listed.add(column)  # its other visits are outcomes; its column is this row
        elif column in frame.columns:
            add(column, label, PRIMARY, column)
        if primary.baseline is not None:
            add(primary.baseline, readable(primary.baseline), PRIMARY_BASELINE, primary.baseline)
    for used in plan.used:
        if used.if_recorded and not cohort.recorded((used.column,)):
            continue
        measured = [
            v for v in protocol.followup_visits if _has_value(cohort, frame, v, used.column)
        ]
        for visit in measured:
            add_at(visit, used.column, used.words, used.role)
        if not measured:
            add(used.column, used.words, used.role, used.column)
    return rows, visits


def _has_value(cohort: Cohort, frame: pl.DataFrame, visit: Visit, column: str) -> bool:
    """Whether anyone has a value of ``column`` at follow-up ``visit``: in visits.csv, or in
    participants.csv's column when it holds that visit's value (``summary_visit``). Only a
    dataset with visits.csv is counted by visit."""
    if cohort.visits.is_empty() or column not in visit.records:
        return False
    at = cohort.visits.filter(pl.col("visit") == visit.id)
    if column in at.columns and at.get_column(column).null_count() < at.height:
        return True
    summary = cohort.protocol.summary_visit(column) == visit.id
    return (
        summary and column in frame.columns and frame.get_column(column).null_count() < frame.height
    )


def _with_visit_values(
    frame: pl.DataFrame, cohort: Cohort, visits: dict[str, set[str]]
) -> pl.DataFrame:
    """``frame`` with ``column@visit`` for every column read at a follow-up visit."""
    by_id = {v.id: v for v in cohort.protocol.followup_visits}
    columns: list[pl.Series] = []
    for visit_id, names in visits.items():
        values = at_visit(frame, cohort.visits, by_id[visit_id], cohort.protocol)
        columns += [values.get_column(name).alias(f"{name}@{visit_id}") for name in sorted(names)]
    return frame.with_columns(columns) if columns else frame
