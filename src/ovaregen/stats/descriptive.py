"""Descriptive "Table 1": summaries by group, the test used per row, standardised differences.

One public entry point, :func:`table_one`, takes a frame and a small frozen
:class:`TableOneSpec` and returns a :class:`TableOne` of numbers (never text): for each
continuous variable n, mean, SD, min, max, median and quartiles (R ``quantile`` type 7) per
group; for each categorical variable n and % per level and group (% of the group's non-missing
values, missing counted apart). Each row carries the test that compared the groups (as named in
the spec) and the standardised mean difference (SMD) as the R package ``tableone`` computes it.

The Overall column is every row of the frame, as gtsummary's ``add_overall`` and tableone's
"Overall" print it: a row whose group is unknown (null, or a value not among the spec's groups)
is counted there and in no group column, and :attr:`TableOne.unknown_group` says how many.
The tests compare the groups only. The input frame is never modified.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import polars as pl

from ovaregen.stats.comparison import mann_whitney, t_test
from ovaregen.stats.contingency import chi_square, fisher_exact
from ovaregen.stats.result import Estimate, finite


class Summary(StrEnum):
    """How a continuous variable is summarised in the rendered table."""

    MEAN_RANGE = "mean (range)"
    MEAN_SD = "mean ± SD"
    MEDIAN_IQR = "median (IQR)"


class RowTest(StrEnum):
    """The test comparing groups on one row (two groups)."""

    WELCH = "welch"
    STUDENT = "student"
    MANN_WHITNEY = "mann_whitney"
    CHI_SQUARE = "chi_square"
    CHI_SQUARE_YATES = "chi_square_yates"
    FISHER = "fisher"
    NONE = "none"


@dataclass(frozen=True)
class Variable:
    """One row of the table: a column, how to show it and how to test it."""

    column: str
    label: str
    categorical: bool = False
    summary: Summary = Summary.MEAN_SD
    test: RowTest | None = None
    """None: Welch for continuous, chi-square without correction for categorical."""
    levels: tuple[str, ...] = ()
    """Categorical levels in display order (default: sorted values seen)."""

    @property
    def chosen_test(self) -> RowTest:
        if self.test is not None:
            return self.test
        return RowTest.CHI_SQUARE if self.categorical else RowTest.WELCH


YES_NO_LEVELS = (("true", "false"), ("yes", "no"), ("1", "0"))
"""Level pairs of a dichotomous variable, the "yes" level first (gtsummary's "dichotomous")."""


def dichotomous_level(levels: Sequence[str]) -> str | None:
    """The "yes" level when ``levels`` are a yes/no pair (one row in a Table 1), else None."""
    lowered = sorted(level.lower() for level in levels)
    for yes, no in YES_NO_LEVELS:
        if lowered == sorted((yes, no)):
            return next(level for level in levels if level.lower() == yes)
    return None


@dataclass(frozen=True)
class TableOneSpec:
    """What to tabulate: the grouping column, its groups in order, and the rows."""

    group: str
    variables: tuple[Variable, ...]
    groups: tuple[str, ...] = ()
    """Group values in column order (default: sorted values seen)."""


@dataclass(frozen=True)
class Continuous:
    """Summary of a continuous variable in one group (None where undefined)."""

    n: int
    missing: int
    mean: float | None
    sd: float | None
    minimum: float | None
    maximum: float | None
    median: float | None
    q1: float | None
    q3: float | None


@dataclass(frozen=True)
class Level:
    """Count and percentage of one category level in one group."""

    level: str
    count: int
    percent: float | None


@dataclass(frozen=True)
class Categorical:
    """A categorical variable in one group: its levels, non-missing n and missing count."""

    n: int
    missing: int
    levels: tuple[Level, ...]


@dataclass(frozen=True)
class TableOneRow:
    """One variable: per-group summaries (in group order, then overall), test and SMD."""

    variable: Variable
    by_group: tuple[Continuous | Categorical, ...]
    overall: Continuous | Categorical
    test: Estimate | None
    smd: float | None


@dataclass(frozen=True)
class TableOne:
    """The table: groups with their sizes, and the rows in spec order."""

    spec: TableOneSpec
    groups: tuple[str, ...]
    group_sizes: tuple[int, ...]
    rows: tuple[TableOneRow, ...]
    excluded_missing_group: int = 0
    """Rows whose group value is missing (null): in the Overall column only."""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    unknown_group: int = 0
    """Rows in no group column (group null or not among the spec's groups): Overall only."""
    overall_size: int = 0
    """Rows in the Overall column: every row of the frame."""


# --- summaries ---------------------------------------------------------------------------


def _continuous_frame(frame: pl.DataFrame, column: str, by: str | None) -> pl.DataFrame:
    value = pl.col(column).cast(pl.Float64)
    aggregations = [
        value.is_not_null().sum().alias("n"),
        value.is_null().sum().alias("missing"),
        value.mean().alias("mean"),
        value.std(ddof=1).alias("sd"),
        value.min().alias("minimum"),
        value.max().alias("maximum"),
        value.median().alias("median"),
        value.quantile(0.25, interpolation="linear").alias("q1"),
        value.quantile(0.75, interpolation="linear").alias("q3"),
    ]
    if by is None:
        return frame.select(aggregations)
    return frame.group_by(by).agg(aggregations)


def _continuous(row: dict[str, object]) -> Continuous:
    def number(key: str) -> float | None:
        value = row.get(key)
        return finite(float(value)) if isinstance(value, int | float) else None

    return Continuous(
        n=int(row["n"] or 0),  # type: ignore[call-overload]
        missing=int(row["missing"] or 0),  # type: ignore[call-overload]
        mean=number("mean"),
        sd=number("sd"),
        minimum=number("minimum"),
        maximum=number("maximum"),
        median=number("median"),
        q1=number("q1"),
        q3=number("q3"),
    )


def _categorical(values: pl.Series, levels: Sequence[str]) -> Categorical:
    text = values.cast(pl.String)
    known = text.drop_nulls()
    counts = dict(known.value_counts().iter_rows())
    n = known.len()
    return Categorical(
        n=n,
        missing=text.null_count(),
        levels=tuple(
            Level(level, int(counts.get(level, 0)), 100 * counts.get(level, 0) / n if n else None)
            for level in levels
        ),
    )


# --- standardised mean differences (as the R package tableone) ---------------------------


def smd_continuous(a: Continuous, b: Continuous) -> float | None:
    """(mean₁ − mean₂) / √((sd₁² + sd₂²) / 2), absolute (tableone ``ExtractSmd``)."""
    if a.mean is None or b.mean is None or a.sd is None or b.sd is None:
        return None
    pooled = math.sqrt((a.sd**2 + b.sd**2) / 2)
    if pooled == 0:
        return 0.0 if a.mean == b.mean else None
    return abs(a.mean - b.mean) / pooled


def smd_categorical(a: Categorical, b: Categorical) -> float | None:
    """Yang & Dalton (2012) multi-level SMD, √((p₁−p₂)ᵀ S⁻¹ (p₁−p₂)), as tableone does.

    p are the level proportions without the first level; S is the average of the two groups'
    multinomial covariance matrices. For two levels this is the usual binary SMD.
    """
    if a.n == 0 or b.n == 0 or len(a.levels) < 2:
        return None
    p1 = np.array([lv.count / a.n for lv in a.levels[1:]])
    p2 = np.array([lv.count / b.n for lv in b.levels[1:]])

    def covariance(p: np.ndarray) -> np.ndarray:
        return np.diag(p) - np.outer(p, p)

    s = (covariance(p1) + covariance(p2)) / 2
    difference = p1 - p2
    if not difference.any():
        return 0.0
    try:
        value = float(difference @ np.linalg.solve(s, difference))
    except np.linalg.LinAlgError:
        value = float(difference @ np.linalg.pinv(s) @ difference)
    return finite(math.sqrt(value)) if value >= 0 else None


# --- the table -----------------------------------------------------------------------------


def _row_test(
    variable: Variable, parts: Sequence[pl.Series], levels: Sequence[str]
) -> tuple[Estimate | None, str | None]:
    """The row's test between groups, or None with the reason it was not done."""
    test = variable.chosen_test
    if test is RowTest.NONE:
        return None, None
    if variable.categorical:
        if not levels:
            return None, f"{variable.label}: no known values, no test"
        matrix = np.array(
            [[int((part.cast(pl.String) == level).sum()) for part in parts] for level in levels],
            dtype=np.int64,
        )
        if test is RowTest.FISHER:
            try:
                return fisher_exact(matrix), None
            except ValueError as error:
                return None, f"{variable.label}: Fisher's exact test not done ({error})"
        if test in (RowTest.CHI_SQUARE, RowTest.CHI_SQUARE_YATES):
            return chi_square(matrix, correct=test is RowTest.CHI_SQUARE_YATES), None
        return None, f"{variable.label}: {test.value} does not apply to a categorical variable"
    if len(parts) != 2:
        return None, f"{variable.label}: {test.value} compares two groups, not {len(parts)}"
    x, y = (part.cast(pl.Float64).drop_nulls().to_numpy() for part in parts)
    if test in (RowTest.WELCH, RowTest.STUDENT):
        return t_test(x, y, equal_var=test is RowTest.STUDENT), None
    if test is RowTest.MANN_WHITNEY:
        return mann_whitney(x, y), None
    return None, f"{variable.label}: {test.value} does not apply to a continuous variable"


def table_one(frame: pl.DataFrame, spec: TableOneSpec) -> TableOne:
    """Build Table 1 for ``frame`` grouped by ``spec.group`` (see the module docstring).

    Rows whose group is unknown (null or not among ``spec.groups``) are counted in the Overall
    column only. Each variable uses its non-missing values (complete cases per row; the missing
    count is reported per column). The SMD is given for two groups (first vs second).
    ``frame`` is not modified.
    """
    columns = list(dict.fromkeys([spec.group, *(v.column for v in spec.variables)]))
    missing_columns = [c for c in columns if c not in frame.columns]
    if missing_columns:
        raise KeyError(f"Table 1: no column {', '.join(missing_columns)} in the data")
    data = frame.select(columns).with_columns(pl.col(spec.group).cast(pl.String))
    excluded = data.get_column(spec.group).null_count()
    seen = sorted(data.get_column(spec.group).drop_nulls().unique().to_list())
    groups = spec.groups or tuple(seen)
    partitions = {
        str(key[0]): part
        for key, part in data.filter(pl.col(spec.group).is_not_null())
        .partition_by(spec.group, as_dict=True)
        .items()
    }
    empty = data.clear()
    parts = [partitions.get(group, empty) for group in groups]
    unknown_group = data.height - sum(part.height for part in parts)
    warnings: list[str] = []
    if excluded:
        warnings.append(
            f"{excluded} rows without a value of {spec.group}: in the Overall column only"
        )
    unlisted = sorted(set(seen) - set(groups))
    if unlisted:
        warnings.append(
            f"groups not listed in the spec, in the Overall column only: {', '.join(unlisted)}"
        )

    rows: list[TableOneRow] = []
    for variable in spec.variables:
        series = [part.get_column(variable.column) for part in parts]
        everyone = data.get_column(variable.column)
        if variable.categorical:
            observed = everyone.cast(pl.String).drop_nulls().unique()
            levels = variable.levels or tuple(sorted(observed.to_list()))
            by_group: tuple[Continuous | Categorical, ...] = tuple(
                _categorical(s, levels) for s in series
            )
            overall: Continuous | Categorical = _categorical(everyone, levels)
        else:
            levels = ()
            by_group = tuple(
                _continuous(_continuous_frame(p, variable.column, None).row(0, named=True))
                for p in parts
            )
            overall = _continuous(_continuous_frame(data, variable.column, None).row(0, named=True))
        test, reason = _row_test(variable, series, levels)
        if reason:
            warnings.append(reason)
        smd = None
        if len(by_group) == 2:
            first, second = by_group
            if isinstance(first, Continuous) and isinstance(second, Continuous):
                smd = smd_continuous(first, second)
            elif isinstance(first, Categorical) and isinstance(second, Categorical):
                smd = smd_categorical(first, second)
        rows.append(TableOneRow(variable, by_group, overall, test, smd))
    return TableOne(
        spec=spec,
        groups=tuple(groups),
        group_sizes=tuple(part.height for part in parts),
        rows=tuple(rows),
        excluded_missing_group=excluded,
        warnings=tuple(warnings),
        unknown_group=unknown_group,
        overall_size=data.height,
    )
