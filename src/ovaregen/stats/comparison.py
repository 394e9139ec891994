"""Two-sample comparisons: Welch and Student t-tests, Mann–Whitney (Wilcoxon rank-sum) test.

All two-sided, ``x`` compared with ``y``; the numbers match R 4.2 (``tests/reference/stats.R``):

- :func:`t_test` — ``t.test(x, y, var.equal = FALSE)`` (Welch, the default) or ``var.equal =
  TRUE`` (Student, pooled variance): t, df, p, mean difference mean(x) − mean(y) and its CI
  (scipy ``ttest_ind``). As R, a group of one is allowed for Student but not for Welch, and
  data whose standard error is below 10·ε·max(|mean|) are "essentially constant": no test.
- :func:`mann_whitney` — ``wilcox.test(x, y)``: W = rank sum of x − nₓ(nₓ + 1)/2 (scipy's U of
  x); the p-value is exact when both groups have fewer than 50 values and there are no ties
  (R's rule, unless ``exact`` says otherwise), else the normal approximation with tie-corrected
  variance and, by default, R's continuity correction of 0.5 towards the centre.

Missing values (None, NaN, pandas NA, polars null) and infinite ones are dropped from each
group (complete cases; the count is in a warning). Groups too small for the test give a result
of None numbers with a warning, never an exception or a NaN.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from ovaregen.stats.contingency import is_missing
from ovaregen.stats.result import Estimate, finite

__all__ = ["TwoSampleResult", "as_float_array", "mann_whitney", "t_test"]

WELCH = "Welch Two Sample t-test"
STUDENT = "Two Sample t-test (Student, pooled variance)"
WILCOXON_EXACT = "Wilcoxon rank sum exact test"
WILCOXON_NORMAL = "Wilcoxon rank sum test"
CONTINUITY = " with continuity correction"
EXACT_LIMIT = 50  # R: exact when both groups are smaller than this


@dataclass(frozen=True)
class TwoSampleResult(Estimate):
    """:class:`Estimate` plus the group sizes and, for t-tests, the group means."""

    n_x: int = 0
    n_y: int = 0
    mean_x: float | None = None
    mean_y: float | None = None


def as_float_array(values: Iterable[object]) -> NDArray[np.float64]:
    """Values as a float array, missing ones (None, NaN, pandas NA, polars null) as NaN."""
    try:
        return np.asarray(values, dtype=np.float64).ravel()
    except TypeError:  # pandas NA in an object sequence
        return np.array([np.nan if is_missing(v) else v for v in values], dtype=np.float64)


def _group(values: Iterable[object]) -> tuple[NDArray[np.float64], int]:
    array = as_float_array(values)
    kept = array[np.isfinite(array)]
    return kept, array.size - kept.size


def _groups(
    x: Iterable[object], y: Iterable[object]
) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[str, ...]]:
    xs, dropped_x = _group(x)
    ys, dropped_y = _group(y)
    notes: tuple[str, ...] = ()
    if dropped_x or dropped_y:
        notes = (
            f"missing or infinite values left out: {dropped_x} in x, {dropped_y} in y "
            "(complete cases)",
        )
    return xs, ys, notes


def t_test(
    x: Iterable[object],
    y: Iterable[object],
    *,
    equal_var: bool = False,
    conf_level: float = 0.95,
) -> TwoSampleResult:
    """Two-sample t-test of mean(x) − mean(y), as R ``t.test(x, y, var.equal = equal_var)``.

    Welch's test (unequal variances, Welch–Satterthwaite df) unless ``equal_var``; ``method``
    and ``options["equal_var"]`` say which. ``estimate`` is the mean difference with its CI.
    """
    xs, ys, notes = _groups(x, y)
    nx, ny = xs.size, ys.size
    mean_x = float(xs.mean()) if nx else None
    mean_y = float(ys.mean()) if ny else None
    options = {"equal_var": equal_var, "alternative": "two-sided"}

    def undefined(reason: str) -> TwoSampleResult:
        return TwoSampleResult(
            method=STUDENT if equal_var else WELCH,
            n=nx + ny,
            options=options,
            conf_level=conf_level,
            warnings=(*notes, reason),
            n_x=nx,
            n_y=ny,
            mean_x=mean_x,
            mean_y=mean_y,
        )

    if equal_var and (nx < 1 or ny < 1 or nx + ny < 3):
        return undefined("not enough observations: each group needs 1 and both together 3")
    if not equal_var and (nx < 2 or ny < 2):
        return undefined("not enough observations: each group needs at least 2")
    assert mean_x is not None and mean_y is not None
    var_x = float(xs.var(ddof=1)) if nx > 1 else 0.0
    var_y = float(ys.var(ddof=1)) if ny > 1 else 0.0
    if equal_var:
        pooled = ((nx - 1) * var_x + (ny - 1) * var_y) / (nx + ny - 2)
        stderr = np.sqrt(pooled * (1 / nx + 1 / ny))
    else:
        stderr = np.sqrt(var_x / nx + var_y / ny)
    if stderr < 10 * np.finfo(float).eps * max(abs(mean_x), abs(mean_y)):
        return undefined("data are essentially constant: no variance to test against")
    with warnings.catch_warnings():
        # scipy's "precision loss" note on a constant group: R's own constancy check is above.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(xs, ys, equal_var=equal_var)
    interval = result.confidence_interval(confidence_level=conf_level)
    return TwoSampleResult(
        method=STUDENT if equal_var else WELCH,
        n=nx + ny,
        options=options,
        statistic=finite(result.statistic),
        df=finite(result.df),
        p_value=finite(result.pvalue),
        estimate=mean_x - mean_y,
        ci_low=finite(interval.low),
        ci_high=finite(interval.high),
        conf_level=conf_level,
        warnings=notes,
        n_x=nx,
        n_y=ny,
        mean_x=mean_x,
        mean_y=mean_y,
    )


def mann_whitney(
    x: Iterable[object],
    y: Iterable[object],
    *,
    exact: bool | None = None,
    correct: bool = True,
) -> TwoSampleResult:
    """Mann–Whitney / Wilcoxon rank-sum test, as R ``wilcox.test(x, y, exact, correct)``.

    ``exact=None`` follows R: exact when both groups have fewer than 50 values and there are no
    ties. With ties an exact p-value is impossible (R warns likewise) and the normal
    approximation with tie-corrected variance is used; ``correct`` applies the 0.5 continuity
    correction there. ``method`` is R's name for what was done; ``options["exact"]`` says it
    too; ``statistic`` is W (= U of x). No location estimate is given.
    """
    xs, ys, notes = _groups(x, y)
    nx, ny = xs.size, ys.size
    requested = exact
    use_exact = (nx < EXACT_LIMIT and ny < EXACT_LIMIT) if exact is None else exact
    ranks, tie_sizes = midranks(np.concatenate([xs, ys]))
    ties = bool(tie_sizes.size) and int(tie_sizes.max()) > 1
    cautions = notes
    if ties:
        cautions += (
            "ties present: exact p-value impossible, normal approximation with tie correction",
        )
        use_exact = False
    options = {
        "exact": use_exact,
        "exact_requested": requested,
        "continuity_correction": correct and not use_exact,
        "alternative": "two-sided",
    }
    method = WILCOXON_EXACT if use_exact else WILCOXON_NORMAL + (CONTINUITY if correct else "")
    if nx == 0 or ny == 0:
        return TwoSampleResult(
            method=method,
            n=nx + ny,
            options=options,
            warnings=(*cautions, "a group is empty: no test"),
            n_x=nx,
            n_y=ny,
        )
    statistic = float(ranks[:nx].sum() - nx * (nx + 1) / 2)
    if tie_sizes.size == 1:
        return TwoSampleResult(
            method=method,
            n=nx + ny,
            options=options,
            statistic=statistic,
            warnings=(*cautions, "all values are equal: the p-value is not defined"),
            n_x=nx,
            n_y=ny,
        )
    if use_exact:
        exact_result = stats.mannwhitneyu(xs, ys, alternative="two-sided", method="exact")
        p_value = float(exact_result.pvalue)
    else:
        p_value = _normal_p_value(statistic, nx, ny, tie_sizes, correct)
    return TwoSampleResult(
        method=method,
        n=nx + ny,
        options=options,
        statistic=finite(statistic),
        p_value=finite(p_value),
        warnings=cautions,
        n_x=nx,
        n_y=ny,
    )


def midranks(values: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Ranks with ties given their mean rank, and the size of each group of equal values.

    One sort (``argsort``) serves both, so that a million values rank in a fraction of a second.
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    bounds = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
    sizes = np.diff(bounds)
    mean_rank = (bounds[:-1] + bounds[1:] + 1) / 2
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, sizes)
    return ranks, sizes.astype(np.int64)


def _normal_p_value(
    statistic: float, nx: int, ny: int, tie_sizes: NDArray[np.int64], correct: bool
) -> float:
    """R ``wilcox.test``'s normal approximation: tie-corrected variance, optional 0.5 correction.

    z = (W − nx·ny/2 − sign·0.5) / σ, σ² = nx·ny/12 · ((n + 1) − Σ(t³ − t) / (n(n − 1))),
    p = 2 · min(Φ(z), 1 − Φ(z)).
    """
    n = nx + ny
    centred = statistic - nx * ny / 2
    ties = float(np.sum(tie_sizes.astype(np.float64) ** 3 - tie_sizes))
    sigma = math.sqrt(nx * ny / 12 * ((n + 1) - ties / (n * (n - 1))))
    correction = math.copysign(0.5, centred) if correct and centred != 0 else 0.0
    z = (centred - correction) / sigma
    return float(2 * min(stats.norm.cdf(z), stats.norm.sf(z)))
