"""Logistic regression of a binary outcome on numeric covariates, as R's ``glm``.

The rule matched is R's ``glm(y ~ x1 + x2, family = binomial)`` with its defaults:

* the fit is IRLS from R's starting values ``mu = (y + 0.5) / 2`` and R's stopping rule
  ``|dev - dev_old| / (|dev| + 0.1) < 1e-8``, at most 25 iterations (``glm.control()``);
  statsmodels' ``GLM(..., Binomial()).fit(method="IRLS")`` does the iterations;
* standard errors from the inverse Fisher information with dispersion 1; Wald ``z = b / se`` and
  ``p = 2 * pnorm(-|z|)`` as ``summary.glm``; the confidence interval of the odds ratio is
  ``exp(b ± qnorm((1 + level) / 2) * se)``, i.e. ``exp(confint.default(fit))``;
* rows with a missing outcome or covariate are dropped (``na.action = na.omit``): complete cases;
* a covariate that is a linear combination of earlier terms is aliased and not estimable (R: NA);
* log-likelihood ``logLik(fit)`` and ``AIC(fit) = -2 logLik + 2 * rank``.

Separation is detected exactly, by linear programming (Konis 2007, the method of R's
``detectseparation`` / ``safeBinaryRegression``), not guessed from huge numbers: the
maximum-likelihood estimate of a coefficient is infinite when a direction ``d`` with
``(2y - 1) * (X d) >= 0`` for every row has a non-zero component on it. Those terms are reported as
None, with a warning that names complete or quasi-complete separation; R prints large meaningless
finite numbers for them. The remaining terms are the limits R's iterations approach. R's own
warning rule ("fitted probabilities numerically 0 or 1 occurred": a fitted ``mu`` within
``10 * .Machine$double.eps`` of 0 or 1, with R's clamping of ``|eta| > 30``) and its
non-convergence warning are reproduced too. Nothing here raises
on degenerate data (no complete case, no event, only events, an aliased term, a failed fit): the
result then carries None and a warning.
"""

from __future__ import annotations

import math
import warnings as warnings_module
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from ovaregen.stats.columns import numeric_column
from ovaregen.stats.result import Estimate, finite

__all__ = ["INTERCEPT", "LogisticRegression", "LogisticTerm", "logistic_regression"]

INTERCEPT = "(Intercept)"
"""The intercept's term name, as R prints it."""

R_EPSILON = 1e-8
R_MAXIT = 25
_R_ALIAS_TOLERANCE = 1e-11  # glm.fit's QR tolerance min(1e-7, epsilon / 1000)
_R_MU_EPS = 10 * np.finfo(float).eps  # glm.fit's check for fitted probabilities 0 or 1
_LP_TOLERANCE = 1e-6

METHOD = (
    "Logistic regression: binomial GLM, logit link, IRLS (R glm(family = binomial)); "
    "Wald z tests (summary.glm); Wald CIs exp(confint.default)"
)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LogisticTerm:
    """One term of the model: the coefficient (log-odds scale) and its odds ratio with Wald CI.

    Every number is None when it is not finite or not estimable (aliased, or infinite under
    separation).
    """

    name: str
    coefficient: float | None
    std_error: float | None
    odds_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    z_value: float | None
    p_value: float | None


@dataclass(frozen=True)
class LogisticRegression:
    """A fitted logistic model; ``separation`` is "none", "complete" or "quasi-complete"."""

    method: str
    outcome: str
    covariates: tuple[str, ...]
    n: int
    n_events: int
    n_excluded: int
    terms: tuple[LogisticTerm, ...]
    log_likelihood: float | None
    aic: float | None
    deviance: float | None
    null_deviance: float | None
    converged: bool
    iterations: int
    separation: str
    conf_level: float
    options: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def term(self, name: str) -> LogisticTerm:
        """The term called ``name`` (a covariate's column name, or ``"(Intercept)"``)."""
        for term in self.terms:
            if term.name == name:
                return term
        raise KeyError(name)

    def estimates(self) -> tuple[Estimate, ...]:
        """One :class:`Estimate` per term: ``estimate`` = odds ratio, ``statistic`` = Wald z."""
        return tuple(
            Estimate(
                method=self.method,
                n=self.n,
                options={**self.options, "term": term.name, "estimate": "odds ratio"},
                statistic=term.z_value,
                p_value=term.p_value,
                estimate=term.odds_ratio,
                ci_low=term.ci_low,
                ci_high=term.ci_high,
                conf_level=self.conf_level,
                warnings=self.warnings,
            )
            for term in self.terms
        )


