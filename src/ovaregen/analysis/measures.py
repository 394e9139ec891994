"""Building blocks the plans share: rates with their numerator and denominator, comparisons of
groups, each a :class:`~ovaregen.analysis.result.Result` computed on complete cases.

A group split (:class:`Split`) names its groups in display order, each by a Polars expression;
a participant in no group (e.g. a missing age) is left out and counted in the result's
warnings. Comparisons are done on the participants known on both the grouping and the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ovaregen.analysis.left_out import readable, unit_of, unknown
from ovaregen.analysis.result import LeftOut, Population, Result
from ovaregen.stats.comparison import t_test
from ovaregen.stats.contingency import chi_square, fisher_exact, relative_risk
from ovaregen.stats.newcombe import newcombe_risk_difference
from ovaregen.stats.proportions import proportion
from ovaregen.stats.rates import count_rate


@dataclass(frozen=True)
class Group:
    """One group of a split: its label and membership expression."""

    label: str
    member: pl.Expr


@dataclass(frozen=True)
class Split:
    """A named split of participants into groups (in display order)."""

    name: str
    groups: tuple[Group, ...]

    def labels(self, frame: pl.DataFrame) -> pl.Series:
        """Each participant's group label (null when in none)."""
        expression = pl.lit(None, pl.String)
        for group in reversed(self.groups):
            expression = (
                pl.when(group.member.fill_null(False))
                .then(pl.lit(group.label))
                .otherwise(expression)
            )
        return frame.select(expression.alias(self.name)).to_series()


def split_by_values(column: str, levels: Sequence[tuple[str, Any]]) -> Split:
    """Groups of participants whose ``column`` equals each value (label, value)."""
    return Split(column, tuple(Group(label, pl.col(column) == value) for label, value in levels))


def split_at(column: str, threshold: float, below: str, at_least: str) -> Split:
    """Two groups: ``column`` < threshold, and ≥ threshold."""
    return Split(
        column,
        (Group(below, pl.col(column) < threshold), Group(at_least, pl.col(column) >= threshold)),
    )


def _left_out(count: int, what: str) -> tuple[LeftOut, ...]:
    return unknown(count, what)


# --- rates ---------------------------------------------------------------------------------


def rate(
    id: str,
    title: str,
    events: int,
    total: int,
    population: Population,
    *,
    numerator: str,
    denominator: str,
    unknown: int = 0,
    unknown_what: str | None = None,
    warnings: tuple[str, ...] = (),
    definition: str = "",
) -> Result:
    """``events`` / ``total`` with Wilson's 95% CI; numerator and denominator named.

    ``unknown`` women of the population are left out because ``unknown_what`` (a column or
    words; default: whether she is among the numerator) is unknown.
    """
    reason = unknown_what or f"whether among the {numerator}"
    return Result.of(
        id,
        title,
        proportion(events, total),
        population.id,
        warnings=warnings,
        left_out=_left_out(unknown, reason),
        numerator=events,
        denominator=total,
        numerator_label=numerator,
        denominator_label=denominator,
        unknown=unknown,
        definition=definition,
    )


def rate_of(
    id: str,
    title: str,
    frame: pl.DataFrame,
    outcome: str,
    population: Population,
    *,
    numerator: str,
    denominator: str,
) -> Result:
    """The proportion of ``frame`` whose Boolean ``outcome`` is true, among those known."""
    values = frame.get_column(outcome)
    known = values.drop_nulls()
    return rate(
        id,
        title,
        int(known.sum()),
        known.len(),
        population,
        numerator=numerator,
        denominator=denominator,
        unknown=values.null_count(),
        unknown_what=outcome,
    )


def rate_per_unit(
    id: str,
    title: str,
    count: int,
    units: int,
    population: Population,
    *,
    numerator: str,
    denominator: str,
    unknown: int = 0,
    definition: str = "",
) -> Result:
    """``count`` / ``units`` where a unit may count more than once (exact Poisson CI)."""
    notes: tuple[str, ...] = ()
    if unknown:
        notes += (f"{unknown} of the {denominator} have an unknown count: a lower bound",)
    return Result.of(
        id,
        title,
        count_rate(count, units),
        population.id,
        warnings=notes,
        numerator=count,
        denominator=units,
        numerator_label=numerator,
        denominator_label=denominator,
        unknown=unknown,
        definition=definition,
        kind="count_rate",
    )


# --- comparisons of groups ------------------------------------------------------------------


def _known(
    frame: pl.DataFrame, split: Split, outcome: str
) -> tuple[pl.DataFrame, tuple[LeftOut, ...], int]:
    """The rows in a group with ``outcome`` known; the women in no group (why); how many in a
    group have ``outcome`` unknown."""
    labelled = frame.select(split.labels(frame), pl.col(outcome))
    no_group = labelled.get_column(split.name).null_count()
    no_outcome = labelled.filter(
        pl.col(split.name).is_not_null() & pl.col(outcome).is_null()
    ).height
    return labelled.drop_nulls(), _outside(frame, split, no_group), no_outcome


