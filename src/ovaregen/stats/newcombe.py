"""Risk difference with Newcombe's hybrid score interval (Newcombe 1998, method 10).

Rows are the groups, the first column counts the event, the first row is compared with the
second (``p₁ − p₂``), as in :mod:`ovaregen.stats.contingency`. With Wilson's score limits
(l₁, u₁) of p₁ and (l₂, u₂) of p₂,

    lower = (p₁ − p₂) − √((p₁ − l₁)² + (u₂ − p₂)²),  upper = (p₁ − p₂) + √((u₁ − p₁)² + (p₂ − l₂)²).

Unlike the Wald interval it never collapses to zero width when both risks are 0 or 1 and stays
within [−1, 1]. Computed by statsmodels ``confint_proportions_2indep(method="newcomb")``;
checked against R (Wilson limits from ``prop.test(x, n, correct = FALSE)``, then the formula;
``tests/reference/effects.R``).
"""

from __future__ import annotations

from statsmodels.stats.proportion import confint_proportions_2indep

from ovaregen.stats.contingency import TableLike, _two_risks
from ovaregen.stats.result import Estimate, finite

__all__ = ["newcombe_risk_difference"]

METHOD = "Risk difference with Newcombe hybrid score confidence interval"


def newcombe_risk_difference(table: TableLike, *, conf_level: float = 0.95) -> Estimate:
    """Risk difference p₁ − p₂ (first column = event) with Newcombe's interval (docstring).

    No test is attached; pair it with :func:`~ovaregen.stats.contingency.fisher_exact` or
    :func:`~ovaregen.stats.contingency.chi_square`. Not a 2 × 2 table, or an empty group:
    None numbers with the reason as a warning.
    """
    options = {"ci": "Newcombe hybrid score (Wilson)", "comparison": "row 1 minus row 2"}
    risks = _two_risks(table, "a risk difference", METHOD, options, conf_level)
    if isinstance(risks, Estimate):
        return risks
    (a, n1, c, n2), notes = risks
    low, high = confint_proportions_2indep(
        a, n1, c, n2, method="newcomb", compare="diff", alpha=1 - conf_level
    )
    return Estimate(
        method=METHOD,
        n=n1 + n2,
        options=options,
        estimate=a / n1 - c / n2,
        ci_low=finite(max(float(low), -1.0)),
        ci_high=finite(min(float(high), 1.0)),
        conf_level=conf_level,
        warnings=notes,
    )
