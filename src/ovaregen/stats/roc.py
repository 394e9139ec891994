"""Empirical ROC analysis: AUC with DeLong's variance, Youden cut-off, DeLong tests, as pROC.

Rules, each matching pROC 1.18.0 (Robin et al. 2011, BMC Bioinformatics 12:77):

* **Direction fixed**: a higher marker value predicts the event (pROC ``direction = "<"``,
  controls < cases). It is never flipped, so an AUC below 0.5 is reported as it is.
* **AUC** = the Mann–Whitney probability P(case > control) + ½ P(case = control), the area
  under the empirical curve (pROC's trapezoidal sum; equal up to rounding).
* **Placement values** (DeLong et al. 1988, Biometrics 44:837) by the O(n log n) midrank
  algorithm of Sun & Xu (2014, IEEE Signal Process Lett 21:1389): with T_Z the midranks in
  the pooled sample and T_X, T_Y the midranks within cases and within controls,
  V10_i = (T_Z,i − T_X,i) / n_controls and V01_j = 1 − (T_Z,j − T_Y,j) / n_cases.
  Var(AUC) = s²(V10)/n_cases + s²(V01)/n_controls (``pROC::var(r, method = "delong")``).
* **CI** as ``pROC::ci.auc(r, method = "delong")``: AUC ± z·sqrt(Var) on the AUC scale,
  bounds clipped to [0, 1]; none with fewer than 2 cases or 2 controls (pROC gives NA).
* **Thresholds** as pROC builds them: −∞, the midpoints between consecutive distinct values,
  +∞ (a midpoint that rounds onto the lower value is moved to the upper one). A value ≥
  the threshold counts as positive (pROC: ``cases >= threshold`` for direction "<").
* **Youden cut-off** as ``coords(r, "best", best.method = "youden")``: the thresholds
  maximising sensitivity + specificity (exact floating-point equality, as pROC). pROC returns
  every tied threshold; ``cutoff`` is the first row pROC prints, i.e. the **lowest** tied
  threshold (highest sensitivity), and ``optimal_cutoffs`` lists them all.
* **roc.test**, ``method = "delong"``, two-sided: paired (same participants, complete cases
  on both markers) Z = ΔAUC / SE with the placement covariance; unpaired D = ΔAUC /
  sqrt(V1 + V2) with df = (V1 + V2)² / (V1²/(N1 − 1) + V2²/(N2 − 1)), N = cases + controls,
  p from Student's t (``pROC:::delong.unpaired.test``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from ovaregen.stats.result import Estimate, finite

FloatArray = NDArray[np.float64]
TIES_WARNING_FRACTION = 0.05
DIRECTION = "controls < cases (a higher value predicts the event; never flipped)"


@dataclass(frozen=True, eq=False)
class Placements:
    """DeLong placement values: per case, the share of controls below it (ties ½); per
    control, the share of cases above it (ties ½). ``auc`` is the mean of ``cases``."""

    cases: FloatArray
    controls: FloatArray
    auc: float

    @property
    def variance(self) -> float:
        """DeLong's Var(AUC) = s²(V10)/m + s²(V01)/n (NaN with fewer than 2 of either)."""
        m, n = len(self.cases), len(self.controls)
        if m < 2 or n < 2:
            return float("nan")
        return float(np.var(self.cases, ddof=1) / m + np.var(self.controls, ddof=1) / n)


@dataclass(frozen=True, eq=False)
class RocCurve:
    """The empirical curve in pROC's order (thresholds increasing): at ``thresholds[k]``, a
    value ≥ it is positive. First point −∞ (sensitivity 1), last +∞ (specificity 1)."""

    thresholds: FloatArray
    sensitivities: FloatArray
    specificities: FloatArray


@dataclass(frozen=True)
class RocResult:
    """AUC, its DeLong variance and CI, and the Youden-optimal cut-off of one marker.

    Numbers that cannot be computed are None and ``warnings`` says why. ``cutoff`` is None
    when no threshold beats chance (Youden index 0: pROC's best is then −∞).
    """

    method: str
    n: int
    n_cases: int
    n_controls: int
    n_dropped: int
    auc: float | None
    auc_variance: float | None
    ci_low: float | None
    ci_high: float | None
    conf_level: float
    cutoff: float | None
    sensitivity: float | None
    specificity: float | None
    youden_index: float | None
    optimal_cutoffs: tuple[float, ...]
    tied_pair_fraction: float | None
    curve: RocCurve | None = field(repr=False, compare=False)
    options: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_estimate(self) -> Estimate:
        """The common result shape: ``estimate`` = AUC, ``ci_low``/``ci_high`` = DeLong CI."""
        return Estimate(
            method=self.method,
            n=self.n,
            options=self.options,
            estimate=finite(self.auc),
            ci_low=finite(self.ci_low),
            ci_high=finite(self.ci_high),
            conf_level=self.conf_level,
            warnings=self.warnings,
        )