def logistic_regression(
    frame: Any,
    outcome: str,
    covariates: Sequence[str],
    *,
    conf_level: float = 0.95,
) -> LogisticRegression:
    """Fit ``outcome ~ covariates`` by logistic regression on the complete cases of ``frame``.

    ``frame`` is a polars or pandas DataFrame; ``outcome`` holds 0/1 or booleans (missing allowed),
    ``covariates`` are numeric columns; the terms are named after them, the intercept
    ``"(Intercept)"``. Matches R ``glm(outcome ~ ..., family = binomial)`` (module docstring).
    Raises ValueError only for a misuse (a missing column, a non-numeric covariate, an outcome
    that is not binary, a level outside (0, 1)), never for degenerate data.
    """
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    covariates = tuple(covariates)
    y_all = numeric_column(frame, outcome)
    columns = [numeric_column(frame, name) for name in covariates]
    observed = ~np.isnan(y_all)
    if np.any((y_all[observed] != 0) & (y_all[observed] != 1)):
        raise ValueError(f"outcome {outcome!r} must be 0/1 or boolean")
    for name, values in zip(covariates, columns, strict=True):
        if np.any(np.isinf(values)):
            raise ValueError(f"covariate {name!r} has infinite values")
    complete = observed.copy()
    for values in columns:
        complete &= ~np.isnan(values)
    y = y_all[complete]
    x = np.column_stack([np.ones(int(complete.sum())), *(c[complete] for c in columns)])
    names = (INTERCEPT, *covariates)
    options = {
        "link": "logit",
        "fit": f"IRLS as R glm.fit: epsilon = {R_EPSILON:g}, maxit = {R_MAXIT}",
        "ci": "Wald, exp(confint.default)",
        "conf_level": conf_level,
        "missing": "complete cases (R na.omit)",
        "separation_check": "linear programming (Konis 2007)",
    }
    n, n_events = int(y.size), int(y.sum())
    common = {
        "method": METHOD,
        "outcome": outcome,
        "covariates": covariates,
        "n": n,
        "n_events": n_events,
        "n_excluded": int(y_all.size - n),
        "conf_level": conf_level,
        "options": options,
    }
    if n == 0 or n_events in (0, n):
        reason = (
            "no complete case"
            if n == 0
            else ("no events" if n_events == 0 else "every observation is an event")
        )
        return _empty(common, names, f"{reason}: the model cannot be estimated")
    return _fit(common, names, x, y, conf_level)


