"""The common shape of a statistical result.

Modules return :class:`Estimate` (or a dataclass of their own that carries the same fields);
values that do not apply are None. Nothing here formats text: renderers do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Estimate:
    """A test and/or an estimate with its confidence interval.

    ``method`` names the procedure as a reader would (e.g. "Pearson's chi-squared test with
    Yates' continuity correction"); ``options`` holds every choice that another tool might
    default differently (``{"correction": True}``); ``n`` is the number of observations used;
    ``warnings`` say what a reader must know (small expected counts, ties, separation).
    """

    method: str
    n: int
    options: Mapping[str, Any] = field(default_factory=dict)
    statistic: float | None = None
    df: float | None = None
    p_value: float | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    conf_level: float | None = None
    warnings: tuple[str, ...] = ()


def finite(value: float | None) -> float | None:
    """``value`` as a float, or None when it is missing, NaN or infinite (JSON has neither)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
