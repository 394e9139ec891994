"""Baseline-adjusted comparison of two randomised arms: ANCOVA of a continuous outcome.

The primary analysis of a continuous outcome in a randomised trial adjusts for its baseline
value (EMA, "Guideline on adjustment for baseline covariates in clinical trials",
EMA/CHMP/295050/2013, 2015; ICH E9, 1998): the outcome is regressed by ordinary least squares on
the arm and the baseline, and the arm's coefficient is the adjusted difference between the arms.

The rule matched is R's ``lm(outcome ~ arm + baseline)`` with ``arm`` a factor whose reference
level is the second arm (``tests/reference/ancova.R``):

* the design is the treatment coding of ``outcome ~ C(arm, Treatment(second)) + baseline``:
  intercept, 1 for the first arm, the baseline; statsmodels ``OLS`` fits it by QR (as R does),
  so the estimate is first arm − second arm (the sign of the project's Welch differences);
* ``summary.lm``: standard error from ``sigma² (XᵀX)⁻¹``, ``t = b / se`` on ``n − 3`` residual
  degrees of freedom, two-sided p; the confidence interval ``b ± qt((1 + level) / 2, n − 3) · se``
  is ``confint.lm``; ``sigma`` (residual standard error), ``r.squared``, ``adj.r.squared``;
* the adjusted (least-squares, "emmeans"-style) mean of each arm is the fitted value at the mean
  baseline of the complete cases, with its standard error and t interval:
  ``predict(fit, newdata, se.fit = TRUE, interval = "confidence")``; their difference is the
  estimate;
* rows with a missing (or infinite) outcome, arm or baseline are left out (R ``na.omit``:
  complete cases), and a warning counts them; the unadjusted means are over the same rows;
* R's "essentially perfect fit" warning (residual variance below 10⁻³⁰ of the fitted values'
  mean square) is reproduced.

Nothing here raises on degenerate data — no arm or only one arm present, fewer than 2 complete
cases in an arm (so n ≤ 3 cannot occur with a fit), a baseline that is constant or a function of
the arm (a singular design, which R would answer with NA): the result then carries None numbers
and a warning. A misuse (unequal lengths, an arm label outside ``groups``, a third arm, a level
outside (0, 1)) raises ValueError.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import stats
from statsmodels.regression.linear_model import OLS

from ovaregen.stats.comparison import as_float_array
from ovaregen.stats.contingency import is_missing
from ovaregen.stats.result import Estimate, finite

__all__ = ["AncovaResult", "AncovaTerm", "ArmMeans", "ancova"]

METHOD = (
    "ANCOVA: OLS of outcome on arm + baseline (R lm(outcome ~ arm + baseline)); "
    "t test of the arm coefficient; t-based confidence interval (confint.lm)"
)
R_QR_TOLERANCE = 1e-7  # lm.fit's tol: a column this close to the span of earlier ones is aliased
R_PERFECT_FIT = 1e-30  # summary.lm: resvar < (mean(f)^2 + var(f)) * 1e-30

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class AncovaTerm:
    """A coefficient of the model with its t test and t interval (None when not estimable)."""

    name: str
    coefficient: float | None = None
    std_error: float | None = None
    t_value: float | None = None
    p_value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class ArmMeans:
    """One arm over the complete cases: its size, unadjusted means, and adjusted mean.

    ``adjusted_mean`` is the model's prediction for the arm at the overall mean baseline of the
    complete cases (``AncovaResult.mean_baseline``), with its standard error and t interval.
    """

    arm: str
    n: int
    mean_outcome: float | None = None
    sd_outcome: float | None = None
    mean_baseline: float | None = None
    adjusted_mean: float | None = None
    adjusted_std_error: float | None = None
    adjusted_ci_low: float | None = None
    adjusted_ci_high: float | None = None


@dataclass(frozen=True)
class AncovaResult(Estimate):
    """:class:`Estimate` of the adjusted difference first − second arm, plus the model.

    ``estimate`` is the arm coefficient, ``statistic`` its t, ``df`` the residual df (n − 3),
    ``std_error`` its standard error; ``arms`` = (first, second) as compared (None when fewer
    than two arms are present); ``baseline`` is the baseline's term; ``arm_means`` holds the
    first arm, then the second.
    """

    arms: tuple[str, str] | None = None
    std_error: float | None = None
    n_excluded: int = 0
    n_first: int = 0
    n_second: int = 0
    baseline: AncovaTerm | None = None
    intercept: float | None = None
    residual_std_error: float | None = None
    r_squared: float | None = None
    adj_r_squared: float | None = None
    mean_baseline: float | None = None
    arm_means: tuple[ArmMeans, ...] = ()

    def arm(self, label: str) -> ArmMeans:
        """The means of the arm called ``label``."""
        for means in self.arm_means:
            if means.arm == label:
                return means
        raise KeyError(label)


def ancova(
    outcome: Iterable[object],
    group: Iterable[object],
    baseline: Iterable[object],
    *,
    groups: tuple[str, str] | None = None,
    conf_level: float = 0.95,
    baseline_name: str = "baseline",
) -> AncovaResult:
    """Adjusted difference in mean ``outcome`` between two arms, adjusted for ``baseline``.

    ``outcome`` and ``baseline`` are numeric (None, NaN, pandas NA or polars null = missing),
    ``group`` holds each row's arm label (missing allowed). ``groups = (first, second)`` fixes
    the comparison: estimate = first − second, the second arm the reference. Without it the two
    labels present are sorted and the first sorted one is the reference, as R's default
    ``factor()`` (C locale): pass ``groups`` in a trial. ``baseline_name`` names the baseline
    in the options and warnings. Matches R ``lm(outcome ~ arm + baseline)`` (module docstring).
    """
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    y_all = as_float_array(outcome)
    x_all = as_float_array(baseline)
    labels = _labels(group, as_text=groups is None)
    if not labels.size == y_all.size == x_all.size:
        raise ValueError(
            "outcome, group and baseline differ in length: "
            f"{y_all.size}, {labels.size}, {x_all.size}"
        )
    known_arm = (
        np.array([not is_missing(v) for v in labels], dtype=bool)
        if labels.dtype == object
        else np.ones(labels.size, dtype=bool)
    )
    present = list(dict.fromkeys(labels[known_arm].tolist()))
    arms = _arms(present, groups)
    complete = known_arm & np.isfinite(y_all) & np.isfinite(x_all)
    n = int(complete.sum())
    options: dict[str, Any] = {
        "adjusted_for": baseline_name,
        "reference": arms[1] if arms is not None else None,
        "ci": "t",
        "comparison": f"{arms[0]} minus {arms[1]}" if arms is not None else None,
        "missing": "complete cases (R na.omit)",
    }
    notes = _left_out(y_all, known_arm, x_all, complete, baseline_name)
    common: dict[str, Any] = {
        "method": METHOD,
        "n": n,
        "options": options,
        "conf_level": conf_level,
        "n_excluded": int(y_all.size - n),
    }
    if arms is None:
        found = ", ".join(sorted({str(label) for label in present})) or "none"
        reason = f"fewer than two arms present ({found}): no comparison"
        return AncovaResult(**common, warnings=(*notes, reason))
    first, second = arms
    in_first = (labels == first) & complete
    in_second = (labels == second) & complete
    y, x = y_all[complete], x_all[complete]
    is_first = in_first[complete].astype(np.float64)
    means = (
        _arm_means(first, y_all[in_first], x_all[in_first]),
        _arm_means(second, y_all[in_second], x_all[in_second]),
    )
    common |= {
        "arms": arms,
        "n_first": int(in_first.sum()),
        "n_second": int(in_second.sum()),
        "arm_means": means,
        "baseline": AncovaTerm(baseline_name),
        "mean_baseline": float(x.mean()) if n else None,
    }
    small = [m.arm for m in means if m.n < 2]
    if small:
        reason = (
            f"fewer than 2 complete cases in arm {', '.join(repr(a) for a in small)}: "
            "the adjusted comparison is not estimable"
        )
        return AncovaResult(**common, warnings=(*notes, reason))
    design = np.column_stack([np.ones(n), is_first, x])
    if _aliased(design):
        kind = "constant" if np.ptp(x) == 0 else "a function of the arm"
        reason = (
            f"{baseline_name} is {kind} among the complete cases: the design is singular "
            f"(R: NA for {baseline_name}); no adjusted comparison"
        )
        return AncovaResult(**common, warnings=(*notes, reason))
    return _fit(common, design, y, conf_level, baseline_name, notes)


def _fit(
    common: dict[str, Any],
    design: FloatArray,
    y: FloatArray,
    conf_level: float,
    baseline_name: str,
    notes: tuple[str, ...],
) -> AncovaResult:
    fitted = OLS(y, design).fit(method="qr")  # Householder QR, as R lm.fit
    params = np.asarray(fitted.params, dtype=np.float64)
    cov = np.asarray(fitted.cov_params(), dtype=np.float64)
    se = np.sqrt(np.diag(cov))
    df = float(fitted.df_resid)
    t_crit = float(stats.t.ppf((1 + conf_level) / 2, df))
    warnings = notes
    values = np.asarray(fitted.fittedvalues, dtype=np.float64)
    if float(fitted.scale) < (values.mean() ** 2 + values.var(ddof=1)) * R_PERFECT_FIT:
        warnings += ("essentially perfect fit: the t tests may be unreliable (as R warns)",)

    def term(name: str, j: int) -> AncovaTerm:
        b, s = float(params[j]), float(se[j])
        t = b / s if s > 0 else np.inf
        return AncovaTerm(
            name=name,
            coefficient=b,
            std_error=s,
            t_value=finite(t),
            p_value=finite(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) else None,
            ci_low=b - t_crit * s,
            ci_high=b + t_crit * s,
        )

    arm_term = term("arm", 1)
    mean_baseline = float(design[:, 2].mean())
    adjusted = []
    for means, indicator in zip(common["arm_means"], (1.0, 0.0), strict=True):
        point = np.array([1.0, indicator, mean_baseline])
        value = float(point @ params)
        spread = float(np.sqrt(point @ cov @ point))
        adjusted.append(
            replace(
                means,
                adjusted_mean=value,
                adjusted_std_error=spread,
                adjusted_ci_low=value - t_crit * spread,
                adjusted_ci_high=value + t_crit * spread,
            )
        )
    return AncovaResult(
        **(common | {"arm_means": tuple(adjusted), "baseline": term(baseline_name, 2)}),
        statistic=arm_term.t_value,
        df=df,
        p_value=arm_term.p_value,
        estimate=arm_term.coefficient,
        ci_low=arm_term.ci_low,
        ci_high=arm_term.ci_high,
        warnings=warnings,
        std_error=arm_term.std_error,
        intercept=float(params[0]),
        residual_std_error=float(np.sqrt(fitted.scale)),
        r_squared=finite(float(fitted.rsquared)),
        adj_r_squared=finite(float(fitted.rsquared_adj)),
    )


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _labels(group: Iterable[object], *, as_text: bool) -> NDArray[Any]:
    """The arm labels as an array: text labels (a polars or numpy string column, or text in a
    sequence) compare vectorised; other values keep their type, missing ones as None."""
    if isinstance(group, pl.Series):
        text = group.cast(pl.String)
        if text.null_count() == 0:
            return text.to_numpy().astype(str)
        group = text.to_list()
    values = [_plain(value) for value in group]
    if as_text:
        values = [value if is_missing(value) else str(value) for value in values]
    if all(isinstance(value, str) for value in values):
        return np.array(values, dtype=str)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _arms(labels: Sequence[object], groups: tuple[str, str] | None) -> tuple[str, str] | None:
    """(first, second): ``groups`` (present or not), or else the two labels present, the first
    sorted one the reference; None when fewer than two are present. A third label is an error."""
    present = list(dict.fromkeys(labels))
    if groups is not None:
        first, second = groups
        if first == second:
            raise ValueError(f"the two arms must differ, got {groups!r}")
        outside = [label for label in present if label not in groups]
        if outside:
            raise ValueError(f"arm labels outside groups {groups!r}: {outside!r}")
        return first, second
    if len(present) > 2:
        raise ValueError(f"ANCOVA compares two arms, got {len(present)}: {present!r}")
    if len(present) < 2:
        return None
    reference, other = sorted(str(label) for label in present)
    return other, reference


def _left_out(
    y: FloatArray,
    known_arm: NDArray[np.bool_],
    x: FloatArray,
    complete: NDArray[np.bool_],
    baseline_name: str,
) -> tuple[str, ...]:
    dropped = int(complete.size - complete.sum())
    if not dropped:
        return ()
    return (
        f"{dropped} of {complete.size} rows left out (complete cases): outcome missing or "
        f"infinite in {int((~np.isfinite(y)).sum())}, arm in {int((~known_arm).sum())}, "
        f"{baseline_name} in {int((~np.isfinite(x)).sum())}",
    )


def _arm_means(arm: str, y: FloatArray, x: FloatArray) -> ArmMeans:
    return ArmMeans(
        arm=arm,
        n=int(y.size),
        mean_outcome=float(y.mean()) if y.size else None,
        sd_outcome=float(y.std(ddof=1)) if y.size > 1 else None,
        mean_baseline=float(x.mean()) if x.size else None,
    )


def _aliased(design: FloatArray) -> bool:
    """True when a column is (numerically) in the span of the earlier ones: R's pivoting QR
    (``dqrdc2``) with ``lm.fit``'s tolerance 1e-7 would set its coefficient to NA."""
    for j in range(1, design.shape[1]):
        column = design[:, j]
        basis = design[:, :j]
        coef, *_ = np.linalg.lstsq(basis, column, rcond=None)
        residual = float(np.linalg.norm(column - basis @ coef))
        if residual <= R_QR_TOLERANCE * float(np.linalg.norm(column)):
            return True
    return False
