"""Counts per unit: a number of events divided by a number of units, with an exact Poisson CI.

For ratios that are not proportions because a unit can contribute more than one event — e.g.
infants born alive per woman treated (twins count twice; Study B's "30.48%" = 32 / 105).
The interval is the exact (Garwood) one of R ``poisson.test(count, units)$conf.int``:
``qgamma(α/2, count) / units`` (0 when count = 0) to ``qgamma(1 − α/2, count + 1) / units``.
"""

from __future__ import annotations

from scipy import stats

from ovaregen.stats.result import Estimate, finite

METHOD = "Rate per unit with exact Poisson confidence interval"


def count_rate(count: int, units: int, *, conf_level: float = 0.95) -> Estimate:
    """``count`` events over ``units`` units (``n`` = units), R ``poisson.test(count, units)``."""
    if int(count) != count or int(units) != units or count < 0 or units < 0:
        raise ValueError(f"need whole numbers count >= 0 and units >= 0, got {count} / {units}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    count, units = int(count), int(units)
    options = {"interval": "exact Poisson (Garwood)", "count": count}
    if units == 0:
        return Estimate(
            method=METHOD,
            n=0,
            options=options,
            conf_level=conf_level,
            warnings=("no units: the rate is not defined",),
        )
    alpha = 1 - conf_level
    low = 0.0 if count == 0 else float(stats.gamma.ppf(alpha / 2, count)) / units
    high = float(stats.gamma.ppf(1 - alpha / 2, count + 1)) / units
    return Estimate(
        method=METHOD,
        n=units,
        options=options,
        estimate=count / units,
        ci_low=finite(low),
        ci_high=finite(high),
        conf_level=conf_level,
    )
