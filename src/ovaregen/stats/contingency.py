"""Contingency tables: chi-square, Fisher's exact test, risk difference and relative risk.

Rows are the groups, columns the outcome; for the 2 × 2 measures the first column counts the
event and the first row is the group compared with the second (``risk_difference`` = p₁ − p₂,
``relative_risk`` = p₁ / p₂). Every number matches R 4.2 (``tests/reference/stats.R``):

- :func:`chi_square` — ``chisq.test(table, correct = TRUE/FALSE)``: Yates' correction only on a
  2 × 2 table and capped at |O − E| (so a table at its expectation gives 0, not a negative
  correction); a warning when an expected count is below 5 (R: "Chi-squared approximation may
  be incorrect");
- :func:`fisher_exact` — ``fisher.test`` on a 2 × 2: two-sided p summing the probabilities
  ≤ the observed one × (1 + 10⁻⁷), conditional maximum-likelihood odds ratio and its exact
  limits (scipy's ``odds_ratio(kind="conditional")``, solved to 1e-13 where ``fisher.test``
  stops at ``uniroot``'s 1.2e-4);
- :func:`risk_difference` — the Wald interval of ``prop.test(x, n, correct = FALSE)``, clipped
  to [−1, 1] as R does;
- :func:`relative_risk` — the log (Katz) interval exp(log RR ± z·√(1/a − 1/n₁ + 1/c − 1/n₂)).

:func:`cross_table` builds the counts from two arrays of labels or booleans (complete cases).
A table with an empty row or column gives a result of None numbers with a warning.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.stats.contingency import odds_ratio

from ovaregen.stats.result import Estimate, finite

__all__ = [
    "ChiSquareResult",
    "CrossTable",
    "chi_square",
    "cross_table",
    "fisher_exact",
    "relative_risk",
    "risk_difference",
]

#: R's ``fisher.test`` counts a table as extreme when its probability ≤ observed × this.
FISHER_RELATIVE_ERROR = 1 + 1e-7
SMALL_EXPECTED = 5.0
CHI_SQUARE = "Pearson's Chi-squared test"
YATES = " with Yates' continuity correction"
EMPTY_MARGIN = "fewer than 2 non-empty rows or columns: the statistic is not defined"
NOT_TWO_BY_TWO = "a group or outcome level is absent (not a 2 × 2 table): pass the levels"


@dataclass(frozen=True)
class CrossTable:
    """Counts of ``rows`` × ``columns`` labels over complete cases.

    ``n_incomplete`` pairs had a missing value in either array and were left out.
    """

    counts: tuple[tuple[int, ...], ...]
    row_levels: tuple[Any, ...]
    column_levels: tuple[Any, ...]
    n_incomplete: int = 0

    @property
    def n(self) -> int:
        """Number of complete cases counted."""
        return sum(sum(row) for row in self.counts)


@dataclass(frozen=True)
class ChiSquareResult(Estimate):
    """:class:`Estimate` plus the expected counts under independence (None when undefined)."""

    expected: tuple[tuple[float, ...], ...] | None = None


TableLike = CrossTable | Sequence[Sequence[int]] | NDArray[Any]


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pandas' NA/NaT (recognised without importing pandas)."""
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return type(value).__name__ in {"NAType", "NaTType"}


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _levels(values: Sequence[object], given: Sequence[Any] | None) -> tuple[Any, ...]:
    if given is not None:
        return tuple(given)
    present = set(values)
    if present <= {True, False} and all(isinstance(v, bool) for v in values):
        return (True, False)  # both, even when one is absent: a 2 × 2 stays a 2 × 2
    try:
        return tuple(sorted(present))
    except TypeError:
        return tuple(dict.fromkeys(values))