@dataclass(frozen=True)
class RocTest:
    """DeLong's test of AUC1 = AUC2 (two-sided). ``statistic`` is pROC's Z (paired) or D
    (unpaired, with ``df``); ``ci_low``/``ci_high`` bound AUC1 − AUC2 (paired only, as pROC)."""

    method: str
    paired: bool
    n: int
    n_cases: tuple[int, int]
    n_controls: tuple[int, int]
    auc1: float | None
    auc2: float | None
    statistic: float | None
    df: float | None
    p_value: float | None
    ci_low: float | None
    ci_high: float | None
    conf_level: float
    options: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_estimate(self) -> Estimate:
        """The common shape: ``estimate`` = AUC1 − AUC2, statistic, df, p-value."""
        difference = None
        if self.auc1 is not None and self.auc2 is not None:
            difference = self.auc1 - self.auc2
        return Estimate(
            method=self.method,
            n=self.n,
            options=self.options,
            statistic=finite(self.statistic),
            df=finite(self.df),
            p_value=finite(self.p_value),
            estimate=finite(difference),
            ci_low=finite(self.ci_low),
            ci_high=finite(self.ci_high),
            conf_level=self.conf_level,
            warnings=self.warnings,
        )


@dataclass(frozen=True)
class _Sorted:
    """One sort of a sample: the order, the sorted values and where each run of ties starts."""

    order: NDArray[np.intp]
    values: FloatArray
    starts: NDArray[np.intp]
    run: NDArray[np.intp]  # run index of each sorted value

    @classmethod
    def of(cls, values: FloatArray) -> _Sorted:
        order = np.argsort(values)
        ordered = values[order]
        new_run = np.empty(len(values), dtype=bool)
        new_run[:1] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new_run[1:])
        return cls(order, ordered, np.flatnonzero(new_run), np.cumsum(new_run) - 1)

    def midranks(self) -> FloatArray:
        """Ranks 1..N in the original order, ties given their mean rank: O(N log N)."""
        ends = np.append(self.starts[1:], len(self.values))
        ranks = np.empty(len(self.values))
        ranks[self.order] = ((self.starts + 1 + ends) / 2.0)[self.run]
        return ranks


def _placements(x: FloatArray, y: FloatArray, pooled: _Sorted) -> Placements:
    m, n = len(x), len(y)
    midranks = pooled.midranks()
    v10 = (midranks[:m] - _Sorted.of(x).midranks()) / n
    v01 = 1.0 - (midranks[m:] - _Sorted.of(y).midranks()) / m
    return Placements(v10, v01, float(np.mean(v10)))


def delong_placements(cases: ArrayLike, controls: ArrayLike) -> Placements:
    """Placement values by Sun & Xu's midrank algorithm (see the module docstring)."""
    x = np.asarray(cases, dtype=float)
    y = np.asarray(controls, dtype=float)
    if len(x) == 0 or len(y) == 0:
        return Placements(x * np.nan, y * np.nan, float("nan"))
    return _placements(x, y, _Sorted.of(np.concatenate([x, y])))


def _complete(
    event: ArrayLike, *markers: ArrayLike
) -> tuple[list[FloatArray], NDArray[np.bool_], NDArray[np.bool_]]:
    """The markers as floats and the masks of complete cases and complete controls.

    NaN / None is missing; the event must be coded 0/1 (or False/True).
    """
    coded = np.asarray(event, dtype=float)
    arrays = [np.asarray(marker, dtype=float) for marker in markers]
    if any(a.ndim != 1 or len(a) != len(coded) for a in [coded, *arrays]):
        raise ValueError("markers and event must be one-dimensional, of the same length")
    complete = ~np.isnan(coded)
    if not np.isin(coded[complete], (0.0, 1.0)).all():
        raise ValueError("event must be coded 0/1 (or False/True); missing values allowed")
    for array in arrays:
        complete &= ~np.isnan(array)
    return arrays, complete & (coded == 1), complete & (coded == 0)


