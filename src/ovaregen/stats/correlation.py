"""Pearson and Spearman correlation, two-sided, as R 4.2 ``cor.test`` (``tests/reference/stats.R``).

- :func:`pearson` — ``cor.test(x, y)``: r, t = r·√(n − 2)/√(1 − r²) on n − 2 df, p from the
  t distribution, and (from 4 pairs on) the Fisher-z interval tanh(atanh r ± z/√(n − 3)).
- :func:`spearman` — ``cor.test(x, y, method = "spearman")``: ρ is the Pearson correlation of
  the (mid)ranks, S = (n³ − n)(1 − ρ)/6. The p-value follows R's choice: without ties and with
  n ≤ 1290, algorithm AS 89 (Best & Roberts 1975) as R's ``prho.c`` — the exact permutation
  distribution for n ≤ 9 and its Edgeworth series approximation for 10 ≤ n ≤ 1290; with ties,
  n > 1290 or ``exact=False``, the t approximation r/√((1 − r²)/(n − 2)) on n − 2 df.
  scipy has no AS 89, so that part is written here and checked against R.

Pairs with a missing or infinite value in either variable are dropped (complete cases; the
count is in a warning). Too few pairs or a constant variable give None numbers with a warning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from functools import cache
from itertools import chain, permutations

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from ovaregen.stats.comparison import as_float_array
from ovaregen.stats.result import Estimate, finite

__all__ = ["pearson", "spearman", "spearman_tail_probability"]

PEARSON = "Pearson's product-moment correlation"
SPEARMAN = "Spearman's rank correlation rho"
AS89_EXACT_MAX_N = 9  # prho.c: exact enumeration up to n = 9
AS89_MAX_N = 1290  # cor.test: AS 89 (no overflow of n(n² − 1)) up to n = 1290
EXACT = "exact permutation distribution (AS 89)"
EDGEWORTH = "Edgeworth series approximation (AS 89)"
T_APPROXIMATION = "t approximation on n - 2 df"
# Edgeworth coefficients of AS 89.
C1, C2, C3, C4, C5, C6 = 0.2274, 0.2531, 0.1745, 0.0758, 0.1033, 0.3932
C7, C8, C9, C10, C11, C12 = 0.0879, 0.0151, 0.0072, 0.0831, 0.0131, 4.6e-4


def _pairs(
    x: Iterable[object], y: Iterable[object]
) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[str, ...]]:
    xs, ys = as_float_array(x), as_float_array(y)
    if xs.size != ys.size:
        raise ValueError(f"x and y differ in length: {xs.size} vs {ys.size}")
    complete = np.isfinite(xs) & np.isfinite(ys)
    dropped = int(xs.size - complete.sum())
    notes = (f"{dropped} incomplete pairs left out (complete cases)",) if dropped else ()
    return xs[complete], ys[complete], notes


def _constant(values: NDArray[np.float64]) -> bool:
    return bool(values.size and values.min() == values.max())


def pearson(x: Iterable[object], y: Iterable[object], *, conf_level: float = 0.95) -> Estimate:
    """Pearson's r with its t-test and Fisher-z interval, as R ``cor.test(x, y)``.

    Needs 3 complete pairs (R's rule); the interval needs 4 and is None below that, as in R.
    With |r| = 1 the t statistic is infinite (None) and p is 0.
    """
    xs, ys, notes = _pairs(x, y)
    n = int(xs.size)
    options = {"alternative": "two-sided", "ci": "Fisher z"}
    if n < 3:
        return Estimate(
            method=PEARSON,
            n=n,
            options=options,
            conf_level=conf_level,
            warnings=(*notes, "not enough complete pairs: Pearson's test needs 3"),
        )
    if _constant(xs) or _constant(ys):
        return Estimate(
            method=PEARSON,
            n=n,
            options=options,
            df=float(n - 2),
            conf_level=conf_level,
            warnings=(*notes, "a variable is constant: the correlation is not defined"),
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = float(stats.pearsonr(xs, ys).statistic)
    df = n - 2
    statistic = math.inf if abs(r) == 1 else math.sqrt(df) * r / math.sqrt(1 - r * r)
    p_value = 2 * float(stats.t.sf(abs(statistic), df))
    cautions = notes
    if any(issubclass(w.category, stats.NearConstantInputWarning) for w in caught):
        cautions += ("a variable is nearly constant: r may be inaccurate",)
    low = high = None
    if n > 3:
        spread = float(stats.norm.ppf((1 + conf_level) / 2)) / math.sqrt(n - 3)
        centre = math.atanh(r) if abs(r) < 1 else math.copysign(math.inf, r)
        low, high = math.tanh(centre - spread), math.tanh(centre + spread)
    else:
        cautions += ("3 pairs: no confidence interval (Fisher z needs 4)",)
    if abs(r) == 1:
        cautions += ("perfect correlation: the t statistic is infinite",)
    return Estimate(
        method=PEARSON,
        n=n,
        options=options,
        statistic=finite(statistic),
        df=float(df),
        p_value=p_value,
        estimate=r,
        ci_low=low,
        ci_high=high,
        conf_level=conf_level if low is not None else None,
        warnings=cautions,
    )


@cache
def _rank_distance_counts(n: int) -> tuple[int, ...]:
    """Number of permutations π of 1..n with Σ(i − π(i))² = s, for each s (AS 89, exact)."""
    flat = chain.from_iterable(permutations(range(n)))
    ranks = np.fromiter(flat, dtype=np.int64, count=n * math.factorial(n)).reshape(-1, n)
    squares = (ranks - np.arange(n)) ** 2
    return tuple(int(c) for c in np.bincount(squares.sum(axis=1)))


def spearman_tail_probability(n: int, s: float, *, lower_tail: bool) -> float:
    """AS 89 as R's ``prho.c``: P(S ≥ s), or P(S < s) when ``lower_tail``, for n ≥ 2.

    Exact by enumeration of the n! permutations for n ≤ 9, the Edgeworth series beyond.
    """
    p_value = 0.0 if lower_tail else 1.0
    if n <= 1 or s <= 0:
        return p_value
    maximum = float(n)
    maximum *= (maximum * maximum - 1.0) / 3.0  # (n³ − n)/3, computed as prho.c does
    if s > maximum:
        return 1 - p_value
    if n <= AS89_EXACT_MAX_N:
        counts = _rank_distance_counts(n)
        total = math.factorial(n)
        at_least = 1 if s == maximum else sum(counts[math.ceil(s) :])
        return (total - at_least) / total if lower_tail else at_least / total
    b = 1 / n
    x = (6.0 * (s - 1) * b / (n * n - 1.0) - 1) * math.sqrt(n - 1.0)
    y = x * x
    u = (
        x
        * b
        * (
            C1
            + b * (C2 + C3 * b)
            + y
            * (
                -C4
                + b * (C5 + C6 * b)
                - y * b * (C7 + C8 * b - y * (C9 - C10 * b + y * b * (C11 - C12 * y)))
            )
        )
    )
    y = u / math.exp(y / 2.0)
    normal = float(stats.norm.cdf(x) if lower_tail else stats.norm.sf(x))
    return min(1.0, max(0.0, (-y if lower_tail else y) + normal))


def spearman(x: Iterable[object], y: Iterable[object], *, exact: bool | None = None) -> Estimate:
    """Spearman's ρ with R's p-value, as ``cor.test(x, y, method = "spearman", exact)``.

    ``exact=None`` (R's default) uses AS 89 when there are no ties and n ≤ 1290; ties force the
    t approximation (R warns likewise); ``exact=False`` asks for the t approximation.
    ``options["p_value"]`` names the method used; ``statistic`` is S.
    """
    xs, ys, notes = _pairs(x, y)
    n = int(xs.size)
    ties = min(np.unique(xs).size, np.unique(ys).size) < n
    use_as89 = exact is not False and not ties and n <= AS89_MAX_N
    how = (EXACT if n <= AS89_EXACT_MAX_N else EDGEWORTH) if use_as89 else T_APPROXIMATION
    options = {"alternative": "two-sided", "exact_requested": exact, "p_value": how}
    cautions = notes
    if ties:
        cautions += ("ties present: no exact p-value, t approximation used",)
    if n < 2 or _constant(xs) or _constant(ys):
        reason = "fewer than 2 complete pairs" if n < 2 else "a variable is constant"
        return Estimate(
            method=SPEARMAN,
            n=n,
            options=options,
            warnings=(*cautions, f"{reason}: the correlation is not defined"),
        )
    rho = float(stats.pearsonr(stats.rankdata(xs), stats.rankdata(ys)).statistic)
    q = (n**3 - n) * (1 - rho) / 6
    upper = q > (n**3 - n) / 6  # negative ρ: R takes the upper tail of S
    if use_as89:
        tail = spearman_tail_probability(n, round(q) + (0 if upper else 2), lower_tail=not upper)
        p_value: float | None = min(2 * tail, 1.0)
    elif n > 2:
        r = 1 - q / ((n * (n**2 - 1)) / 6)
        t = r / math.sqrt((1 - r * r) / (n - 2)) if abs(r) < 1 else math.copysign(math.inf, r)
        tail = float(stats.t.cdf(t, n - 2) if upper else stats.t.sf(t, n - 2))
        p_value = min(2 * tail, 1.0)
    else:
        p_value = None
        cautions += ("2 pairs: the t approximation has no degrees of freedom",)
    return Estimate(
        method=SPEARMAN,
        n=n,
        options=options,
        statistic=finite(q),
        p_value=p_value,
        estimate=rho,
        warnings=cautions,
    )