def cross_table(
    rows: Iterable[object],
    columns: Iterable[object],
    *,
    row_levels: Sequence[Any] | None = None,
    column_levels: Sequence[Any] | None = None,
) -> CrossTable:
    """Cross-tabulate two equally long arrays (lists, numpy, pandas or polars), complete cases.

    Levels default to (True, False) for booleans — so the event and the first group come first,
    and both are kept even when one is absent — and to the sorted observed values otherwise.
    Given levels fix the order (and may include absent ones); a value outside the given levels
    is an error, not a silent drop.
    """
    row_values = [_plain(v) for v in rows]
    column_values = [_plain(v) for v in columns]
    if len(row_values) != len(column_values):
        raise ValueError(
            f"rows and columns differ in length: {len(row_values)} vs {len(column_values)}"
        )
    complete = [
        (r, c)
        for r, c in zip(row_values, column_values, strict=True)
        if not is_missing(r) and not is_missing(c)
    ]
    row_order = _levels([r for r, _ in complete], row_levels)
    column_order = _levels([c for _, c in complete], column_levels)
    row_index = {level: i for i, level in enumerate(row_order)}
    column_index = {level: j for j, level in enumerate(column_order)}
    counts = np.zeros((len(row_order), len(column_order)), dtype=np.int64)
    for r, c in complete:
        if r not in row_index or c not in column_index:
            raise ValueError(f"value outside the given levels: {r!r}, {c!r}")
        counts[row_index[r], column_index[c]] += 1
    return CrossTable(
        counts=tuple(tuple(int(v) for v in row) for row in counts),
        row_levels=row_order,
        column_levels=column_order,
        n_incomplete=len(row_values) - len(complete),
    )