def _curve(m: int, n: int, pooled: _Sorted) -> tuple[RocCurve, float]:
    """pROC's thresholds and (sensitivity, specificity) at each; the tied-pair fraction.

    ``pooled`` sorts the cases (first ``m``) followed by the controls.
    """
    cases_in_run = np.add.reduceat((pooled.order < m).astype(np.int64), pooled.starts)
    controls_in_run = np.diff(np.append(pooled.starts, m + n)) - cases_in_run
    values = pooled.values[pooled.starts]
    lower, upper = values[:-1], values[1:]
    with np.errstate(over="ignore"):  # pROC halves before adding when the sum overflows
        middle = (lower + upper) / 2
    huge = np.abs(middle) > 1e100
    middle[huge] = lower[huge] / 2 + upper[huge] / 2
    middle = np.where(middle == lower, upper, middle)  # pROC's near-tie fix, direction "<"
    thresholds = np.concatenate([[-np.inf], middle, [np.inf]])
    true_pos = m - np.concatenate([[0], np.cumsum(cases_in_run)])
    false_pos = n - np.concatenate([[0], np.cumsum(controls_in_run)])
    curve = RocCurve(thresholds, true_pos / m, (n - false_pos) / n)
    for array in (curve.thresholds, curve.sensitivities, curve.specificities):
        array.flags.writeable = False
    tied = float(np.dot(cases_in_run, controls_in_run)) / (m * n)
    return curve, tied


def roc_analysis(marker: ArrayLike, event: ArrayLike, *, conf_level: float = 0.95) -> RocResult:
    """ROC of ``marker`` for ``event`` (1 = case, 0 = control), complete cases.

    pROC: ``r <- roc(event, marker, levels = c(0, 1), direction = "<")``; ``auc(r)``,
    ``var(r)``, ``ci.auc(r, method = "delong")``, ``coords(r, "best", best.method =
    "youden")``. AUC and cut-off need ≥ 1 case and ≥ 1 control, variance and CI ≥ 2 of each.
    """
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must lie strictly between 0 and 1")
    (values,), is_case, is_control = _complete(event, marker)
    x, y = values[is_case], values[is_control]
    m, n = len(x), len(y)
    warnings: list[str] = []
    auc = variance = low = high = cutoff = sensitivity = specificity = youden = tied = None
    curve: RocCurve | None = None
    optimal: tuple[float, ...] = ()
    if np.isinf(x).any() or np.isinf(y).any():
        warnings.append("infinite marker values: no ROC curve (pROC returns NaN)")
    elif m == 0 or n == 0:
        warnings.append(f"{m} cases and {n} controls: no ROC curve without both")
    else:
        pooled = _Sorted.of(np.concatenate([x, y]))
        placements = _placements(x, y, pooled)
        curve, tied = _curve(m, n, pooled)
        auc = placements.auc
        if m < 2 or n < 2:
            warnings.append(f"{m} cases and {n} controls: DeLong variance needs 2 of each")
        else:
            variance = placements.variance
            half = special.ndtri(1 - (1 - conf_level) / 2) * np.sqrt(variance)
            low, high = float(np.clip(auc - half, 0, 1)), float(np.clip(auc + half, 0, 1))
        if tied >= TIES_WARNING_FRACTION:
            warnings.append(f"{tied:.1%} of case-control pairs are tied (each counted 1/2)")
        criterion = curve.sensitivities + curve.specificities
        best = np.flatnonzero(criterion == criterion.max())
        first = int(best[0])
        optimal = tuple(float(t) for t in curve.thresholds[best])
        sensitivity = float(curve.sensitivities[first])
        specificity = float(curve.specificities[first])
        youden = float(criterion[first] - 1)
        cutoff = finite(optimal[0])
        if cutoff is None:
            warnings.append("no threshold beats chance (Youden index 0): no cut-off")
    return RocResult(
        method="Empirical ROC curve, AUC with DeLong confidence interval, Youden cut-off",
        n=m + n,
        n_cases=m,
        n_controls=n,
        n_dropped=len(values) - m - n,
        auc=auc,
        auc_variance=variance,
        ci_low=low,
        ci_high=high,
        conf_level=conf_level,
        cutoff=cutoff,
        sensitivity=sensitivity,
        specificity=specificity,
        youden_index=youden,
        optimal_cutoffs=optimal,
        tied_pair_fraction=tied,
        curve=curve,
        options={
            "direction": DIRECTION,
            "ci_method": "DeLong (Sun & Xu 2014 midrank algorithm), normal, clipped to [0, 1]",
            "ties": "a case tied with a control counts 1/2",
            "threshold_rule": "value >= cutoff is positive",
            "best_method": "youden (max sensitivity + specificity, pROC best.weights c(1, 0.5))",
            "youden_ties": "lowest of the tied optimal thresholds (pROC's first row)",
            "missing": "complete cases",
        },
        warnings=tuple(warnings),
    )


