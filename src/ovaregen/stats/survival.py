"""Kaplan–Meier survival curves, their median with its CI, and the log-rank test, as R's survival.

The product-limit estimate and its event table come from lifelines (``KaplanMeierFitter``); the
rest follows R's ``survival`` package (3.x) exactly:

* the table has a row at every distinct time, event or censoring (the rows of the ``survfit``
  object; times closer than ``sqrt(.Machine$double.eps)`` are one time, R's ``timefix``);
  ``std_err`` is the standard error of S(t) by Greenwood's formula, as ``summary(fit)$std.err``
  (``S * sqrt(sum d / (n (n - d)))``);
* the pointwise CI is ``survfit``'s ``conf.type``: ``"log"`` (R's default, ``exp(log S ± z se)``,
  upper limit capped at 1), ``"log-log"`` (lifelines' default, its "exponential Greenwood") or
  ``"plain"`` (``S ± z S se``, within [0, 1]); R's NA (``log`` and ``plain`` at S = 0, ``log-log``
  at S = 0 or 1) is None;
* the median and its CI are where the curve and its lower and upper bands reach 0.5: with
  ``median_rule="quantile"`` (default) as ``quantile(fit, 0.5)``, with ``"print"`` as ``print(fit)``
  and ``summary(fit)$table``. Both take the midpoint when the curve is exactly 0.5 over an
  interval; they differ only when it stays 0.5 to the end (quantile: midpoint with the last time;
  print: the time it reached 0.5);
* the log-rank test is ``survdiff(Surv(time, event) ~ group)`` (rho = 0), chi-square on k - 1 df.

Degenerate data (no complete row, no event, one group) give None and a warning, never an
exception or a NaN. :func:`observed_time_summary` is the plain median (range) of times among
those with the event (what study B reports), not a survival estimate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from scipy import stats

from ovaregen.stats.columns import frame_column, numeric_column
from ovaregen.stats.result import Estimate, finite

__all__ = [
    "KaplanMeier",
    "ObservedTimes",
    "SurvivalRow",
    "kaplan_meier",
    "kaplan_meier_by_group",
    "logrank_test",
    "observed_time_summary",
]

CONF_TYPES = ("log", "log-log", "plain")
MEDIAN_RULES = ("quantile", "print")
_TOLERANCE = math.sqrt(np.finfo(float).eps)  # R: sqrt(.Machine$double.eps)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SurvivalRow:
    """One distinct time of the survfit table; None where R gives NA."""

    time: float
    n_risk: int
    n_event: int
    n_censor: int
    survival: float
    std_err: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan–Meier curve and its median; ``group`` names the stratum (None if unstratified)."""

    method: str
    n: int
    n_events: int
    n_excluded: int
    table: tuple[SurvivalRow, ...]
    median: float | None
    median_ci_low: float | None
    median_ci_high: float | None
    conf_level: float
    group: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def median_estimate(self) -> Estimate:
        """The median survival time and its CI as an :class:`Estimate`."""
        return Estimate(
            method=self.method,
            n=self.n,
            options={**self.options, "estimate": "median survival time"},
            estimate=self.median,
            ci_low=self.median_ci_low,
            ci_high=self.median_ci_high,
            conf_level=self.conf_level,
            warnings=self.warnings,
        )


@dataclass(frozen=True)
class ObservedTimes:
    """Median (range) of observed times: ``median`` as R's ``median()``, ``minimum``/``maximum``."""

    n: int
    median: float | None
    minimum: float | None
    maximum: float | None


