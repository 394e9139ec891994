"""A single proportion with its confidence interval: Wilson (default) or Clopper–Pearson.

- ``method="wilson"`` — the score interval of Wilson (1927), R
  ``prop.test(x, n, correct = FALSE)$conf.int`` (statsmodels ``proportion_confint(method=
  "wilson")``); as R, the lower limit is exactly 0 when x = 0 and the upper exactly 1 when x = n;
- ``method="clopper-pearson"`` — the exact interval from beta quantiles, R ``binom.test(x,
  n)$conf.int`` (statsmodels ``method="beta"``).

The estimate is x / n; ``n`` is the denominator (trials) and ``count`` the numerator, so a
report can always print both. No test is attached: this is an estimate with its interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from ovaregen.stats.contingency import is_missing
from ovaregen.stats.result import Estimate, finite

__all__ = ["ProportionResult", "proportion", "proportion_of"]

IntervalMethod = Literal["wilson", "clopper-pearson"]

_NAMES: dict[str, tuple[str, str]] = {
    "wilson": ("Proportion with Wilson score interval", "wilson"),
    "clopper-pearson": ("Proportion with Clopper-Pearson exact interval", "beta"),
}


@dataclass(frozen=True)
class ProportionResult(Estimate):
    """:class:`Estimate` of ``count`` / ``n`` (``n`` is the denominator)."""

    count: int = 0


def proportion(
    count: int, n: int, *, method: IntervalMethod = "wilson", conf_level: float = 0.95
) -> ProportionResult:
    """``count`` successes out of ``n`` with a Wilson (default) or Clopper–Pearson interval.

    Matches R ``prop.test(count, n, correct = FALSE)$conf.int`` (Wilson, no continuity
    correction) or ``binom.test(count, n)$conf.int`` (Clopper–Pearson). n = 0 gives None
    numbers with a warning.
    """
    if method not in _NAMES:
        raise ValueError(f"unknown interval method {method!r}: 'wilson' or 'clopper-pearson'")
    if int(count) != count or int(n) != n or not 0 <= count <= n:
        raise ValueError(f"need whole numbers 0 <= count <= n, got {count} of {n}")
    count, n = int(count), int(n)
    name, statsmodels_method = _NAMES[method]
    options = {"interval": method, "continuity_correction": False}
    if n == 0:
        return ProportionResult(
            method=name,
            n=0,
            count=0,
            options=options,
            conf_level=conf_level,
            warnings=("no observations: the proportion is not defined",),
        )
    low, high = proportion_confint(count, n, alpha=1 - conf_level, method=statsmodels_method)
    # R's closed ends: prop.test sets 0 (x = 0) and 1 (x = n) exactly, as binom.test does.
    low = 0.0 if count == 0 else float(low)
    high = 1.0 if count == n else float(high)
    return ProportionResult(
        method=name,
        n=n,
        count=count,
        options=options,
        estimate=count / n,
        ci_low=finite(low),
        ci_high=finite(high),
        conf_level=conf_level,
    )


def proportion_of(
    values: Iterable[object],
    *,
    event: object = True,
    method: IntervalMethod = "wilson",
    conf_level: float = 0.95,
) -> ProportionResult:
    """Proportion of ``values`` equal to ``event`` among the non-missing ones (complete cases).

    Missing values (None, NaN, pandas NA, polars null) are left out of the denominator and
    counted in a warning; the interval is that of :func:`proportion`.
    """
    plain = [v.item() if isinstance(v, np.generic) else v for v in values]
    known = [v for v in plain if not is_missing(v)]
    result = proportion(
        sum(1 for v in known if v == event), len(known), method=method, conf_level=conf_level
    )
    missing = len(plain) - len(known)
    if not missing:
        return result
    note = f"{missing} missing values left out of the denominator (complete cases)"
    return replace(result, warnings=(*result.warnings, note))