def roc_test_paired(
    marker1: ArrayLike, marker2: ArrayLike, event: ArrayLike, *, conf_level: float = 0.95
) -> RocTest:
    """DeLong's test for two correlated ROC curves (two markers, same participants).

    pROC: ``roc.test(roc(event, marker1, direction = "<"), roc(event, marker2, direction =
    "<"), method = "delong", paired = TRUE)``; participants missing either marker or the
    event are dropped from both curves, as pROC's ``are.paired`` does. The SE is that of
    the placement differences, algebraically pROC's L'SL, but never negative by rounding.
    """
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must lie strictly between 0 and 1")
    (first, second), cases, controls = _complete(event, marker1, marker2)
    m, n = int(cases.sum()), int(controls.sum())
    warnings: list[str] = []
    auc1 = auc2 = z = p = low = high = None
    if m < 2 or n < 2:
        warnings.append(f"{m} cases and {n} controls: the paired test needs 2 of each")
    else:
        one = delong_placements(first[cases], first[controls])
        two = delong_placements(second[cases], second[controls])
        auc1, auc2 = one.auc, two.auc
        difference = auc1 - auc2
        dx, dy = one.cases - two.cases, one.controls - two.controls
        se = float(np.sqrt(np.var(dx, ddof=1) / m + np.var(dy, ddof=1) / n))
        if se > 0:
            z = difference / se
        elif difference == 0:
            z = 0.0  # pROC: Z = 0 when both the difference and its SE are 0
        else:
            z = float(np.copysign(np.inf, difference))
            warnings.append("zero standard error with unequal AUCs: Z is infinite")
        p = float(2 * special.ndtr(-abs(z)))
        crit = float(special.ndtri(1 - (1 - conf_level) / 2))
        low, high = difference - crit * se, difference + crit * se
    return RocTest(
        method="DeLong's test for two correlated ROC curves",
        paired=True,
        n=m + n,
        n_cases=(m, m),
        n_controls=(n, n),
        auc1=auc1,
        auc2=auc2,
        statistic=finite(z),
        df=None,
        p_value=p,
        ci_low=low,
        ci_high=high,
        conf_level=conf_level,
        options={"direction": DIRECTION, "alternative": "two.sided", "missing": "complete"},
        warnings=tuple(warnings),
    )


def roc_test_unpaired(
    marker1: ArrayLike, event1: ArrayLike, marker2: ArrayLike, event2: ArrayLike
) -> RocTest:
    """DeLong's test for two ROC curves of independent samples (e.g. two age groups).

    pROC: ``roc.test(roc(event1, marker1, direction = "<"), roc(event2, marker2, direction
    = "<"), method = "delong", paired = FALSE)``: D and its df as in the module docstring,
    p = 2·P(T_df > |D|). Each sample is reduced to its complete cases.
    """
    (values1,), cases1, controls1 = _complete(event1, marker1)
    (values2,), cases2, controls2 = _complete(event2, marker2)
    x1, y1, x2, y2 = values1[cases1], values1[controls1], values2[cases2], values2[controls2]
    counts = ((len(x1), len(x2)), (len(y1), len(y2)))
    warnings: list[str] = []
    auc1 = auc2 = d = df = p = None
    if min(*counts[0], *counts[1]) < 2:
        warnings.append("each curve needs 2 cases and 2 controls for the unpaired test")
    else:
        one, two = delong_placements(x1, y1), delong_placements(x2, y2)
        auc1, auc2 = one.auc, two.auc
        v1, v2 = one.variance, two.variance
        if v1 + v2 > 0:
            d = (auc1 - auc2) / np.sqrt(v1 + v2)
            size1, size2 = len(x1) + len(y1), len(x2) + len(y2)
            df = (v1 + v2) ** 2 / (v1**2 / (size1 - 1) + v2**2 / (size2 - 1))
            p = float(2 * special.stdtr(df, -abs(d)))
        else:
            warnings.append("both DeLong variances are 0 (perfect separation): no test")
    return RocTest(
        method="DeLong's test for two ROC curves",
        paired=False,
        n=sum(counts[0]) + sum(counts[1]),
        n_cases=counts[0],
        n_controls=counts[1],
        auc1=auc1,
        auc2=auc2,
        statistic=finite(d),
        df=finite(df),
        p_value=p,
        ci_low=None,
        ci_high=None,
        conf_level=0.95,
        options={
            "direction": DIRECTION,
            "alternative": "two.sided",
            "df": "Welch-Satterthwaite-like, N - 1 = cases + controls - 1 per curve",
            "missing": "complete cases per curve",
            "n_dropped": len(values1) + len(values2) - sum(counts[0]) - sum(counts[1]),
        },
        warnings=tuple(warnings),
    )