def kaplan_meier(
    frame: Any,
    time: str,
    event: str,
    *,
    conf_level: float = 0.95,
    conf_type: str = "log",
    median_rule: str = "quantile",
) -> KaplanMeier:
    """Kaplan–Meier estimate of ``Surv(time, event)`` on the complete rows of ``frame``.

    ``frame`` is a polars or pandas DataFrame; ``time`` non-negative numbers, ``event`` 1/True for
    the event and 0/False for censoring; rows missing either are excluded. Matches R
    ``survfit(Surv(time, event) ~ 1, conf.type = conf_type, conf.int = conf_level)`` and
    ``quantile(fit, 0.5)`` (or ``print(fit)`` with ``median_rule="print"``).
    """
    times, events = _time_event(frame, time, event)
    complete = ~(np.isnan(times) | np.isnan(events))
    times = _r_timefix(times, complete)
    return _fit(
        times[complete],
        events[complete],
        int(np.sum(~complete)),
        conf_level=conf_level,
        conf_type=conf_type,
        median_rule=median_rule,
    )


def kaplan_meier_by_group(
    frame: Any,
    time: str,
    event: str,
    group: str,
    *,
    conf_level: float = 0.95,
    conf_type: str = "log",
    median_rule: str = "quantile",
) -> tuple[KaplanMeier, ...]:
    """One curve per value of ``group`` (sorted; rows with a missing group are excluded), as
    ``survfit(Surv(time, event) ~ group)``; ``n_excluded`` counts a stratum's incomplete rows."""
    times, events = _time_event(frame, time, event)
    labels = _labels(frame, group)
    usable = ~(np.isnan(times) | np.isnan(events)) & np.array([g is not None for g in labels])
    times = _r_timefix(times, usable)
    curves = []
    for label in sorted({g for g in labels if g is not None}):
        rows = np.array([g == label for g in labels], dtype=bool)
        complete = rows & ~(np.isnan(times) | np.isnan(events))
        curve = _fit(
            times[complete],
            events[complete],
            int(np.sum(rows & ~complete)),
            conf_level=conf_level,
            conf_type=conf_type,
            median_rule=median_rule,
        )
        curves.append(_with_group(curve, label))
    return tuple(curves)


def logrank_test(frame: Any, time: str, event: str, group: str) -> Estimate:
    """Log-rank test of equal survival across the values of ``group`` on the complete rows:
    ``survdiff(Surv(time, event) ~ group)`` (rho = 0), chi-square with k - 1 df (lifelines'
    ``multivariate_logrank_test``). One group or no event: None and a warning."""
    times, events = _time_event(frame, time, event)
    labels = np.array(_labels(frame, group), dtype=object)
    complete = ~(np.isnan(times) | np.isnan(events)) & np.array([g is not None for g in labels])
    times = _r_timefix(times, complete)[complete]
    events, labels = events[complete], labels[complete]
    method = "Log-rank test (R survdiff, rho = 0)"
    groups = sorted(set(labels))
    options = {"rho": 0, "groups": tuple(groups)}
    n = int(times.size)
    if len(groups) < 2 or not np.any(events == 1):
        reason = "fewer than two groups" if len(groups) < 2 else "no events"
        return Estimate(method=method, n=n, options=options, warnings=(f"{reason}: no test",))
    result = multivariate_logrank_test(times, labels, events)
    df = len(groups) - 1
    statistic = float(result.test_statistic)
    return Estimate(
        method=method,
        n=n,
        options=options,
        statistic=finite(statistic),
        df=float(df),
        p_value=finite(float(stats.chi2.sf(statistic, df))),
    )


def observed_time_summary(values: Sequence[float | None] | FloatArray) -> ObservedTimes:
    """Median (as R's ``median()``: the mean of the two middle values for an even count) and
    range of the non-missing ``values``, e.g. months to pregnancy among women who conceived."""
    array = np.array([math.nan if v is None else float(v) for v in values], dtype=float)
    array = array[~np.isnan(array)]
    if array.size == 0:
        return ObservedTimes(0, None, None, None)
    return ObservedTimes(
        n=int(array.size),
        median=finite(float(np.median(array))),
        minimum=finite(float(array.min())),
        maximum=finite(float(array.max())),
    )


