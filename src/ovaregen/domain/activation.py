"""Oocyte activation, Study A's primary endpoint, as Polars expressions.

Rule (CRITERIA.md "Endpoints"; STUDIES.md, Study A, primary endpoint): a woman is activated
when ``afc_post − afc ≥ 3`` **or** ``amh_post_ng_ml ≥ 1.2 × amh_ng_ml`` (a rise of at least 20%).
Either criterion alone suffices; a criterion with a missing input is ``unknown`` (null), never
false, and the two are joined with Kleene ``or``: true if either is true, false only when both
are false, unknown otherwise.

The expressions read canonical participant columns (``ovaregen.domain.schema``) and work on one
participant or a whole cohort alike.
"""

from __future__ import annotations

import polars as pl

AFC_MIN_RISE = 3
"""Activation by AFC: at least this many more antral follicles after treatment."""

AMH_MIN_RATIO = 1.2
"""Activation by AMH: post-treatment AMH at least this multiple of the baseline (+20%)."""

AMH_TOLERANCE_NG_ML = 1e-9
"""Absolute tolerance (ng/mL) on the AMH comparison.

``1.2 × amh`` is computed in binary floating point, so a post value that is exactly 20% higher
on paper can fall a rounding error short (``1.2 × 0.1 = 0.12000000000000001 > 0.12``). The
comparison is ``amh_post ≥ 1.2 × amh − 1e-9``. Rounding errors at AMH ≤ 30 ng/mL (the hard
limit) are below 1e-14; assays report to 0.01 ng/mL; so the tolerance rescues every exact
boundary and admits no value a laboratory could report below it.
"""


def activation_by_afc(min_rise: int = AFC_MIN_RISE) -> pl.Expr:
    """``afc_post − afc ≥ 3``; null when either count is missing (column ``activation_by_afc``).

    Source: CRITERIA.md "Endpoints", oocyte activation, first criterion.
    """
    return ((pl.col("afc_post") - pl.col("afc")) >= min_rise).alias("activation_by_afc")


def activation_by_amh(
    min_ratio: float = AMH_MIN_RATIO, tolerance: float = AMH_TOLERANCE_NG_ML
) -> pl.Expr:
    """``amh_post_ng_ml ≥ 1.2 × amh_ng_ml``; null when either value is missing.

    Source: CRITERIA.md "Endpoints", oocyte activation, second criterion ("AMH rise ≥ 20%").
    The comparison allows :data:`AMH_TOLERANCE_NG_ML` for floating-point rounding.

    The rule is applied as written, also at a baseline of 0 ng/mL (undetectable), where
    ``post ≥ 1.2 × 0`` holds for any post value: a result that the analysis must be able to
    reproduce from outside. A baseline AMH of 0 is a data-quality question for a person, not
    something the rule silently reinterprets. Column ``activation_by_amh``.
    """
    baseline = pl.col("amh_ng_ml")
    post = pl.col("amh_post_ng_ml")
    return (post >= baseline * min_ratio - tolerance).alias("activation_by_amh")


def oocyte_activation() -> pl.Expr:
    """Activation by AFC *or* by AMH, in Kleene logic (column ``oocyte_activation``).

    True when either criterion is true (even if the other is unknown); false when both are
    false; null (unknown) otherwise. Source: CRITERIA.md "Endpoints"; STUDIES.md Study A.
    """
    return (activation_by_afc() | activation_by_amh()).alias("oocyte_activation")


def activation_columns() -> list[pl.Expr]:
    """The three activation columns, components first: by AFC, by AMH, overall."""
    return [activation_by_afc(), activation_by_amh(), oocyte_activation()]