def _fit(
    common: dict[str, Any],
    names: tuple[str, ...],
    x: FloatArray,
    y: FloatArray,
    conf_level: float,
) -> LogisticRegression:
    notes: list[str] = []
    kept = _estimable_columns(x)
    aliased = [names[j] for j in range(len(names)) if j not in kept]
    if aliased:
        notes.append(f"not estimable, aliased with earlier terms (R: NA): {', '.join(aliased)}")
    xk = x[:, kept]
    with warnings_module.catch_warnings(record=True) as caught:
        warnings_module.simplefilter("always")
        try:
            # R: |dev - dev_old| < epsilon * |dev| + 0.1 * epsilon
            model = GLM(y, xk, family=families.Binomial())
            fitted = model.fit(method="IRLS", maxiter=R_MAXIT, atol=0.1 * R_EPSILON, rtol=R_EPSILON)
        except (ValueError, np.linalg.LinAlgError) as error:
            return _empty(common, names, f"the fit failed: {error}", tuple(notes))
    params = np.asarray(fitted.params, dtype=float)
    se = np.asarray(fitted.bse, dtype=float)
    converged = bool(fitted.converged)
    if _finite_maximum_certified(xk, y, params):
        separation, diverging = "none", set[int]()
    else:
        separation, diverging = _separation(xk, y)
    if separation != "none":
        which = ", ".join(names[kept[j]] for j in diverging)
        kind = "quasi-complete" if separation == "quasi-complete" else "complete"
        notes.append(
            f"{kind} separation: the outcome is perfectly predicted by a linear combination of "
            f"the covariates{' except on a boundary' if kind == 'quasi-complete' else ''}; "
            f"the estimates of {which} are infinite and reported as None"
            " (R prints large meaningless numbers for them)"
        )
    elif any("separation" in str(w.message).lower() for w in caught):
        notes.append("statsmodels reported perfect prediction")
    if _r_fitted_zero_or_one(xk @ params):
        notes.append("fitted probabilities numerically 0 or 1 occurred (as R's glm.fit warns)")
    if not converged:
        notes.append(f"IRLS did not converge in {R_MAXIT} iterations (as R's glm.fit warns)")
    z_crit = float(stats.norm.ppf(0.5 + conf_level / 2))
    by_column = {kept[j]: j for j in range(len(kept))}
    terms = []
    for index, name in enumerate(names):
        j = by_column.get(index)
        if j is None or j in diverging:
            terms.append(_none_term(name))
            continue
        b, s = float(params[j]), float(se[j])
        z = b / s if s > 0 else math.nan
        terms.append(
            LogisticTerm(
                name=name,
                coefficient=finite(b),
                std_error=finite(s),
                odds_ratio=finite(_exp(b)),
                ci_low=finite(_exp(b - z_crit * s)),
                ci_high=finite(_exp(b + z_crit * s)),
                z_value=finite(z),
                p_value=finite(2 * stats.norm.sf(abs(z))),
            )
        )
    log_lik = float(fitted.llf)
    ybar = float(y.mean())
    null_dev = -2 * float(np.sum(y * math.log(ybar) + (1 - y) * math.log(1 - ybar)))
    return LogisticRegression(
        **common,
        terms=tuple(terms),
        log_likelihood=finite(log_lik),
        aic=finite(-2 * log_lik + 2 * len(kept)),
        deviance=finite(float(fitted.deviance)),
        null_deviance=finite(null_dev),
        converged=converged,
        iterations=int(fitted.fit_history["iteration"]),
        separation=separation,
        warnings=tuple(notes),
    )


def _estimable_columns(x: FloatArray) -> list[int]:
    """Columns kept in order, dropping each one that is (numerically) a combination of the
    earlier kept ones: R's pivoting QR (``dqrdc2``, tolerance 1e-11 in ``glm.fit``)."""
    kept: list[int] = []
    for j in range(x.shape[1]):
        column = x[:, j]
        norm = float(np.linalg.norm(column))
        if norm == 0:
            continue
        if kept:
            basis = x[:, kept]
            coef, *_ = np.linalg.lstsq(basis, column, rcond=None)
            residual = float(np.linalg.norm(column - basis @ coef))
        else:
            residual = norm
        if residual > _R_ALIAS_TOLERANCE * norm:
            kept.append(j)
    return kept


def _finite_maximum_certified(x: FloatArray, y: FloatArray, beta: FloatArray) -> bool:
    """True when the fit itself proves that :func:`_separation` would find no direction.

    Stiemke's theorem: no recession direction exists when positive weights ``l`` make
    ``sum_i l_i s_i x_i`` zero; the residuals ``l = |y - mu|`` at the maximum do. With the score
    ``g = sum_i l_i s_i x_i`` (after one more Newton step from ``beta``, scaled columns), every
    direction ``d`` in the box has ``sum_i s_i x_i·d <= |g|_1 / min(l)``: below the LP's
    tolerance, the LP would answer "none". Saves the LP on large data sets; else it runs.
    """
    scale = np.max(np.abs(x), axis=0)
    scale[scale == 0] = 1.0
    xs = x / scale
    with np.errstate(all="ignore"):
        mu = special.expit(xs @ (beta * scale))
        weights = mu * (1 - mu)
        try:
            step = np.linalg.solve((xs * weights[:, None]).T @ xs, xs.T @ (y - mu))
        except np.linalg.LinAlgError:
            return False
        residual = np.abs(y - special.expit(xs @ (beta * scale + step)))
        smallest = float(np.min(residual))
        score = residual @ ((2 * y - 1)[:, None] * xs)
        bound = float(np.sum(np.abs(score))) / smallest if smallest > 0 else math.inf
    return math.isfinite(bound) and bound <= _LP_TOLERANCE


