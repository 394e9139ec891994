"""The report's number formats: significant digits, p-values, percentages, intervals.

One place for them, so that a number reads the same in a table, a caption and a figure.
"""

from __future__ import annotations

import math

import numpy as np

DASH = "—"


def number(value: float | int | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (integers as they are; thousands kept)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)) or (float(value).is_integer() and abs(value) < 1e15):
        return f"{int(value):,}".replace(",", "\u2009")
    magnitude = math.floor(math.log10(abs(value))) if value else 0
    if magnitude >= digits - 1:
        return f"{round(value):,}".replace(",", "\u2009")
    if magnitude < -4:
        return f"{value:.{digits - 1}e}"
    decimals = digits - 1 - magnitude
    return f"{value:.{decimals}f}"


def p_value(value: float | None) -> str:
    """A p-value: ``< 0.001`` below a thousandth, else three decimals (``> 0.999`` near 1)."""
    if value is None or not math.isfinite(value):
        return DASH
    if value < 0.001:
        return "< 0.001"
    if value > 0.999:
        return "> 0.999"
    return f"{value:.3f}"


def percent(value: float | None, decimals: int = 2) -> str:
    """A percentage given in percent."""
    return DASH if value is None or not math.isfinite(value) else f"{value:.{decimals}f}%"


def interval(low: float | None, high: float | None, scale: float = 1.0, digits: int = 3) -> str:
    """A confidence interval ``low to high`` (scaled, e.g. ×100 for a proportion)."""
    if low is None or high is None:
        return DASH
    return f"{number(low * scale, digits)} to {number(high * scale, digits)}"