def _outside(frame: pl.DataFrame, split: Split, count: int) -> tuple[LeftOut, ...]:
    """Why ``count`` women are in none of the split's groups: the split's column unknown, or a
    known value that no group compared holds (menses "amenorrhea" in regular vs irregular)."""
    if not count or split.name not in frame.columns:
        return _left_out(count, split.name)
    unknown_value = min(count, frame.get_column(split.name).null_count())
    other = count - unknown_value
    groups = " vs ".join(group.label for group in split.groups)
    outside = (LeftOut(other, f"{readable(split.name)} in neither group compared ({groups})"),)
    return (*_left_out(unknown_value, split.name), *(outside if other else ()))


def event_table(
    frame: pl.DataFrame, split: Split, outcome: str
) -> tuple[np.ndarray, list[dict[str, Any]], tuple[LeftOut, ...]]:
    """Rows = groups, columns = (event, no event) of Boolean ``outcome``; group summaries."""
    known, no_group, no_outcome = _known(frame, split, outcome)
    rows, groups = [], []
    for group in split.groups:
        values = known.filter(pl.col(split.name) == group.label).get_column(outcome)
        events, n = int(values.sum()), values.len()
        rows.append([events, n - events])
        groups.append(
            {
                "group": group.label,
                "events": events,
                "n": n,
                "percent": 100 * events / n if n else None,
            }
        )
    notes = (*no_group, *_left_out(no_outcome, outcome))
    return np.array(rows, dtype=np.int64), groups, notes


def compare_rates(
    id: str,
    title: str,
    frame: pl.DataFrame,
    split: Split,
    outcome: str,
    population: Population,
    *,
    correct: bool = True,
) -> Result:
    """Pearson's chi-square of ``outcome`` by group (Yates' correction for 2 × 2 by default)."""
    table, groups, notes = event_table(frame, split, outcome)
    return Result.of(
        id,
        title,
        chi_square(table, correct=correct),
        population.id,
        left_out=notes,
        groups=groups,
        outcome=outcome,
    )


def arm_risks(
    id: str,
    title: str,
    frame: pl.DataFrame,
    split: Split,
    outcome: str,
    population: Population,
) -> Result:
    """Risk difference (first group − second, Newcombe's hybrid score CI) with Fisher's exact
    p, and the relative risk with its log (Katz) CI in ``extra``."""
    table, groups, notes = event_table(frame, split, outcome)
    difference = newcombe_risk_difference(table)
    ratio = relative_risk(table)
    fisher = fisher_exact(table, odds_ratio_estimate=False) if table.shape == (2, 2) else None
    p_value = fisher.p_value if fisher is not None else None
    options = {**difference.options, "p_value": "Fisher's exact test (two-sided)"}
    return Result(
        id=id,
        title=title,
        method=f"{difference.method}; Fisher's exact test",
        n=int(table.sum()),
        population=population.id,
        p_value=p_value,
        estimate=difference.estimate,
        ci_low=difference.ci_low,
        ci_high=difference.ci_high,
        conf_level=difference.conf_level,
        options=options,
        warnings=(*difference.warnings, *ratio.warnings),
        left_out=notes,
        extra={
            "outcome": outcome,
            "kind": "binary",
            "estimate_label": "risk difference",
            "effect": "risk difference",
            "effect_unit": "percentage points",
            "groups": groups,
            "relative_risk": ratio.estimate,
            "relative_risk_ci_low": ratio.ci_low,
            "relative_risk_ci_high": ratio.ci_high,
            "relative_risk_method": ratio.method,
        },
        detail=(difference, ratio, fisher),
    )


def compare_means(
    id: str,
    title: str,
    frame: pl.DataFrame,
    split: Split,
    value: str,
    population: Population,
    *,
    equal_var: bool = False,
) -> Result:
    """Two-sample t-test of ``value`` between the split's two groups (Welch by default).

    ``estimate`` is mean(first group) − mean(second group) with its CI.
    """
    if len(split.groups) != 2:
        raise ValueError(f"a t-test compares two groups, {split.name} has {len(split.groups)}")
    known, no_group, no_value = _known(frame, split, value)
    samples = [
        known.filter(pl.col(split.name) == group.label).get_column(value).cast(pl.Float64)
        for group in split.groups
    ]
    result = t_test(samples[0].to_numpy(), samples[1].to_numpy(), equal_var=equal_var)
    groups = [
        {
            "group": group.label,
            "n": sample.len(),
            "mean": sample.mean() if sample.len() else None,
            "sd": sample.std() if sample.len() > 1 else None,
        }
        for group, sample in zip(split.groups, samples, strict=True)
    ]
    return Result.of(
        id,
        title,
        result,
        population.id,
        left_out=(*no_group, *_left_out(no_value, value)),
        groups=groups,
        outcome=value,
        kind="continuous",
        estimate_label=f"difference in means ({split.groups[0].label} − {split.groups[1].label})",
        effect="mean difference",
        effect_unit=unit_of(value),
    )