def _fit(
    times: FloatArray,
    events: FloatArray,
    n_excluded: int,
    *,
    conf_level: float,
    conf_type: str,
    median_rule: str,
) -> KaplanMeier:
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    if median_rule not in MEDIAN_RULES:
        raise ValueError(f"median_rule must be one of {MEDIAN_RULES}, got {median_rule!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    options = {
        "conf_type": conf_type,
        "conf_level": conf_level,
        "variance": "Greenwood",
        "median_rule": (
            "quantile(fit, 0.5)" if median_rule == "quantile" else "print(fit) / summary()$table"
        ),
        "missing": "complete cases",
    }
    method = f'Kaplan–Meier (R survfit, conf.type = "{conf_type}")'
    n, n_events = int(times.size), int(np.sum(events == 1))
    notes: list[str] = []
    if n == 0:
        notes.append("no complete row: no survival curve")
        return KaplanMeier(
            method, 0, 0, n_excluded, (), None, None, None, conf_level, None, options, tuple(notes)
        )
    fitted = KaplanMeierFitter().fit(times, events)
    table = fitted.event_table
    keep = np.asarray(table["removed"] > 0)  # lifelines adds a row at 0 with nobody leaving
    time_col = np.asarray(table.index, dtype=float)[keep]
    n_risk = np.asarray(table["at_risk"], dtype=float)[keep]
    d = np.asarray(table["observed"], dtype=float)[keep]
    censored = np.asarray(table["censored"], dtype=float)[keep]
    surv = np.asarray(fitted.survival_function_.iloc[:, 0], dtype=float)[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        cumulative = np.cumsum(np.where(d > 0, d / (n_risk * (n_risk - d)), 0.0))
        se = np.sqrt(cumulative)  # R's fit$std.err: of the cumulative hazard
        low, high = _pointwise_ci(surv, se, conf_level, conf_type)
        std_err = surv * se
    rows = tuple(
        SurvivalRow(
            time=float(time_col[i]),
            n_risk=int(n_risk[i]),
            n_event=int(d[i]),
            n_censor=int(censored[i]),
            survival=float(surv[i]),
            std_err=finite(std_err[i]),
            ci_low=finite(low[i]),
            ci_high=finite(high[i]),
        )
        for i in range(time_col.size)
    )
    find = _quantile_rule if median_rule == "quantile" else _print_rule
    median, median_low, median_high = (find(time_col, curve) for curve in (surv, low, high))
    if n_events == 0:
        notes.append("no events: the survival curve stays at 1 and has no median")
    elif median is None:
        notes.append("median not reached: the survival curve stays above 0.5")
    elif median_high is None:
        notes.append("upper confidence limit of the median not reached")
    return KaplanMeier(
        method=method,
        n=n,
        n_events=n_events,
        n_excluded=n_excluded,
        table=rows,
        median=median,
        median_ci_low=median_low,
        median_ci_high=median_high,
        conf_level=conf_level,
        options=options,
        warnings=tuple(notes),
    )


def _pointwise_ci(
    surv: FloatArray, se: FloatArray, conf_level: float, conf_type: str
) -> tuple[FloatArray, FloatArray]:
    """R ``survival:::survfit_confint(p, se, logse = TRUE, conf.type, conf.int)``; NaN for NA."""
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    if conf_type == "plain":
        half = se * surv * z
        return np.maximum(surv - half, 0.0), np.minimum(surv + half, 1.0)
    if conf_type == "log":
        xx = np.where(surv == 0, np.nan, surv)
        return np.exp(np.log(xx) - z * se), np.minimum(np.exp(np.log(xx) + z * se), 1.0)
    xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
    half = z * se / np.log(xx)
    return np.exp(-np.exp(np.log(-np.log(xx)) - half)), np.exp(-np.exp(np.log(-np.log(xx)) + half))


def _quantile_rule(times: FloatArray, curve: FloatArray, p: float = 0.5) -> float | None:
    """R ``survival:::findq(c(0, time), c(0, 1 - curve), p, tol)``, as ``quantile.survfit``."""
    x = np.concatenate([[0.0], times])
    y = np.concatenate([[0.0], 1 - curve])
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return None
    xmax = x[-1]
    first = [i for i, v in enumerate(y) if not _seen_before(y, i, v)]  # R duplicated()
    x, y = x[first], y[first]

    def approx_constant_right(shift: float) -> int | None:
        # approx(y + shift, seq_along(y), p, method = "constant", f = 1), NA pairs dropped
        valid = np.flatnonzero(~np.isnan(y))
        order = valid[np.argsort(y[valid] + shift, kind="stable")]
        knots = y[order] + shift
        k = int(np.searchsorted(knots, p, side="left"))
        if k == knots.size or p < knots[0]:
            return None
        return int(order[k])

    i1, i2 = approx_constant_right(_TOLERANCE), approx_constant_right(-_TOLERANCE)
    quantile = math.nan if i1 is None or i2 is None else (x[i1] + x[i2]) / 2
    if not np.isnan(y[-1]) and abs(p - y[-1]) < _TOLERANCE:
        quantile = math.nan if i1 is None else (x[i1] + xmax) / 2
    return finite(quantile)


def _seen_before(y: FloatArray, i: int, value: float) -> bool:
    earlier = y[:i]
    if np.isnan(value):
        return bool(np.any(np.isnan(earlier)))
    return bool(np.any(earlier == value))


def _print_rule(times: FloatArray, curve: FloatArray) -> float | None:
    """R ``minmin(curve, time)`` inside ``survival:::survmean`` (``print.survfit``)."""
    keep = ~np.isnan(curve) & (curve < 0.5 + _TOLERANCE)
    if not np.any(keep):
        return None
    x, y = times[keep], curve[keep]
    if abs(y[0] - 0.5) < _TOLERANCE and np.any(y < y[0]):
        return finite((x[0] + x[int(np.argmax(y < y[0]))]) / 2)
    return finite(x[0])


def _with_group(curve: KaplanMeier, label: str) -> KaplanMeier:
    return KaplanMeier(
        **{**curve.__dict__, "group": label, "method": f"{curve.method}, stratum {label}"}
    )


def _time_event(frame: Any, time: str, event: str) -> tuple[FloatArray, FloatArray]:
    times, events = numeric_column(frame, time), numeric_column(frame, event)
    if np.any(times[~np.isnan(times)] < 0) or np.any(np.isinf(times)):
        raise ValueError(f"times in {time!r} must be finite and non-negative")
    seen = events[~np.isnan(events)]
    if np.any((seen != 0) & (seen != 1)):
        raise ValueError(f"event {event!r} must be 1/True (event) or 0/False (censored)")
    return times, events


def _r_timefix(times: FloatArray, used: npt.NDArray[np.bool_]) -> FloatArray:
    """Merge the used times closer than R's tolerance, as ``survival::aeqSurv`` (``timefix =
    TRUE`` in ``survfit`` and ``survdiff``, after NA removal): float noise must not split a tie."""
    unique = np.unique(times[used])
    if unique.size < 2:
        return times
    gaps = np.diff(unique)
    tied = (gaps <= _TOLERANCE) | (gaps / np.mean(np.abs(unique)) <= _TOLERANCE)
    if not np.any(tied):
        return times
    cuts = unique[np.concatenate([[True], ~tied])]
    fixed = times.copy()
    fixed[used] = cuts[np.searchsorted(cuts, times[used], side="right") - 1]
    return fixed


def _labels(frame: Any, name: str) -> list[str | None]:
    """Group labels as strings; missing (null, None, NaN) as None."""
    return [None if _missing(v) else str(v) for v in frame_column(frame, name).to_list()]


def _missing(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return value is None or type(value).__name__ == "NAType"  # pandas.NA