def _separation(x: FloatArray, y: FloatArray) -> tuple[str, set[int]]:
    """("none" | "complete" | "quasi-complete", columns whose estimate is infinite).

    Konis (2007): the recession directions ``d`` satisfy ``s_i * x_i·d >= 0`` with
    ``s = 2y - 1``; a column is infinite when some such ``d`` (in the box ``|d| <= 1``, columns
    scaled to unit maximum) has a non-zero component on it; the separation is complete when
    some ``d`` makes every ``s_i * x_i·d`` positive. One linear programme (maximise
    ``sum_i s_i * x_i·d``) settles the usual case, no separation; the others run only after it.
    """
    scale = np.max(np.abs(x), axis=0)
    scale[scale == 0] = 1.0
    signed = (2 * y - 1)[:, None] * (x / scale)
    p = x.shape[1]
    bounds = [(-1.0, 1.0)] * p

    def recedes(objective: FloatArray) -> bool:
        # a true direction is a ray of the cone: the optimum scales it out to the box
        solution = optimize.linprog(
            objective, A_ub=-signed, b_ub=np.zeros(len(y)), bounds=bounds, method="highs"
        )
        return (
            solution.status == 0
            and -solution.fun > _LP_TOLERANCE
            and float(np.max(np.abs(solution.x))) > 0.5
        )

    if not recedes(-signed.sum(axis=0)):
        return "none", set()
    diverging: set[int] = set()
    for j in range(p):
        for sign in (1.0, -1.0):
            objective = np.zeros(p)
            objective[j] = -sign
            if recedes(objective):
                diverging.add(j)
                break
    # maximise t subject to s_i x_i·d >= t, |d| <= 1, t <= 1
    a_ub = np.hstack([-signed, np.ones((len(y), 1))])
    objective = np.zeros(p + 1)
    objective[-1] = -1.0
    solution = optimize.linprog(
        objective, A_ub=a_ub, b_ub=np.zeros(len(y)), bounds=[*bounds, (None, 1.0)], method="highs"
    )
    complete = solution.status == 0 and -solution.fun > _LP_TOLERANCE
    return ("complete" if complete else "quasi-complete"), diverging


def _r_fitted_zero_or_one(eta: FloatArray) -> bool:
    """R's glm.fit check on ``binomial()$linkinv(eta)``, which clamps ``|eta| > 30``."""
    eps = np.finfo(float).eps
    clamped = np.clip(eta, -30.0, 30.0)
    mu = np.exp(clamped) / (1 + np.exp(clamped))
    mu = np.where(eta < -30, eps / (1 + eps), np.where(eta > 30, 1 / (1 + eps), mu))
    return bool(np.any(mu > 1 - _R_MU_EPS) or np.any(mu < _R_MU_EPS))


def _exp(value: float) -> float:
    return math.exp(value) if value < 709 else math.inf


def _none_term(name: str) -> LogisticTerm:
    return LogisticTerm(name, None, None, None, None, None, None, None)


def _empty(
    common: dict[str, Any],
    names: tuple[str, ...],
    reason: str,
    notes: tuple[str, ...] = (),
) -> LogisticRegression:
    return LogisticRegression(
        **common,
        terms=tuple(_none_term(name) for name in names),
        log_likelihood=None,
        aic=None,
        deviance=None,
        null_deviance=None,
        converged=False,
        iterations=0,
        separation="none",
        warnings=(*notes, reason),
    )