# --- results as a table ---------------------------------------------------------------------

SUMMARY_SCHEMA: dict[str, Any] = {
    "id": pl.String,
    "title": pl.String,
    "numerator": pl.Int64,
    "numerator_label": pl.String,
    "denominator": pl.Int64,
    "denominator_label": pl.String,
    "n": pl.Int64,
    "estimate": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "statistic": pl.Float64,
    "df": pl.Float64,
    "p_value": pl.Float64,
    "method": pl.String,
}


def results_frame(results: Sequence[Result]) -> pl.DataFrame:
    """One row per result: its numbers, and numerator/denominator where it is a rate."""
    return pl.DataFrame(
        [
            {
                "id": r.id,
                "title": r.title,
                "numerator": r.extra.get("numerator"),
                "numerator_label": r.extra.get("numerator_label"),
                "denominator": r.extra.get("denominator"),
                "denominator_label": r.extra.get("denominator_label"),
                "n": r.n,
                "estimate": r.estimate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "statistic": r.statistic,
                "df": r.df,
                "p_value": r.p_value,
                "method": r.method,
            }
            for r in results
        ],
        schema=SUMMARY_SCHEMA,
    )


def groups_frame(results: Sequence[Result]) -> pl.DataFrame:
    """The groups compared by each result (events/n/% for rates, n/mean/SD for means)."""
    rows = []
    for r in results:
        for group in r.extra.get("groups", ()):
            rows.append(
                {
                    "id": r.id,
                    "title": r.title,
                    "group": group["group"],
                    "events": group.get("events"),
                    "n": group["n"],
                    "percent": group.get("percent"),
                    "mean": group.get("mean"),
                    "sd": group.get("sd"),
                    "statistic": r.statistic,
                    "df": r.df,
                    "p_value": r.p_value,
                    "method": r.method,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "id": pl.String,
            "title": pl.String,
            "group": pl.String,
            "events": pl.Int64,
            "n": pl.Int64,
            "percent": pl.Float64,
            "mean": pl.Float64,
            "sd": pl.Float64,
            "statistic": pl.Float64,
            "df": pl.Float64,
            "p_value": pl.Float64,
            "method": pl.String,
        },
    )


# --- figure data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedValues:
    """The complete (x, y) pairs a correlation was computed on, for its scatter plot."""

    x: np.ndarray[Any, np.dtype[np.float64]]
    y: np.ndarray[Any, np.dtype[np.float64]]
    x_column: str
    y_column: str


def paired_values(frame: pl.DataFrame, x: str, y: str) -> PairedValues:
    """The rows of ``frame`` known on both ``x`` and ``y`` (complete cases, as Pearson's r)."""
    pairs = frame.select(pl.col(x).cast(pl.Float64), pl.col(y).cast(pl.Float64)).drop_nulls()
    pairs = pairs.filter(pl.col(x).is_finite() & pl.col(y).is_finite())
    return PairedValues(pairs.get_column(x).to_numpy(), pairs.get_column(y).to_numpy(), x, y)


BOX_SCHEMA: dict[str, Any] = {
    "variable": pl.String,
    "group": pl.String,
    "n": pl.Int64,
    "minimum": pl.Float64,
    "q1": pl.Float64,
    "median": pl.Float64,
    "q3": pl.Float64,
    "maximum": pl.Float64,
}


def box_summaries(frame: pl.DataFrame, split: Split, column: str) -> pl.DataFrame:
    """Per group of ``split``: n, minimum, quartiles (R ``quantile`` type 7) and maximum of
    ``column`` over its known values — what a box plot draws (whiskers at the range)."""
    labels = split.labels(frame)
    data = frame.select(pl.col(column).cast(pl.Float64)).with_columns(labels.alias("_group"))
    rows = []
    for group in split.groups:
        values = (
            data.filter(pl.col("_group") == group.label).get_column(column).drop_nulls().to_numpy()
        )
        if values.size:
            q1, median, q3 = (float(v) for v in np.quantile(values, [0.25, 0.5, 0.75]))
            low, high = float(values.min()), float(values.max())
        else:
            q1 = median = q3 = low = high = None  # type: ignore[assignment]
        rows.append(
            {
                "variable": column,
                "group": group.label,
                "n": int(values.size),
                "minimum": low,
                "q1": q1,
                "median": median,
                "q3": q3,
                "maximum": high,
            }
        )
    return pl.DataFrame(rows, schema=BOX_SCHEMA)