def _counts(table: TableLike) -> tuple[NDArray[np.int64], tuple[str, ...]]:
    """Counts as an integer matrix, with a warning when incomplete cases were left out."""
    notes: tuple[str, ...] = ()
    if isinstance(table, CrossTable):
        if table.n_incomplete:
            notes = (f"{table.n_incomplete} incomplete cases left out (complete-case analysis)",)
        shape = (len(table.row_levels), len(table.column_levels))
        table = np.array(table.counts, dtype=np.int64).reshape(shape)
    matrix = np.asarray(table)
    if matrix.ndim != 2:
        raise ValueError(f"a table of counts has 2 dimensions, got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix.astype(float))) or np.any(matrix < 0):
        raise ValueError("counts must be finite and non-negative")
    if np.any(matrix != np.round(matrix)):
        raise ValueError("counts must be whole numbers")
    return matrix.astype(np.int64), notes


def _has_empty_margin(matrix: NDArray[np.int64]) -> bool:
    """Fewer than 2 rows or columns, or an empty one: no test of independence is defined."""
    if min(matrix.shape) < 2:
        return True
    return bool(np.any(matrix.sum(axis=0) == 0) or np.any(matrix.sum(axis=1) == 0))


def _two_by_two(matrix: NDArray[np.int64], what: str) -> bool:
    """True for a 2 × 2; False for a table lacking a level (degenerate); error when larger."""
    if max(matrix.shape) > 2:
        raise ValueError(f"{what} needs a 2 × 2 table, got shape {matrix.shape}")
    return matrix.shape == (2, 2)


def chi_square(table: TableLike, *, correct: bool = True) -> ChiSquareResult:
    """Pearson's chi-squared test of independence, as R ``chisq.test(table, correct = ...)``.

    Yates' continuity correction is applied only to a 2 × 2 table (R and scipy agree), and each
    |O − E| is reduced by at most itself, never below 0. ``options["correction_applied"]`` says
    whether it was; ``method`` is R's (naming the correction only when it changed X²);
    ``statistic`` is X², ``df`` (r − 1)(c − 1); ``expected`` the counts under independence.
    """
    matrix, notes = _counts(table)
    n = int(matrix.sum())
    applied = correct and matrix.shape == (2, 2)
    options = {"correction": correct, "correction_applied": applied}
    if n == 0 or _has_empty_margin(matrix):
        return ChiSquareResult(
            method=CHI_SQUARE, n=n, options=options, warnings=(*notes, EMPTY_MARGIN)
        )
    result = stats.chi2_contingency(matrix, correction=correct)
    expected = np.asarray(result.expected_freq, dtype=float)
    # R names the correction only when it changed something: min(0.5, |O - E|) > 0.
    name = CHI_SQUARE + (YATES if applied and np.abs(matrix - expected).min() > 0 else "")
    warnings = notes
    small = int(np.sum(expected < SMALL_EXPECTED))
    if small:
        warnings += (
            f"expected count below 5 in {small} of {expected.size} cells: the chi-square "
            "approximation may be incorrect (consider Fisher's exact test)",
        )
    return ChiSquareResult(
        method=name,
        n=n,
        options=options,
        statistic=finite(result.statistic),
        df=float(result.dof),
        p_value=finite(result.pvalue),
        warnings=warnings,
        expected=tuple(tuple(float(v) for v in row) for row in expected),
    )


def _fisher_p_value(matrix: NDArray[np.int64]) -> float:
    """Two-sided p of R ``fisher.test``: sum of the hypergeometric probabilities that do not
    exceed the observed one × (1 + 10⁻⁷) (scipy's own rule uses 1 + 10⁻¹⁴)."""
    first_column = int(matrix[:, 0].sum())
    first_row = int(matrix[0].sum())
    total = int(matrix.sum())
    low = max(0, first_row - (total - first_column))
    high = min(first_row, first_column)
    support = np.arange(low, high + 1)
    log_density = stats.hypergeom.logpmf(support, total, first_column, first_row)
    density = np.exp(log_density - log_density.max())
    density /= density.sum()
    observed = density[int(matrix[0, 0]) - low]
    return float(min(1.0, density[density <= observed * FISHER_RELATIVE_ERROR].sum()))


def fisher_exact(
    table: TableLike, *, conf_level: float = 0.95, odds_ratio_estimate: bool = True
) -> Estimate:
    """Fisher's exact test on a 2 × 2 table, as R ``fisher.test`` (two-sided).

    ``estimate`` is the conditional maximum-likelihood odds ratio (not the sample cross-product
    ratio) with its exact conditional interval. A zero cell makes the estimate 0 or infinite: an
    infinite estimate or upper limit is reported as None with a warning. With
    ``odds_ratio_estimate=False`` only the p-value is computed: the conditional interval's root
    search costs seconds per table at a million women, for a number a risk comparison does not
    report.
    """
    matrix, notes = _counts(table)
    _two_by_two(matrix, "Fisher's exact test")
    method = "Fisher's Exact Test for Count Data"
    options = {"alternative": "two-sided", "odds_ratio": "conditional maximum likelihood"}
    n = int(matrix.sum())
    if n == 0 or _has_empty_margin(matrix):
        return Estimate(
            method=method,
            n=n,
            options=options,
            conf_level=conf_level,
            warnings=(*notes, EMPTY_MARGIN),
        )
    if not odds_ratio_estimate:
        return Estimate(
            method=method,
            n=n,
            options={"alternative": "two-sided"},
            p_value=_fisher_p_value(matrix),
            conf_level=conf_level,
            warnings=notes,
        )
    result = odds_ratio(matrix, kind="conditional")
    interval = result.confidence_interval(confidence_level=conf_level)
    warnings = notes
    if math.isinf(result.statistic) or math.isinf(interval.high):
        warnings += ("odds ratio unbounded (zero cell): infinite values reported as None",)
    return Estimate(
        method=method,
        n=n,
        options=options,
        p_value=_fisher_p_value(matrix),
        estimate=finite(result.statistic),
        ci_low=finite(interval.low),
        ci_high=finite(interval.high),
        conf_level=conf_level,
        warnings=warnings,
    )


def _risks(matrix: NDArray[np.int64]) -> tuple[int, int, int, int]:
    a, b = (int(v) for v in matrix[0])
    c, d = (int(v) for v in matrix[1])
    return a, a + b, c, c + d


def _two_risks(
    table: TableLike, what: str, method: str, options: dict[str, Any], conf_level: float
) -> tuple[tuple[int, int, int, int], tuple[str, ...]] | Estimate:
    """Events and sizes of both groups (a, n₁, c, n₂) with the table's notes, or the result
    that says why ``what`` is not defined (not a 2 × 2 table, an empty group)."""
    matrix, notes = _counts(table)

    def undefined(n: int, reason: str) -> Estimate:
        return Estimate(
            method=method, n=n, options=options, conf_level=conf_level, warnings=(*notes, reason)
        )

    if not _two_by_two(matrix, what):
        return undefined(int(matrix.sum()), NOT_TWO_BY_TWO)
    a, n1, c, n2 = _risks(matrix)
    if n1 == 0 or n2 == 0:
        return undefined(n1 + n2, "a group is empty: its risk is not defined")
    return (a, n1, c, n2), notes


def risk_difference(table: TableLike, *, conf_level: float = 0.95) -> Estimate:
    """Risk difference p₁ − p₂ (first column = event) with the Wald interval.

    p ± z·√(p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂), clipped to [−1, 1]: R
    ``prop.test(c(a, c), c(n₁, n₂), correct = FALSE)$conf.int``. No test is reported here; use
    :func:`chi_square` (uncorrected, the same p as that ``prop.test``) or :func:`fisher_exact`.
    """
    method = "Risk difference with Wald confidence interval"
    options = {"ci": "Wald", "continuity_correction": False, "comparison": "row 1 minus row 2"}
    risks = _two_risks(table, "a risk difference", method, options, conf_level)
    if isinstance(risks, Estimate):
        return risks
    (a, n1, c, n2), notes = risks
    p1, p2 = a / n1, c / n2
    difference = p1 - p2
    z = float(stats.norm.ppf((1 + conf_level) / 2))
    width = z * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    warnings = notes
    if width == 0:
        warnings += ("both risks are 0 or 1: the Wald interval has zero width",)
    return Estimate(
        method=method,
        n=n1 + n2,
        options=options,
        estimate=difference,
        ci_low=max(difference - width, -1.0),
        ci_high=min(difference + width, 1.0),
        conf_level=conf_level,
        warnings=warnings,
    )


def relative_risk(table: TableLike, *, conf_level: float = 0.95) -> Estimate:
    """Relative risk p₁ / p₂ (first column = event) with the log (Katz) interval.

    exp(log RR ± z·√(1/a − 1/n₁ + 1/c − 1/n₂)) — Katz et al. (1978), no zero-cell correction:
    when either group has no event the interval (and, for the second group, the ratio) is not
    defined and is reported as None with a warning.
    """
    method = "Relative risk with log (Katz) confidence interval"
    options = {"ci": "log (Katz)", "zero_cell_correction": None, "comparison": "row 1 / row 2"}
    risks = _two_risks(table, "a relative risk", method, options, conf_level)
    if isinstance(risks, Estimate):
        return risks
    (a, n1, c, n2), notes = risks
    if c == 0:
        return Estimate(
            method=method,
            n=n1 + n2,
            options=options,
            conf_level=conf_level,
            warnings=(*notes, "no event in the second group: the ratio is not defined"),
        )
    ratio = (a / n1) / (c / n2)
    if a == 0:
        return Estimate(
            method=method,
            n=n1 + n2,
            options=options,
            estimate=0.0,
            conf_level=conf_level,
            warnings=(*notes, "no event in the first group: the log interval is not defined"),
        )
    z = float(stats.norm.ppf((1 + conf_level) / 2))
    spread = z * math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return Estimate(
        method=method,
        n=n1 + n2,
        options=options,
        estimate=ratio,
        ci_low=finite(math.exp(math.log(ratio) - spread)),
        ci_high=finite(math.exp(math.log(ratio) + spread)),
        conf_level=conf_level,
        warnings=notes,
    )
