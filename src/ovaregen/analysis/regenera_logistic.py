"""Study A's logistic regression of oocyte activation on age, day-5 leukocytes and CD34+.

STUDIES.md, Study A: "Logistic regression of activation on age, leukocytes and CD34+". The fit
is R's ``glm(oocyte_activation ~ age_years + wbc_d5_10e9_l + cd34_d5_per_ul, family =
binomial)`` on complete cases (``ovaregen.stats.regression``); odds ratios per unit of each
covariate with Wald intervals ``exp(confint.default(fit))`` and Wald z p-values.

Three shapes of the same fit: ``logistic_activation`` (every term, the model's fit numbers);
one result per covariate, ``logistic_activation_<covariate>``, so that the results table shows
each odds ratio with its interval; and the table ``logistic_activation_terms`` in the form a
journal prints (one row per term including the intercept, whose exponent is the odds of
activation with every covariate at zero; notes give n, the events and the method).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ovaregen.analysis.left_out import unknown_in
from ovaregen.analysis.regenera_markers import ACTIVATION, AGE, CD34_D5, WBC_D5
from ovaregen.analysis.result import Population, Result, Table
from ovaregen.stats.regression import INTERCEPT, LogisticRegression, logistic_regression

LOGISTIC_COVARIATES = (AGE, WBC_D5, CD34_D5)
TERM_LABELS = {
    AGE: "Age (per year)",
    WBC_D5: "Leukocytes on day 5 (per 10⁹/L)",
    CD34_D5: "CD34+ on day 5 (per cell/µL)",
    INTERCEPT: "Intercept (odds)",
}
"""Each term in words, with the unit its odds ratio is per."""


def fit_logistic(frame: pl.DataFrame) -> LogisticRegression:
    """The model fitted on the complete cases of ``frame``."""
    return logistic_regression(
        frame.select(ACTIVATION, *LOGISTIC_COVARIATES), ACTIVATION, LOGISTIC_COVARIATES
    )


def _term(fit: LogisticRegression, name: str) -> dict[str, Any]:
    t = fit.term(name)
    return {
        "name": t.name,
        "label": TERM_LABELS[name],
        "estimate": t.odds_ratio,
        "ci_low": t.ci_low,
        "ci_high": t.ci_high,
        "p_value": t.p_value,
        "coefficient": t.coefficient,
        "std_error": t.std_error,
        "z_value": t.z_value,
    }


def logistic_results(frame: pl.DataFrame, population: Population) -> list[Result]:
    """``logistic_activation`` then one odds-ratio result per covariate (module docstring)."""
    fit = fit_logistic(frame)
    left_out = unknown_in(frame, (ACTIVATION, *LOGISTIC_COVARIATES))
    model = Result(
        id="logistic_activation",
        title="Logistic regression of oocyte activation on age, day-5 leukocytes and CD34+",
        method=fit.method,
        n=fit.n,
        population=population.id,
        conf_level=fit.conf_level,
        options={**fit.options, "estimate": "odds ratio per unit of each covariate"},
        warnings=fit.warnings,
        left_out=left_out,
        extra={
            "outcome": ACTIVATION,
            "n_events": fit.n_events,
            "n_excluded": fit.n_excluded,
            "separation": fit.separation,
            "converged": fit.converged,
            "aic": fit.aic,
            "deviance": fit.deviance,
            "null_deviance": fit.null_deviance,
            "terms": [_term(fit, name) for name in LOGISTIC_COVARIATES],
            "intercept": _term(fit, INTERCEPT),
        },
        detail=fit,
    )
    by_term = {estimate.options["term"]: estimate for estimate in fit.estimates()}
    per_covariate = [
        Result.of(
            f"logistic_activation_{name}",
            f"Odds ratio of oocyte activation: {TERM_LABELS[name]}, adjusted (logistic model)",
            by_term[name],
            population.id,
            detail=fit,
            left_out=left_out,
            term=name,
            term_label=TERM_LABELS[name],
            adjusted_for=[c for c in LOGISTIC_COVARIATES if c != name],
            n_events=fit.n_events,
            effect="odds ratio",
            effect_unit="ratio",
            estimate_label=f"odds ratio {TERM_LABELS[name].lower()}",
        )
        for name in LOGISTIC_COVARIATES
    ]
    return [model, *per_covariate]


TERMS_SCHEMA: dict[str, Any] = {
    "term": pl.String,
    "odds_ratio": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "p_value": pl.Float64,
}


def logistic_terms_table(model: Result) -> Table:
    """``logistic_activation_terms``: the publication table of ``logistic_activation``."""
    terms = [*model.extra["terms"], model.extra["intercept"]]
    frame = pl.DataFrame(
        [
            {
                "term": t["label"],
                "odds_ratio": t["estimate"],
                "ci_low": t["ci_low"],
                "ci_high": t["ci_high"],
                "p_value": t["p_value"],
            }
            for t in terms
        ],
        schema=TERMS_SCHEMA,
    )
    level = round(100 * (model.conf_level or 0.95))
    return Table(
        "logistic_activation_terms",
        "Logistic regression of oocyte activation: odds ratios (OR) with "
        f"{level}% confidence intervals",
        frame,
        (
            f"n = {model.n} women with every covariate and activation known; "
            f"{model.extra['n_events']} events (activated).",
            "Each OR is adjusted for the other covariates; the intercept row gives the odds of "
            "activation with every covariate at zero.",
            "Binomial GLM with logit link (R glm); Wald CIs exp(b ± z·SE) (R confint.default); "
            "Wald z-test p-values.",
        ),
    )
